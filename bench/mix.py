"""A realistic mix of requests: ours, the framework ceiling and Datasette, each alone on one core.

    python3 bench/mix.py [--duration S] [--repetitions N] [--requests N] [--zipf S] [--seed N]
                         [--database PATH] [--smoke]

A few thousand distinct requests, drawn once from the database with `--seed` (the same list for
every run and server), ranked in the order drawn and asked for with Zipf's law over their ranks
(bench/mix.lua: rank k with weight 1 / k^S), as users' traffic spreads over URLs: lists of
measures filtered by unit or chapter with page sizes and offsets, searches with `q=` in
Traditional and in Simplified (two- and three-character words taken from the measures' text,
percent-encoded), `fields=` selections, `facets=`, `format=csv`, `script=hans`, and the items
/v1/measures/{id}, /v1/units/{id} and /v1/chapters/{id}. KINDS gives each kind's share of the
list; the report prints each kind's share of the requests that follows from the ranks. About
60% of the requests send `Accept-Encoding: gzip` (browsers and most HTTP libraries do; wrk and
curl do not), and 10% are revalidations: `If-None-Match` with the ETag that server gave for that
URL and encoding, fetched before each measured run, as a browser holds them (a 304 is a success).

The references, each answering the same ranked list:
- the framework ceiling (bench/reference_apps.py `framework_ceiling`): our app from its own
  factory with every list endpoint's body replaced by a fixed `{"data":[]}`, so its lists, CSV
  and searches are FastAPI, our parameters, dependencies and middleware and nothing else, while
  its item endpoints (one measure, unit or chapter) run our code for real. Its fixed list
  responses carry no ETag, so our response cache does not store them (it stores only what has
  one) and it cannot revalidate them: every list request goes through FastAPI, where ours
  answers the popular ones from the cache. On this traffic it is a reference, not a limit;
- Datasette over the same SQLite file, with the nearest request it has: lists (unit, chapter,
  `fields=`) get the canned unit join of bench/datasette.yaml with the same unit, limit, offset
  and sort (no chapter filter and no column selection there: the whole rows of that page); CSV
  the same query's `.csv`; the measure item its canned query by id; units and chapters its row
  JSON. It has no search across scripts and no facets through the unit join: a search gets its
  table filter `text__contains` (or `text_hans__contains` for a Simplified word: a LIKE on one
  script's column), `facets=` gets its table view faceted by `chapter_id`, both with
  `_nosuggest=1` (no facet suggestions: its fastest table view, as `--immutable` is its fastest
  mode). It ignores gzip and sends no ETag, so its revalidations are plain requests.

Before the runs, every request is sent once to a set of the three servers, exactly as wrk sends
it: each must answer 200, and each revalidation with an ETag 304. Then each repetition starts
the three afresh and measures them one after another, each alone on the server core with
`wrk -t1 -c32 --latency` on the load core, in an order rotated each repetition, after a 1 s
warm-up with another seed (the same head of the list: our response cache holds the popular
requests, as a running server's would). It prints req/s, p50 and p99 per server and run, and
the medians of the ratios taken within each repetition (ours ÷ ceiling, ours ÷ Datasette).

Exit status: 0 when every request was answered with a 2xx or 3xx, 1 when a server failed or
answered an error, 3 when wrk, taskset or Datasette is missing.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
import urllib.parse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness as h  # noqa: E402

SCRIPT = h.BENCH / "mix.lua"
GZIP_SHARE, REVALIDATION_SHARE = 0.6, 0.1
# wrk's timeout, s: a slower answer would be left out of the latencies (a socket error); with a
# long tail (Datasette's table views), the p99 must include it.
TIMEOUT = 10
RATIOS = {"ours ÷ ceiling": (1, 0), "ours ÷ Datasette": (1, 2)}  # indices into (ceiling, ours, Datasette)
MEASURE_FIELDS = ("number", "title", "body", "chapter_number", "responsibility", "units")
MEASURE_FACETS = ("unit", "lead_unit", "chapter", "document")
CHINESE_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")


@dataclass(frozen=True)
class Request:
    kind: str
    ours: str  # path and query, for ours and the framework ceiling
    datasette: str
    gzip: bool
    revalidate: bool


@dataclass
class Data:
    """What the requests are made of, read from the database."""

    units: list[str]
    chapters: list[tuple[str, int]]  # id, number
    measures: list[str]
    runs: dict[str, list[str]]  # script -> runs of Chinese characters in the measures' text

    @classmethod
    def read(cls, database: Path) -> Data:
        texts = h.query(database, "select text, text_hans from measures order by id")
        return cls(
            units=[unit for (unit,) in h.query(database, "select id from units order by id")],
            chapters=h.query(database, "select id, number from chapters order by id"),
            measures=[measure for (measure,) in h.query(database, "select id from measures order by id")],
            runs={writing: [run for row in texts for run in CHINESE_RUN.findall(row[i])] for i, writing in enumerate(("hant", "hans"))},
        )


def url(path: str, params: dict[str, object]) -> str:
    """`path` with its query string: Chinese percent-encoded, commas left as users write them."""
    query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None}, safe=",", quote_via=urllib.parse.quote)
    return f"{path}?{query}" if query else path


def datasette_list(unit: str | None, limit: int | None, offset: int, sort: str | None = None, extension: str = "json") -> str:
    """Datasette's canned unit join (bench/datasette.yaml), a page as large as ours."""
    params = {"unit": unit, "limit": limit or 50, "offset": offset, "sort": sort}
    shape = {"_shape": "array", "_json": "units"} if extension == "json" else {}
    return url(f"/policy/measures_by_unit.{extension}", {**params, **shape})


