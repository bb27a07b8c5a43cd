"""Ablation: our API as it is against variants of itself with one optimisation switched off each.

    python3 bench/ablation.py [--traffic varied,mix] [--only NAME,...] [--duration S] [--repetitions N]
                              [--requests N] [--zipf S] [--seed N] [--database PATH] [--smoke]

Issue 23 asks every optimisation that stays in api/ to earn its place with a figure. Each variant
is our app from `api.main.create_app` with one thing patched from outside (bench/ablation_apps.py)
or one existing setting changed, served by uvicorn like ours:

- memo-off: the database memo of presented items and filter ids keeps nothing (every request
  queries and presents in the threadpool);
- cache-off: the response cache off (RESPONSE_CACHE_ENTRIES=0, a setting);
- threadpool: every route and dependency a plain `def`, run in the threadpool by FastAPI, instead
  of `async def` answering from memory on the event loop;
- uuid4-ids: request ids from uuid4 instead of a random prefix and a counter;
- no-gc-freeze: no `gc.collect(); gc.freeze()` after start-up.

On the traffic users send: varied traffic (bench/varied.lua, as bench/varied.py: a random unit,
page size 1-100 and offset 0-19) and the realistic mix (bench/mix.lua, as bench/mix.py: a few
thousand requests with Zipf's law over their ranks, gzip and revalidations). The memo matters most
on varied traffic, the response cache on the mix; every variant is measured on both.

Before measuring, every variant is asked a sample of URLs (a list, and the first request of each
kind in the mix) and must answer each as ours does: the same status (200), ETag, content type and
encoding, and the same body bytes. A variant that changes the answer is a broken ablation: the
script then stops with exit status 1. Then each repetition starts every server afresh, for each
traffic, and measures them one after another, each alone on the server core with
`wrk -t1 -c32 --latency --timeout 10s` on the load core after a 1 s warm-up with another seed, in
an order rotated each repetition (harness.apart). It prints each variant's req/s, p50, p99 and
server CPU time per request, and two ratios taken within the repetition, both above 1 when the
optimisation pays: ours ÷ variant in req/s, and variant ÷ ours in CPU per request (steadier on a
busy machine); then their medians over the repetitions.

Exit status: 0 when every server answered as ours, 1 when one failed, answered differently or
answered errors, 3 when wrk or taskset is missing.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness as h  # noqa: E402
import mix  # noqa: E402
import varied  # noqa: E402


@dataclass(frozen=True)
class Variant:
    name: str
    switched_off: str
    app: str = "api.main:app"  # or a factory of bench/ablation_apps.py
    env: tuple[tuple[str, str], ...] = ()

    def spawn(self, workdir: Path, database: Path) -> h.Server:
        factory = ("--app-dir", str(h.BENCH), "--factory") if self.app.startswith("ablation_apps:") else ()
        env = {"DATABASE_URL": f"sqlite:///{database}", **dict(self.env)}
        return h.spawn(self.name, h.uvicorn_argv(self.app, *factory), workdir, env)


OURS = Variant("ours", "nothing: the app as it is")
VARIANTS = [
    OURS,
    Variant("memo-off", "the database memo (presented items, filter ids)", "ablation_apps:memo_off"),
    Variant("cache-off", "the response cache (RESPONSE_CACHE_ENTRIES=0)", env=(("RESPONSE_CACHE_ENTRIES", "0"),)),
    Variant("threadpool", "async def from memory: every route and dependency a plain def", "ablation_apps:threadpool"),
    Variant("uuid4-ids", "request ids from a prefix and a counter: uuid4 instead", "ablation_apps:uuid4_ids"),
    Variant("no-gc-freeze", "gc.freeze() after start-up", "ablation_apps:no_gc_freeze"),
]
TRAFFICS = ("varied", "mix")
# Ours against a variant, within one run, both above 1 when switching the optimisation off costs:
# in req/s (what users see), and in the server's CPU time per request (utime+stime), which a busy
# machine disturbs less than req/s: a server that waits for its core loses rate, not CPU time.
RATIOS = {
    "ours ÷ variant, req/s": lambda ours, variant: ours.rps / variant.rps,
    "variant ÷ ours, CPU/req": lambda ours, variant: variant.server_cpu_us / ours.server_cpu_us,
}
# What must be the same in every variant's answer as in ours (beside the status and the body).
SAME_HEADERS = ("etag", "content-type", "content-encoding", "content-length", "link", "x-total-count")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    h.add_run_arguments(parser, smoke_help="1 s, 1 repetition, 300 requests in the mix: checks that every variant answers as ours")
    parser.add_argument("--traffic", default=",".join(TRAFFICS), help=f"comma-separated, from {', '.join(TRAFFICS)} (default both)")
    names = ", ".join(v.name for v in VARIANTS[1:])
    parser.add_argument("--only", help=f"comma-separated variants to measure against ours (default all: {names})")
    parser.add_argument("--requests", type=int, default=3000, help="distinct requests in the mix (default 3000, as mix.py)")
    parser.add_argument("--zipf", type=float, default=1.0, help="Zipf exponent over the mix's ranks (default 1.0)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the mix's list of requests (default 1)")
    args = h.parse_run_arguments(parser, requests=300)
    args.traffics = [t for t in args.traffic.split(",") if t]
    chosen = set(args.only.split(",")) if args.only else {v.name for v in VARIANTS}
    unknown = (set(args.traffics) - set(TRAFFICS)) | (chosen - {v.name for v in VARIANTS})
    if unknown or not args.traffics:
        parser.error(f"unknown traffic or variant: {', '.join(sorted(unknown)) or '(none given)'}")
    args.variants = [v for v in VARIANTS if v is OURS or v.name in chosen]
    return h.run_in_workdir(lambda workdir: run(args, workdir), "ablation benchmark", prefix="policy-ablation-")


def run(args: argparse.Namespace, workdir: Path) -> int:
    started = time.monotonic()
    database = h.database_for(args.database, workdir)
    requests = mix.requests_of(mix.Data.read(database), args.requests, args.seed)
    print(f"machine: {h.machine()}; here each server alone on core {h.SERVER_CORE}, wrk -t1 -c32 --latency")
    print(f"load average at the start (1, 5, 15 min): {load_average()}")
    print(f"versions: {', '.join(f'{k} {v}' for k, v in h.versions().items())}")
    for variant in args.variants:
        print(f"- {variant.name}: off: {variant.switched_off}")

    servers = start(args.variants, workdir, database)
    try:
        compared = same_answers(servers, samples(requests))
    finally:
        stop(servers)
    print(f"every variant answered the {compared} sample requests as ours: status 200, {', '.join(SAME_HEADERS)} and body bytes")
    print(f"{max(1, round(args.duration))} s per run, {args.repetitions} run(s), each on new servers; latency in ms")
    if "mix" in args.traffics:
        print(f"the mix: {len(requests):,} distinct requests (seed {args.seed}), Zipf exponent {args.zipf}")

    names = [v.name for v in args.variants]
    results: dict[str, list[list[h.WrkResult]]] = {traffic: [] for traffic in args.traffics}
    print()
    print("| traffic | run | variant | req/s | p50 | p99 | CPU µs/req | " + " | ".join(RATIOS) + " |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|")
    for repetition in range(1, args.repetitions + 1):
        for traffic in args.traffics:
            runs = measure(traffic, args, repetition, workdir, database, requests)
            if any(not r.requests or r.errors for r in runs):
                raise RuntimeError(f"a server failed or answered errors under load ({traffic}): {dict(zip(names, runs, strict=True))}")
            results[traffic].append(runs)
            for name, result in zip(names, runs, strict=True):
                figures = [f"{result.rps:,.0f}", f"{result.p50_ms:.1f}", f"{result.p99_ms:.1f}", f"{result.server_cpu_us:,.0f}"]
                ratios = [f"{ratio(runs[0], result):.3f}" for ratio in RATIOS.values()]
                print(f"| {traffic} | {repetition} | {name} | {' | '.join(figures + ratios)} |", flush=True)
    print()
    print("medians over the runs, each ratio taken within a run (above 1: switching it off costs that much):")
    print()
    print("| traffic | variant | req/s | p99 | CPU µs/req | " + " | ".join(f"{label} (min to max)" for label in RATIOS) + " |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for traffic, repetitions in results.items():
        for index, name in enumerate(names):
            runs = [runs[index] for runs in repetitions]
            figures = [f"{h.median([r.rps for r in runs]):,.0f}", f"{h.median([r.p99_ms for r in runs]):.1f}"]
            figures.append(f"{h.median([r.server_cpu_us for r in runs]):,.0f}")
            for ratio in RATIOS.values():
                values = [ratio(repetition[0], repetition[index]) for repetition in repetitions]
                figures.append(f"{h.median(values):.3f} ({min(values):.3f} to {max(values):.3f})")
            print(f"| {traffic} | {name} | {' | '.join(figures)} |")
    others = [r.other_cpu for repetitions in results.values() for runs in repetitions for r in runs if r.other_cpu is not None]
    print()
    print(f"other processes during the measured runs: median {h.median(others):.2f}, max {max(others):.2f} of a core")
    print(f"load average at the end (1, 5, 15 min): {load_average()}")
    print(f"took {time.monotonic() - started:.0f} s")
    return 0


def start(variants: list[Variant], workdir: Path, database: Path) -> list[h.Server]:
    """New servers, one per variant, in the order given, each answering a list."""
    servers = [variant.spawn(workdir, database) for variant in variants]
    for server in servers:
        h.wait_ok(server, h.SAMPLE_LIST, timeout=60)
    return servers


def stop(servers: list[h.Server]) -> None:
    for server in servers:
        server.stop()


def measure(
    traffic: str, args: argparse.Namespace, repetition: int, workdir: Path, database: Path, requests: list[mix.Request]
) -> list[h.WrkResult]:
    """One repetition of `traffic` on new servers, each alone, in rotated order."""
    servers = start(args.variants, workdir, database)
    try:
        # wrk's timeout is mix.py's on both traffics: a slow answer (a variant without the memo, a busy
        # machine) must count in the p99, not fail the run as a socket error.
        if traffic == "varied":
            measured = [[str(h.units_file(database, workdir)), varied.OURS, str(repetition)]] * len(servers)
            warm_up = [varied.warm_up(arguments) for arguments in measured]
            return h.apart(servers, varied.SCRIPT, measured, warm_up, args.duration, repetition, timeout=mix.TIMEOUT)
        files = [str(mix.requests_file(server, requests, mix.held_etags(server, requests), workdir)) for server in servers]
        exponent = str(args.zipf)
        measured = [[file, str(repetition), exponent] for file in files]
        warm_up = [[file, str(repetition + 1_000_000), exponent] for file in files]
        return h.apart(servers, mix.SCRIPT, measured, warm_up, args.duration, repetition, timeout=mix.TIMEOUT)
    finally:
        stop(servers)


def samples(requests: list[mix.Request]) -> list[mix.Request]:
    """A list of a unit's measures, and the first request of each kind in the mix (the head of
    its ranks: the requests sent most), revalidations asked without their condition."""
    first: dict[str, mix.Request] = {}
    for request in requests:
        first.setdefault(request.kind, request)
    plain = mix.Request("list", h.SAMPLE_LIST, "", gzip=False, revalidate=False)
    return [plain, *first.values()]


def same_answers(servers: list[h.Server], requests: list[mix.Request]) -> int:
    """Ask each server each request as wrk would; every answer must be ours. Returns how many."""
    ours, *variants = servers
    for request in requests:
        expected = h.fetch_as_wrk(ours.base + request.ours, mix.headers_of(request))
        if expected.status != 200:
            raise RuntimeError(f"ours answered {expected.status} to {request.ours}: {expected.body[:300]!r}")
        for server in variants:
            reply = h.fetch_as_wrk(server.base + request.ours, mix.headers_of(request))
            differs = [name for name in SAME_HEADERS if reply.headers.get(name) != expected.headers.get(name)]
            if reply.status != expected.status or reply.body != expected.body or differs:
                raise RuntimeError(
                    f"broken ablation: {server.name} answered {request.ours} (gzip: {request.gzip}) with status {reply.status}, "
                    f"{'the same' if reply.body == expected.body else 'other'} body bytes"
                    + (f", other {', '.join(differs)}" if differs else "")
                    + f": {reply.body[:200]!r}\n{server.log_tail()}"
                )
    return len(requests)


def load_average() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
