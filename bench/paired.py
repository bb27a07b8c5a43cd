"""Ours, the bare ASGI app and Datasette on one core at once: their cost ratios without drift.

    python3 bench/paired.py [--duration S] [--repetitions N] [--database PATH] [--smoke]

bench/run.py measures servers one after another, so a ratio between two of its rows moves with
whatever the machine does in between (about ±10% here). This script pins our API, the bare app
(serving our bytes) and Datasette (the canned queries of bench/datasette.yaml) to the same core and
drives the three at once, one `wrk -t1 -c16` each on the load core: the kernel shares the core
between them, and all run under the same conditions. Ours ÷ bare then holds to a few per cent;
Datasette's own cost still moves by up to 20% from run to run, so read its ratio over several runs.
Each repetition starts the three servers afresh: one set of processes keeps a bias
of a few per cent of its own (where its memory landed), which only new processes average out.

It measures the repeated item and list requests, the rows closest to the framework-free limit, and
prints per request: ours ÷ bare (its inverse is ours as a share of the bare app) and Datasette ÷
ours (how many times less than Datasette ours costs, the "× Datasette" of the targets). Absolute
figures are higher than in run.py (three servers share a core and its caches); read the ratios.

Exit status: 0 when the servers answered, 1 when one failed, 3 when wrk, taskset or Datasette is
missing.
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
    parser.add_argument("--duration", type=float, default=4, help="seconds per run (default 4)")
    parser.add_argument("--repetitions", type=int, default=7, help="runs per request, each on new servers (default 7)")
    parser.add_argument("--database", type=Path, help="reuse this SQLite file instead of building one in a temporary directory")
    parser.add_argument("--smoke", action="store_true", help="1 s, 1 repetition: checks that the servers answer")
    args = parser.parse_args()
    if args.smoke:
        args.duration, args.repetitions = 1, 1

    return h.run_in_workdir(lambda workdir: run(args, workdir), "paired benchmark", prefix="policy-paired-")


def run(args: argparse.Namespace, workdir: Path) -> int:
    database = args.database or workdir / "policy.sqlite3"
    if args.database is None:
        h.build_database(database)
    database = database.resolve()
    link = h.datasette_link(workdir, database)
    subjects = h.subjects(database)
    env = {"DATABASE_URL": f"sqlite:///{database}"}
    bodies = our_bodies(workdir, env, [subjects.item_path, subjects.list_path])
    list_count = h.items_in(bodies[subjects.list_path]) or subjects.unit_count
    requests = {
        "item": (subjects.item_path, subjects.datasette_item_path),
        "list": (subjects.list_path, subjects.datasette_list_path(list_count)),
    }

    print(f"machine: {h.machine()}; here the three servers share core {h.SERVER_CORE}, each driven by wrk -t1 -c16")
    print(f"versions: {', '.join(f'{k} {v}' for k, v in h.versions().items())}")
    print(
        f"{max(1, round(args.duration))} s per run, {args.repetitions} run(s) per request, each on new servers; CPU µs per request, utime+stime"
    )
    print()
    print("| request | run | bare µs | ours µs | Datasette µs | ours ÷ bare | Datasette ÷ ours | Datasette ÷ bare |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    summary = {}
    for name, (path, datasette_path) in requests.items():
        ratios: dict[str, list[float]] = {"ours ÷ bare": [], "Datasette ÷ ours": [], "Datasette ÷ bare": []}
        for repetition in range(1, args.repetitions + 1):
            bare, ours, datasette = start_servers(workdir, env, bodies, database, link, path, datasette_path)
            targets = (bare.base + path, bare.pid), (ours.base + path, ours.pid), (datasette.base + datasette_path, datasette.pid)
            try:
                at_once(1, *targets)  # warm-up, not counted
                runs = at_once(args.duration, *targets)
            finally:
                for server in (bare, ours, datasette):
                    server.stop()
            if any(not r.requests or r.errors for r in runs):
                raise RuntimeError(f"{name}: a server failed under load: {runs}")
            bare_us, ours_us, datasette_us = (r.server_cpu_us for r in runs)
            ratios["ours ÷ bare"].append(ours_us / bare_us)
            ratios["Datasette ÷ ours"].append(datasette_us / ours_us)
            ratios["Datasette ÷ bare"].append(datasette_us / bare_us)
            row = " | ".join(f"{values[-1]:.3f}" for values in ratios.values())
            print(f"| {name} | {repetition} | {bare_us:.1f} | {ours_us:.1f} | {datasette_us:.1f} | {row} |", flush=True)
        summary[name] = {label: (h.median(v), min(v), max(v)) for label, v in ratios.items()}
    print()
    for name, figures in summary.items():
        for label, (middle, low, high) in figures.items():
            print(f"{name}: {label} median {middle:.3f} ({low:.3f} to {high:.3f})")
        print(
            f"{name}: ours is a share of {1 / figures['ours ÷ bare'][0]:.2f} of the bare app; {figures['Datasette ÷ ours'][0]:.1f}x Datasette"
        )
    return 0


def our_bodies(workdir: Path, env: dict[str, str], paths: list[str]) -> dict[str, bytes]:
    """What our API answers at `paths`: the bytes the bare app serves."""
    ours = h.spawn("ours", h.uvicorn_argv("api.main:app"), workdir, env)
    try:
        h.wait_ready(ours, "/healthz")
        bodies = {}
        for path in paths:
            reply = h.fetch(ours.base + path)
            if reply.status != 200:
                raise RuntimeError(f"ours answered {reply.status} to {path}")
            bodies[path] = reply.body
        return bodies
    finally:
        ours.stop()


def start_servers(workdir, env, bodies, database, link, path, datasette_path) -> tuple[h.Server, h.Server, h.Server]:
    """New bare, ours and Datasette servers, each ready at its path (ours with it cached)."""
    bare = h.spawn_reference("bare", workdir, bodies, database)
    ours = h.spawn("ours", h.uvicorn_argv("api.main:app"), workdir, env)
    datasette = h.spawn("datasette", h.datasette_argv(link), workdir)
    for server, ready_at in ((bare, path), (ours, path), (datasette, datasette_path)):
        reply = h.wait_ready(server, ready_at, timeout=60)
        if reply.status != 200:
            raise RuntimeError(f"{server.name} answered {reply.status} to {ready_at}:\n{server.log_tail()}")
    return bare, ours, datasette


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