def page(rng: random.Random) -> tuple[int | None, int]:
    """A page size (None: the default, 50) and an offset: half of them first pages."""
    limit = None if rng.random() < 0.2 else rng.randint(1, 100)
    return limit, 0 if rng.random() < 0.5 else rng.randint(1, 19)


def script(rng: random.Random) -> str | None:
    return "hans" if rng.random() < 0.25 else None


def word(rng: random.Random, runs: list[str]) -> str:
    """Two or three characters of a run of Chinese: a query with at least one hit."""
    run = rng.choice(runs)
    length = min(len(run), rng.choice((2, 2, 3)))
    start = rng.randrange(len(run) - length + 1)
    return run[start : start + length]


def unit_list(rng: random.Random, data: Data) -> tuple[str, str]:
    unit, (limit, offset) = rng.choice(data.units), page(rng)
    sort = "-number" if rng.random() < 0.15 else None
    ours = url("/v1/measures", {"unit": unit, "limit": limit, "offset": offset, "sort": sort, "script": script(rng)})
    return ours, datasette_list(unit, limit, offset, sort)


def chapter_list(rng: random.Random, data: Data) -> tuple[str, str]:
    (_, number), (limit, offset) = rng.choice(data.chapters), page(rng)
    ours = url("/v1/measures", {"chapter": number, "limit": limit, "offset": offset, "script": script(rng)})
    return ours, datasette_list(None, limit, offset)


def search(writing: str):
    column = "text" if writing == "hant" else "text_hans"

    def make(rng: random.Random, data: Data) -> tuple[str, str]:
        q, (limit, _) = word(rng, data.runs[writing]), page(rng)
        ours = url("/v1/measures", {"q": q, "limit": limit, "script": script(rng)})
        return ours, url("/policy/measures.json", {f"{column}__contains": q, "_size": limit or 50, "_shape": "array", "_nosuggest": 1})

    return make


def fields(rng: random.Random, data: Data) -> tuple[str, str]:
    chosen = ",".join(rng.sample(MEASURE_FIELDS, rng.randint(1, 3)))
    unit, (limit, offset) = rng.choice([None, *data.units]), page(rng)
    ours = url("/v1/measures", {"unit": unit, "fields": chosen, "limit": limit, "offset": offset})
    return ours, datasette_list(unit, limit, offset)


def facets(rng: random.Random, data: Data) -> tuple[str, str]:
    chosen = ",".join(rng.sample(MEASURE_FACETS, rng.randint(1, 2)))
    unit, (limit, _) = rng.choice([None, *data.units]), page(rng)
    ours = url("/v1/measures", {"unit": unit, "facets": chosen, "limit": limit, "script": script(rng)})
    return ours, url("/policy/measures.json", {"_facet": "chapter_id", "_size": limit or 50, "_nosuggest": 1})


def csv(rng: random.Random, data: Data) -> tuple[str, str]:
    unit, (limit, offset) = rng.choice([None, *data.units]), page(rng)
    ours = url("/v1/measures", {"unit": unit, "format": "csv", "limit": limit, "offset": offset, "script": script(rng)})
    return ours, datasette_list(unit, limit, offset, extension="csv")


def measure_item(rng: random.Random, data: Data) -> tuple[str, str]:
    measure = rng.choice(data.measures)
    ours = url(f"/v1/measures/{measure}", {"script": script(rng)})
    return ours, url(f"{h.DATASETTE_ITEM}", {"id": measure, "_shape": "array", "_json": "units"})


