"""Ours against the bare ASGI app on one core at the same time: their cost ratio without drift.

    python3 bench/paired.py [--duration S] [--repetitions N] [--database PATH] [--smoke]

bench/run.py measures servers one after another, so a ratio between two of its rows moves with
whatever the machine does in between (about ±10% here). This script pins our API and the bare app
(serving our bytes) to the same core and drives both at once, one `wrk -t1 -c16` each on the load
core: the kernel shares the core between them, both run under the same conditions, and the ratio
of their CPU per request holds to a few per cent. It measures the repeated item and list requests,
the rows closest to the framework-free limit. Absolute figures are higher than in run.py (two
servers share a core and its caches); read the ratios.

Exit status: 0 when both servers answered, 1 when one failed, 3 when wrk or taskset is missing.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness as h  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=4, help="seconds per paired run (default 4)")
    parser.add_argument("--repetitions", type=int, default=5, help="paired runs per request (default 5)")
    parser.add_argument("--database", type=Path, help="reuse this SQLite file instead of building one in a temporary directory")
    parser.add_argument("--smoke", action="store_true", help="1 s, 1 repetition: checks that both servers answer")
    args = parser.parse_args()
    if args.smoke:
        args.duration, args.repetitions = 1, 1

    return h.run_in_workdir(lambda workdir: run(args, workdir), "paired benchmark", prefix="policy-paired-")


def run(args: argparse.Namespace, workdir: Path) -> int:
    database = args.database or workdir / "policy.sqlite3"
    if args.database is None:
        h.build_database(database)
    database = database.resolve()
    subjects = h.subjects(database)
    ours = h.spawn("ours", h.uvicorn_argv("api.main:app"), workdir, {"DATABASE_URL": f"sqlite:///{database}"})
    h.wait_ready(ours, "/healthz")
    paths = {"item": subjects.item_path, "list": subjects.list_path}
    bodies = {}
    for path in paths.values():
        reply = h.fetch(ours.base + path)  # this first request also fills our response cache
        if reply.status != 200:
            raise RuntimeError(f"ours answered {reply.status} to {path}")
        bodies[path] = reply.body
    bare = h.spawn_reference("bare", workdir, bodies, database)
    h.wait_ready(bare, subjects.item_path)

    print(f"machine: {h.machine()}; here both servers share core {h.SERVER_CORE}, each driven by wrk -t1 -c16")
    print(f"{max(1, round(args.duration))} s per paired run, {args.repetitions} run(s) per request; CPU µs per request, utime+stime")
    print()
    print("| request | run | bare µs | ours µs | ours ÷ bare |")
    print("|---|---:|---:|---:|---:|")
    medians = {}
    for name, path in paths.items():
        ratios = []
        at_once(1, (bare.base + path, bare.pid), (ours.base + path, ours.pid))  # warm-up, not counted
        for repetition in range(1, args.repetitions + 1):
            bare_run, ours_run = at_once(args.duration, (bare.base + path, bare.pid), (ours.base + path, ours.pid))
            if not (bare_run.requests and ours_run.requests) or bare_run.errors or ours_run.errors:
                raise RuntimeError(f"{name}: a server failed under load (bare {bare_run}, ours {ours_run})")
            ratios.append(ours_run.server_cpu_us / bare_run.server_cpu_us)
            print(f"| {name} | {repetition} | {bare_run.server_cpu_us:.1f} | {ours_run.server_cpu_us:.1f} | {ratios[-1]:.3f} |")
        medians[name] = (h.median(ratios), min(ratios), max(ratios))
    print()
    for name, (middle, low, high) in medians.items():
        print(f"{name}: ours costs {middle:.3f}x the bare app per request (median; {low:.3f} to {high:.3f}), a share of {1 / middle:.2f}")
    return 0


def at_once(duration: float, *targets: tuple[str, int]) -> list[h.WrkResult]:
    """One wrk per (url, server pid), all started together; each result carries its server's CPU."""
    results: list[h.WrkResult | BaseException] = [RuntimeError("not run")] * len(targets)

    def drive(index: int, url: str, pid: int) -> None:
        try:
            results[index] = h.wrk(url, duration, pid, connections=16)
        except BaseException as error:  # handed to the main thread below
            results[index] = error

    threads = [threading.Thread(target=drive, args=(i, url, pid)) for i, (url, pid) in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results  # type: ignore[return-value]


if __name__ == "__main__":
    sys.exit(main())
