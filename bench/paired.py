"""Ours, the bare ASGI apps and Datasette on one core at once: their cost ratios without drift.

    python3 bench/paired.py [--duration S] [--repetitions N] [--database PATH] [--smoke]

bench/run.py measures servers one after another, so a ratio between two of its rows moves with
whatever the machine does in between (about ±10% here). This script pins our API, the bare app
(serving our bytes), the bare app sending our response headers too (`bare_our_headers`) and
Datasette (the canned queries of bench/datasette.yaml) to the same core and drives the four at
once, one `wrk -t1 -c16` each on the load core: the kernel shares the core between them, and all
run under the same conditions. Ours ÷ bare then holds to a few per cent; Datasette's own cost
still moves by up to 20% from run to run, so read its ratio over several runs. Each repetition
starts the four servers afresh: one set of processes keeps a bias of a few per cent of its own
(where its memory landed), which only new processes average out.

It measures the repeated item and list requests, the rows closest to the framework-free limit, and
prints per request: ours ÷ bare (its inverse is ours as a share of the bare app), split into what
our response headers cost a server that does nothing else (headers ÷ bare) and the rest (ours ÷
headers: the front door's work, and a larger process sharing the core), and Datasette ÷ ours (how
many times less than Datasette ours costs, the "× Datasette" of the targets). Absolute figures are
higher than in run.py (four servers share a core and its caches); read the ratios.

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

# What the bare app with our headers does not replay: the headers uvicorn adds itself (date, server,
# and connection: close, which urllib asked for) and the request id, new for each response.
PER_RESPONSE = {"date", "server", "connection", "x-request-id"}
# The ratios printed, as (numerator, denominator) indices into the costs of bare, bare with our
# headers, ours and Datasette.
RATIOS = {
    "headers ÷ bare": (1, 0),
    "ours ÷ headers": (2, 1),
    "ours ÷ bare": (2, 0),
    "Datasette ÷ ours": (3, 2),
    "Datasette ÷ bare": (3, 0),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    h.add_run_arguments(parser, repetitions_help="runs per request, each on new servers")
    args = h.parse_run_arguments(parser)
    return h.run_in_workdir(lambda workdir: run(args, workdir), "paired benchmark", prefix="policy-paired-")


def run(args: argparse.Namespace, workdir: Path) -> int:
    database = h.database_for(args.database, workdir)
    link = h.datasette_link(workdir, database)
    subjects = h.subjects(database)
    env = {"DATABASE_URL": f"sqlite:///{database}"}
    replies = our_replies(workdir, env, [subjects.item_path, subjects.list_path])
    bodies = {path: reply.body for path, reply in replies.items()}
    headers = {path: replayed(reply) for path, reply in replies.items()}
    list_count = h.items_in(bodies[subjects.list_path]) or subjects.unit_count
    requests = {
        "item": (subjects.item_path, subjects.datasette_item_path),
        "list": (subjects.list_path, subjects.datasette_list_path(list_count)),
    }

    print(f"machine: {h.machine()}; here the four servers share core {h.SERVER_CORE}, each driven by wrk -t1 -c16")
    print(f"versions: {', '.join(f'{k} {v}' for k, v in h.versions().items())}")
    print(
        f"{max(1, round(args.duration))} s per run, {args.repetitions} run(s) per request, each on new servers; CPU µs per request, utime+stime"
    )
    print()
    print(
        "| request | run | bare µs | bare + our headers µs | ours µs | Datasette µs "
        "| headers ÷ bare | ours ÷ headers | ours ÷ bare | Datasette ÷ ours | Datasette ÷ bare |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    summary = {}
    for name, (path, datasette_path) in requests.items():
        ratios: dict[str, list[float]] = {label: [] for label in RATIOS}
        for repetition in range(1, args.repetitions + 1):
            servers = start_servers(workdir, env, bodies, headers, database, link, path, datasette_path)
            targets = [(server.base + (datasette_path if server.name == "datasette" else path), server.pid) for server in servers]
            try:
                at_once(1, *targets)  # warm-up, not counted
                runs = at_once(args.duration, *targets)
            finally:
                for server in servers:
                    server.stop()
            if any(not r.requests or r.errors for r in runs):
                raise RuntimeError(f"{name}: a server failed under load: {runs}")
            bare_us, headers_us, ours_us, datasette_us = costs = [r.server_cpu_us for r in runs]
            for label, (numerator, denominator) in RATIOS.items():
                ratios[label].append(costs[numerator] / costs[denominator])
            row = " | ".join(f"{values[-1]:.3f}" for values in ratios.values())
            print(f"| {name} | {repetition} | {bare_us:.1f} | {headers_us:.1f} | {ours_us:.1f} | {datasette_us:.1f} | {row} |", flush=True)
        summary[name] = {label: (h.median(v), min(v), max(v)) for label, v in ratios.items()}
    print()
    for name, figures in summary.items():
        for label, (middle, low, high) in figures.items():
            print(f"{name}: {label} median {middle:.3f} ({low:.3f} to {high:.3f})")
        print(
            f"{name}: ours is a share of {1 / figures['ours ÷ bare'][0]:.2f} of the bare app; {figures['Datasette ÷ ours'][0]:.1f}x Datasette"
        )
    return 0


def our_replies(workdir: Path, env: dict[str, str], paths: list[str]) -> dict[str, h.Reply]:
    """What our API answers at `paths`: the bytes and headers the bare apps send."""
    ours = h.spawn("ours", h.uvicorn_argv("api.main:app"), workdir, env)
    try:
        h.wait_ready(ours, "/healthz")
        replies = {}
        for path in paths:
            replies[path] = reply = h.fetch(ours.base + path)
            if reply.status != 200:
                raise RuntimeError(f"ours answered {reply.status} to {path}")
        return replies
    finally:
        ours.stop()


def start_servers(workdir, env, bodies, headers, database, link, path, datasette_path) -> list[h.Server]:
    """New bare, bare with our headers, ours and Datasette servers (in the order of RATIOS'
    indices), each ready at its path (ours with it cached)."""
    servers = [
        h.spawn_reference("bare", workdir, bodies, database),
        h.spawn_reference("bare_our_headers", workdir, bodies, database, headers),
        h.spawn("ours", h.uvicorn_argv("api.main:app"), workdir, env),
        h.spawn("datasette", h.datasette_argv(link), workdir),
    ]
    for server in servers:
        ready_at = datasette_path if server.name == "datasette" else path
        reply = h.wait_ok(server, ready_at, timeout=60)
        if server.name.startswith("bare") and reply.body != bodies[path]:
            raise RuntimeError(f"{server.name} did not send our bytes at {path}")
        if server.name == "bare_our_headers" and replayed(reply) != headers[path]:
            raise RuntimeError(f"{server.name} did not send our headers at {path}: {replayed(reply)} against {headers[path]}")
    return servers


def replayed(reply: h.Reply) -> list[tuple[str, str]]:
    """The headers of a reply that the bare app with our headers replays."""
    return [(name, value) for name, value in reply.headers.items() if name not in PER_RESPONSE]


def at_once(
    duration: float, *targets: tuple[str, int], script: Path | None = None, script_args: list[list[str]] | None = None
) -> list[h.WrkResult]:
    """One wrk per (url, server pid), all started together; each result carries its server's CPU.
    With `script`, each wrk runs it with its own arguments (`script_args`, one list per target)."""
    results: list[h.WrkResult | BaseException] = [RuntimeError("not run")] * len(targets)

    def drive(index: int, url: str, pid: int) -> None:
        try:
            arguments = script_args[index] if script_args else None
            results[index] = h.wrk(url, duration, pid, connections=16, script=script, script_args=arguments)
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