def unit_item(rng: random.Random, data: Data) -> tuple[str, str]:
    unit = rng.choice(data.units)
    return url(f"/v1/units/{unit}", {"script": script(rng)}), f"/policy/units/{unit}.json"


def chapter_item(rng: random.Random, data: Data) -> tuple[str, str]:
    chapter, _ = rng.choice(data.chapters)
    return url(f"/v1/chapters/{chapter}", {"script": script(rng)}), f"/policy/chapters/{chapter}.json"


# Each kind of request, its share of the list of distinct requests, and how to make one. The
# items are few (20 measures, 27 units, 5 chapters), so they fill less of the list than their share.
KINDS = {
    "list by unit": (30, unit_list),
    "list by chapter": (10, chapter_list),
    "search, Traditional": (8, search("hant")),
    "search, Simplified": (8, search("hans")),
    "fields=": (10, fields),
    "facets=": (8, facets),
    "format=csv": (6, csv),
    "measure item": (12, measure_item),
    "unit item": (5, unit_item),
    "chapter item": (3, chapter_item),
}


def requests_of(data: Data, count: int, seed: int) -> list[Request]:
    """`count` distinct requests (or as many as 50 draws each find), ranked in the order drawn:
    every kind spreads over the ranks by its share, and the few items fill the first ranks most."""
    rng = random.Random(seed)
    names, weights = list(KINDS), [share for share, _ in KINDS.values()]
    found: dict[tuple[str, bool, bool], Request] = {}
    for _ in range(50 * count):
        if len(found) == count:
            break
        kind = rng.choices(names, weights)[0]
        ours, datasette = KINDS[kind][1](rng, data)
        request = Request(kind, ours, datasette, rng.random() < GZIP_SHARE, rng.random() < REVALIDATION_SHARE)
        found.setdefault((ours, request.gzip, request.revalidate), request)
    return list(found.values())


def zipf_shares(requests: list[Request], exponent: float, key=lambda request: request.kind) -> Counter:
    """The expected share of the requests sent by `key` (by default, each kind's), from the ranks."""
    shares: Counter = Counter()
    for rank, request in enumerate(requests, 1):
        shares[key(request)] += rank**-exponent
    total = sum(shares.values())
    return Counter({kind: weight / total for kind, weight in shares.items()})


def path_of(server: h.Server, request: Request) -> str:
    return request.datasette if server.name == "datasette" else request.ours


def headers_of(request: Request, etag: str = "") -> dict[str, str]:
    return {**({"Accept-Encoding": "gzip"} if request.gzip else {}), **({"If-None-Match": etag} if etag else {})}


def held_etags(server: h.Server, requests: list[Request]) -> list[str]:
    """The ETag `server` gives now for each revalidating request ("" for the others, or none given)."""

    def etag(request: Request) -> str:
        if not request.revalidate:
            return ""
        return h.fetch_as_wrk(server.base + path_of(server, request), headers_of(request)).headers.get("etag", "")

    return in_parallel(etag, requests)


def check(server: h.Server, requests: list[Request]) -> int:
    """Send every request once as wrk will: 200 for each, 304 for a revalidation with the ETag
    just given. Returns how many revalidations got an ETag to send."""

    def check_one(request: Request) -> bool:
        path = path_of(server, request)
        reply = h.fetch_as_wrk(server.base + path, headers_of(request))
        if reply.status != 200:
            raise RuntimeError(f"{server.name} answered {reply.status} to {path}: {reply.body[:300]!r}")
        etag = reply.headers.get("etag", "") if request.revalidate else ""
        if etag and (status := h.fetch_as_wrk(server.base + path, headers_of(request, etag)).status) != 304:
            raise RuntimeError(f"{server.name} answered {status} to {path} with If-None-Match: {etag}")
        return bool(etag)

    return sum(in_parallel(check_one, requests))


def in_parallel(function, items: list) -> list:
    """`function` over `items` from 8 threads: the servers answer while the client waits."""
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(function, items))


def requests_file(server: h.Server, requests: list[Request], etags: list[str], workdir: Path) -> Path:
    """The ranked requests as `server` is asked them, one a line for bench/mix.lua."""
    file = workdir / f"requests-{server.name}.tsv"
    lines = (f"{path_of(server, r)}\t{'gzip' if r.gzip else ''}\t{etag}\n" for r, etag in zip(requests, etags, strict=True))
    file.write_text("".join(lines))
    return file


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    h.add_run_arguments(parser, smoke_help="1 s, 1 repetition, 300 requests: checks that every server answers")
    parser.add_argument("--requests", type=int, default=3000, help="distinct requests in the list (default 3000)")
    parser.add_argument("--zipf", type=float, default=1.0, help="Zipf exponent over the ranks (default 1.0)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the list of requests (default 1)")
    args = h.parse_run_arguments(parser, requests=300)
    return h.run_in_workdir(lambda workdir: run(args, workdir), "mix benchmark", prefix="policy-mix-")


