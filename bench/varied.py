"""Varied traffic: ours, the framework ceiling and Datasette on one core at once.

    python3 bench/varied.py [--duration S] [--repetitions N] [--database PATH] [--smoke]

Each request asks for the measures of a random responsible unit (one of the dataset's 27), with a
random page size (1-100) and offset (0-19): `/v1/measures?unit=U&limit=L&offset=O` for ours and
the framework ceiling, Datasette's JSON for the same unit join (the canned query of
bench/datasette.yaml) for Datasette. bench/varied.lua draws them, with one seed per repetition
for all three servers, so each is asked the same sequence. With 54,000 distinct URLs, a response
cache answers few of them: this measures the work done per request.

The framework ceiling is our app from its own factory with every list endpoint's body replaced by
a fixed small response (bench/reference_apps.py `framework_ceiling`): FastAPI, our parameter
declarations, dependencies and middleware, and nothing else.

As bench/paired.py does, the three servers share one core and are driven at once, one
`wrk -t1 -c16` each on the load core, and each repetition starts them afresh; the figures are CPU
µs per request (utime+stime), and the ratios:
- ceiling ÷ ours: ours as a share of the framework ceiling (the issue's target: at least 0.8);
- Datasette ÷ ours: how many times less than Datasette ours costs (target: at least 2).

Exit status: 0 when the servers answered, 1 when one failed, 3 when wrk, taskset or Datasette is
missing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness as h  # noqa: E402
from paired import at_once  # noqa: E402
from reference_apps import CEILING_BODY  # noqa: E402

SCRIPT = h.BENCH / "varied.lua"
OURS = "/v1/measures?unit={unit}&limit={limit}&offset={offset}"
DATASETTE = f"{h.DATASETTE_LIST}?unit={{unit}}&limit={{limit}}&offset={{offset}}&{h.DATASETTE_SHAPE}"
SERVERS = ("ceiling", "ours", "datasette")  # the order of the columns and of RATIOS' indices
RATIOS = {"ceiling ÷ ours": (0, 1), "Datasette ÷ ours": (2, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=4, help="seconds per run (default 4)")
    parser.add_argument("--repetitions", type=int, default=7, help="runs, each on new servers (default 7)")
    parser.add_argument("--database", type=Path, help="reuse this SQLite file instead of building one in a temporary directory")
    parser.add_argument("--smoke", action="store_true", help="1 s, 1 repetition: checks that the servers answer")
    args = parser.parse_args()
    if args.smoke:
        args.duration, args.repetitions = 1, 1
    return h.run_in_workdir(lambda workdir: run(args, workdir), "varied-traffic benchmark", prefix="policy-varied-")


def run(args: argparse.Namespace, workdir: Path) -> int:
    database = args.database or workdir / "policy.sqlite3"
    if args.database is None:
        h.build_database(database)
    database = database.resolve()
    link = h.datasette_link(workdir, database)
    units = workdir / "units.txt"
    units.write_text("".join(f"{unit}\n" for (unit,) in h.query(database, "select id from units order by id")))
    env = {"DATABASE_URL": f"sqlite:///{database}"}

    print(f"machine: {h.machine()}; here the three servers share core {h.SERVER_CORE}, each driven by wrk -t1 -c16")
    print(f"versions: {', '.join(f'{k} {v}' for k, v in h.versions().items())}")
    print(f"{max(1, round(args.duration))} s per run, {args.repetitions} run(s), each on new servers; CPU µs per request, utime+stime")
    print()
    print(
        "| run | ceiling µs | ours µs | Datasette µs | ceiling req/s | ours req/s | Datasette req/s | ceiling ÷ ours | Datasette ÷ ours |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    ratios: dict[str, list[float]] = {label: [] for label in RATIOS}
    for repetition in range(1, args.repetitions + 1):
        servers = start_servers(workdir, env, link)
        targets = [(server.base, server.pid) for server in servers]
        seed = str(repetition)
        script_args = [[str(units), DATASETTE if server.name == "datasette" else OURS, seed] for server in servers]
        try:
            at_once(1, *targets, script=SCRIPT, script_args=script_args)  # warm-up, not counted
            runs = at_once(args.duration, *targets, script=SCRIPT, script_args=script_args)
        finally:
            for server in servers:
                server.stop()
        if any(not r.requests or r.errors for r in runs):
            raise RuntimeError(f"a server failed under load: {runs}")
        costs = [r.server_cpu_us for r in runs]
        for label, (numerator, denominator) in RATIOS.items():
            ratios[label].append(costs[numerator] / costs[denominator])
        cells = [f"{c:.1f}" for c in costs] + [f"{r.rps:.0f}" for r in runs] + [f"{v[-1]:.3f}" for v in ratios.values()]
        print(f"| {repetition} | {' | '.join(cells)} |", flush=True)
    print()
    for label, values in ratios.items():
        print(f"{label}: median {h.median(values):.3f} ({min(values):.3f} to {max(values):.3f})")
    return 0


def start_servers(workdir: Path, env: dict[str, str], link: Path) -> list[h.Server]:
    """New ceiling, ours and Datasette servers (in SERVERS' order), each answering a list."""
    servers = [
        h.spawn("ceiling", h.uvicorn_argv("reference_apps:framework_ceiling", "--app-dir", str(h.BENCH), "--factory"), workdir, env),
        h.spawn("ours", h.uvicorn_argv("api.main:app"), workdir, env),
        h.spawn("datasette", h.datasette_argv(link), workdir),
    ]
    sample = {"unit": "finance", "limit": "5", "offset": "0"}
    for server in servers:
        path = (DATASETTE if server.name == "datasette" else OURS).format(**sample)
        reply = h.wait_ok(server, path, timeout=60)
        if server.name == "ceiling" and reply.body != CEILING_BODY:
            raise RuntimeError(f"the framework ceiling answered {reply.body[:80]!r} at {path}: its list body was not replaced")
        if server.name == "ours" and reply.body == CEILING_BODY:
            raise RuntimeError("ours answered the ceiling's fixed body")
    return servers


if __name__ == "__main__":
    sys.exit(main())