def run(args: argparse.Namespace, workdir: Path) -> int:
    started = time.monotonic()
    database = h.database_for(args.database, workdir)
    requests = requests_of(Data.read(database), args.requests, args.seed)
    revalidations = sum(r.revalidate for r in requests)
    print(f"machine: {h.machine()}; here each server alone on core {h.SERVER_CORE}, wrk -t1 -c32 --latency")
    print(f"versions: {', '.join(f'{k} {v}' for k, v in h.versions().items())}")
    print(
        f"{len(requests):,} distinct requests ({len({r.ours for r in requests}):,} distinct URLs; seed {args.seed}), "
        f"Zipf exponent {args.zipf} over their ranks; gzip in {sum(r.gzip for r in requests):,}, revalidations {revalidations:,}"
    )
    shares = zipf_shares(requests, args.zipf)
    print("share of the requests sent, by kind: " + ", ".join(f"{kind} {shares[kind]:.1%}" for kind in KINDS))
    gzip, revalidating = (zipf_shares(requests, args.zipf, key)[True] for key in (lambda r: r.gzip, lambda r: r.revalidate))
    print(f"share of the requests sent with Accept-Encoding: gzip {gzip:.1%}, revalidations {revalidating:.1%}")

    servers = h.start_ceiling_ours_datasette(workdir, database)
    try:
        held = {server.name: check(server, requests) for server in servers}
    finally:
        for server in servers:
            server.stop()
    print(
        f"each request answered 200 by each server; ETags held for the {revalidations} revalidations (each answered 304), "
        + ", ".join(f"{name} {count}" for name, count in held.items())
        + ": a revalidation without one is sent as a plain request"
    )
    print(f"{max(1, round(args.duration))} s per run, {args.repetitions} run(s), each on new servers; latency in ms")
    print()
    print(
        "| run | ceiling req/s | ours req/s | Datasette req/s | ceiling p50 / p99 | ours p50 / p99 | Datasette p50 / p99 "
        "| ours ÷ ceiling | ours ÷ Datasette |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    results: list[list[h.WrkResult]] = []
    ratios: dict[str, list[float]] = {label: [] for label in RATIOS}
    for repetition in range(1, args.repetitions + 1):
        servers = h.start_ceiling_ours_datasette(workdir, database)
        try:
            files = [str(requests_file(server, requests, held_etags(server, requests), workdir)) for server in servers]
            exponent = str(args.zipf)
            measured = [[file, str(repetition), exponent] for file in files]
            warm_up = [[file, str(repetition + 1_000_000), exponent] for file in files]
            runs = h.apart(servers, SCRIPT, measured, warm_up, args.duration, repetition, timeout=TIMEOUT)
        finally:
            for server in servers:
                server.stop()
        if any(not r.requests or r.errors for r in runs):
            raise RuntimeError(f"a server failed or answered errors under load: {runs}")
        results.append(runs)
        for label, (numerator, denominator) in RATIOS.items():
            ratios[label].append(runs[numerator].rps / runs[denominator].rps)
        cells = [f"{r.rps:,.0f}" for r in runs] + [f"{r.p50_ms:.1f} / {r.p99_ms:.1f}" for r in runs]
        print(f"| {repetition} | {' | '.join(cells + [f'{v[-1]:.3f}' for v in ratios.values()])} |", flush=True)
    print()
    for index, name in enumerate(("ceiling", "ours", "Datasette")):
        runs = [repetition[index] for repetition in results]
        figures = {what: h.median([getattr(r, what) for r in runs]) for what in ("rps", "p50_ms", "p99_ms")}
        print(
            f"{name}: median {figures['rps']:,.0f} req/s, p50 {figures['p50_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms; "
            f"{sum(r.requests for r in runs):,} requests, {sum(r.errors for r in runs)} errors"
        )
    for label, values in ratios.items():
        print(f"{label} (req/s within each run): median {h.median(values):.3f} ({min(values):.3f} to {max(values):.3f})")
    others = [r.other_cpu for runs in results for r in runs if r.other_cpu is not None]
    print(f"other processes during the measured runs: median {h.median(others):.2f}, max {max(others):.2f} of a core")
    print(f"took {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
