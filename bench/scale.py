"""Scale: does a query cost the same on 1,000 documents as on the one real document?

    python3 bench/scale.py [--documents 1000] [--requests N] [--repetitions N] [--workdir DIR]

1. Writes a synthetic corpus into a temporary directory (never into the repo): N copies of
   seed/documents/000_5373e258ee6222e7.txt numbered 連政綜〔2021〕1000號, 1001號, ... so each is a
   distinct document, with the two quotation-mark errors of the original fixed (the errata in
   seed/data/errata.toml name the real document's number only, and the build refuses a quotation
   mark no erratum accounts for).
2. Builds one database from all of them with `python3 -m api.cli build <paths> --database-url ...`
   and reports the build time, and builds the one-document database beside it.
3. Runs our API on each (pinned to core 1, the response cache off so that no replayed answer
   hides the cost) and measures first requests for a paged unit-filtered list and a full-text
   query: each run sends the same N distinct query strings to both databases, over 32 keep-alive
   connections from a client on core 0 (`harness.replay`; a timed wrk run would send the faster
   server further into the pool, where its memos are warmer), interleaved. It prints the server
   CPU per request and the cost ratio 1,000 documents / 1 document.
4. Streams the full-corpus CSV export from a fresh server and reports its peak RSS during the
   download (or "not available" when the endpoint answers 404).

Timings are printed, never asserted. Exit status: 0 when it ran, 1 on a failure, 3 when a
prerequisite is missing.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness as h  # noqa: E402

SOURCE = h.ROOT / "seed" / "documents" / "000_5373e258ee6222e7.txt"
NUMBER = "連政綜〔2021〕127號"
# The raw text carries pinyin annotations (發(fā)展): these are the exact strings of the source.
VARIANTS = ("", "sort=-number&", "script=hans&", "sort=-number&script=hans&")
QUOTE_FIXES = {"發(fā)展”的貫徹": "發(fā)展的貫徹", "設立”辦不成事“窗口": "設立“辦不成事”窗口"}


class Measurement:
    """One query kind on one server: a pool of distinct paths, consumed once, in order."""

    def __init__(self, name: str, server: h.Server, pool: list[str]):
        self.name, self.server, self.pool = name, server, pool
        self.next = 0  # the pool index of the next unused query string
        self.latencies: list[float] = []
        self.results: list[h.WrkResult] = []

    def probe(self, budget: float = 10.0) -> None:
        """Up to three sequential first requests, fewer when they take more than `budget` seconds."""
        began = time.monotonic()
        while len(self.latencies) < 3 and time.monotonic() - began < budget:
            path = self.pool[self.next % len(self.pool)]
            self.next += 1
            started = time.monotonic()
            reply = h.fetch(self.server.base + path, timeout=900)
            if reply.status != 200:
                raise RuntimeError(f"{path} answered {reply.status}: {reply.body[:300]!r}")
            self.latencies.append(time.monotonic() - started)

    @property
    def slow(self) -> bool:
        return h.median(self.latencies) > 0.5  # 32 in flight at a time: minutes per run

    def run(self, requests: int, retries: int = 2) -> h.WrkResult:
        """The next `requests` paths of the pool, each sent once (the same ones to every server
        measured with this pool), repeated up to `retries` times while other processes disturb
        it; the least disturbed attempt counts."""
        attempts = [self._replay(requests)]
        while h.disturbed(attempts[-1]) and len(attempts) <= retries:
            print(f"    disturbed ({attempts[-1].other_cpu:.2f} core used by other processes), again", flush=True)
            h.wait_quiet(30)
            attempts.append(self._replay(requests))
        result = min(attempts, key=lambda r: r.other_cpu or 0.0)
        self.results.append(result)
        return result

    def _replay(self, requests: int) -> h.WrkResult:
        paths = [self.pool[(self.next + i) % len(self.pool)] for i in range(requests)]
        self.next += requests
        return h.replay(self.server, paths)

    @property
    def method(self) -> str:
        if not self.results:
            return "sequential"
        return "replay" if self.next <= len(self.pool) else f"replay (pool of {len(self.pool):,} wrapped: strings repeat)"

    @property
    def cost_us(self) -> float:
        """Server CPU per request, median of the runs (or the median latency of sequential probes)."""
        costs = [r.server_cpu_us for r in self.results if r.server_cpu_us]
        return h.median(costs) if costs else h.median(self.latencies) * 1e6

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.results)


def write_corpus(directory: Path, documents: int) -> list[Path]:
    text = SOURCE.read_text(encoding="utf-8")
    if not text.startswith(NUMBER + "\n"):
        raise RuntimeError(f"{SOURCE} no longer starts with {NUMBER}: update bench/scale.py")
    for raw, fixed in QUOTE_FIXES.items():
        if text.count(raw) != 1:
            raise RuntimeError(f"{SOURCE}: expected {raw!r} exactly once: update bench/scale.py")
        text = text.replace(raw, fixed)
    body = text[len(NUMBER) :]
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(documents):
        year, serial = 2021 + index // 1000, 1000 + index % 1000  # 〔2021〕1000號 .. 〔2021〕1999號, then 〔2022〕...
        path = directory / f"{index:04d}.txt"
        path.write_text(f"連政綜〔{year}〕{serial}號{body}", encoding="utf-8")
        paths.append(path)
    return paths


def unit_pool(database: Path) -> list[str]:
    """Unit-filtered pages that are full on the one-document database (limit <= what is left after
    the offset), in both scripts and both orders, shuffled: both databases return pages of the
    same size, so the ratio measures the corpus, not the page size."""
    counts = h.query(database, "select unit_id, count(distinct measure_id) from measure_units group by unit_id order by unit_id")
    pool = [
        f"/v1/measures?unit={urllib.parse.quote(u)}&{variant}limit={limit}&offset={offset}"
        for u, count in counts
        for variant in VARIANTS
        for offset in range(count)
        for limit in range(1, count - offset + 1)
    ]
    random.Random(0).shuffle(pool)
    return pool


def deep_pool(database: Path) -> list[str]:
    """Pages of 20 anywhere in the 1,000-document result, deep offsets included."""
    counts = h.query(database, "select unit_id, count(distinct measure_id) from measure_units group by unit_id order by unit_id")
    pool = [f"/v1/measures?unit={urllib.parse.quote(u)}&limit=20&offset={offset}" for u, count in counts for offset in range(count)]
    random.Random(1).shuffle(pool)
    return pool


def search_pool(database: Path) -> list[str]:
    """Full-text queries: every distinct 2- and 3-character run of Chinese in the measures'
    Simplified text, each with page sizes that are full on the one-document database (1, half and
    all of its matches there, at most 30), in both orders, shuffled."""
    texts = [row[0] for row in h.query(database, "select title_hans || ' ' || body_hans from measures")]
    needles = set()
    for text in texts:
        for run in re.findall(r"[\u4e00-\u9fff]+", text):
            needles.update(run[i : i + n] for n in (2, 3) for i in range(len(run) - n + 1))
    pool = []
    for q in sorted(needles):
        matches = sum(q in text for text in texts)
        for limit in sorted({1, (matches + 1) // 2, min(matches, 30)}):
            pool += [f"/v1/measures?q={urllib.parse.quote(q)}&{sort}limit={limit}" for sort in ("", "sort=-number&")]
    random.Random(2).shuffle(pool)
    return pool


def schema(database: Path) -> list[tuple]:
    """The tables and their declared version (which also covers what the search index holds)."""
    tables = h.query(database, "select type, name, sql from sqlite_master order by type, name")
    return tables + h.query(database, "select value from dataset_info where key = 'schema_version'")


def write_exports(database: Path) -> str:
    """`python3 -m api.cli export`, unless the build already wrote the dumps; its time and peak RSS."""
    if (database.parent / "exports" / "current").exists():  # the pointer to the release it wrote
        return "already written by the build"
    command = [sys.executable, "-m", "api.cli", "export", "--database-url", f"sqlite:///{database}"]
    status, output, seconds, peak = h.run_measured(command)
    if status != 0:
        return f"`policy-api export` failed ({status}): {output.strip()[-300:]}"
    return f"`policy-api export` took {seconds:.1f} s, peak RSS {peak:.0f} MiB"


def export_paths(server: h.Server, path: str) -> list[str]:
    """`path` if the server has it, else every measures.csv that /v1/exports lists (one a script)."""
    head = urllib.request.Request(server.base + path, method="HEAD")
    try:
        with urllib.request.urlopen(head, timeout=60):
            return [path]
    except urllib.error.HTTPError as error:
        if error.code != 404:
            return [path]  # reported by stream_export
    listing = h.fetch(server.base + "/v1/exports")
    if listing.status != 200:
        return [path]
    found = [f["url"] for f in json.loads(listing.body).get("files", []) if f.get("name", "").rsplit("/", 1)[-1] == "measures.csv"]
    return found or [path]


def stream_export(server: h.Server, path: str) -> str:
    """Download `path` in 64 KiB chunks while sampling the server's RSS."""
    before = h.memory_mib(server.pid)["VmRSS"]
    started, size, first_byte = time.monotonic(), 0, None
    with h.PeakRss(server.pid) as rss:
        try:
            with urllib.request.urlopen(server.base + path, timeout=600) as response:
                while chunk := response.read(65536):
                    first_byte = first_byte or time.monotonic() - started
                    size += len(chunk)
        except urllib.error.HTTPError as error:
            return f"not available ({error.code}: {error.read()[:200].decode(errors='replace')})"
    return (
        f"{size / 2**20:,.1f} MiB in {time.monotonic() - started:.1f} s (first byte after {first_byte or 0:.2f} s); "
        f"server RSS before {before:.1f} MiB, peak during the download {max(rss.peak, before):.1f} MiB (target < 200 MiB)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=1000, help="synthetic documents (default 1000)")
    parser.add_argument("--requests", type=int, default=2000, help="query strings per run, the same for both databases (default 2000)")
    parser.add_argument("--repetitions", type=int, default=3, help="interleaved repetitions (default 3)")
    parser.add_argument("--workdir", type=Path, help="keep the corpus and databases here and reuse them on the next run")
    parser.add_argument("--export-path", default="/v1/exports/measures.csv", help="the full-corpus CSV export")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="policy-scale-"))
    try:
        return h.run_main(lambda: run(args, workdir.resolve()), "scale benchmark")
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)


def run(args: argparse.Namespace, workdir: Path) -> int:
    # Each database in its own folder: the build writes its dumps into exports/ beside it.
    one, many = workdir / "one" / "policy.sqlite3", workdir / f"corpus-{args.documents}" / "policy.sqlite3"
    h.build_database(one)  # seconds: always current
    if many.exists() and schema(many) == schema(one):
        print(f"reusing {many}")
    else:
        paths = write_corpus(workdir / "corpus", args.documents)
        print(f"wrote {len(paths):,} synthetic documents into {paths[0].parent}; building ...", flush=True)
        seconds, peak = h.build_database(many, paths)
        dumps = ", including the dumps" if (many.parent / "exports").exists() else ""
        print(f"built {many} ({many.stat().st_size / 2**20:,.1f} MiB) in {seconds:.1f} s{dumps}; peak RSS of the build {peak:,.0f} MiB")
    counts = {db: h.query(db, "select count(*) from documents")[0][0] for db in (one, many)}
    print(
        f"documents: {counts[one]} and {counts[many]:,}; measures: "
        f"{h.query(one, 'select count(*) from measures')[0][0]} and {h.query(many, 'select count(*) from measures')[0][0]:,}"
    )

    servers = {}
    for db in (one, many):
        # The response cache off: a pool that wraps must still measure queries, not replays.
        env = {"DATABASE_URL": f"sqlite:///{db}", "RESPONSE_CACHE_ENTRIES": "0"}
        server = h.spawn(f"ours-{db.parent.name}", h.uvicorn_argv("api.main:app"), workdir, env)
        h.wait_ready(server, "/healthz", timeout=120)
        servers[db] = server

    queries = {
        "paged unit filter (first pages)": (unit_pool(one), (one, many)),
        "full-text q (first requests)": (search_pool(one), (one, many)),
        "paged unit filter, limit 20 at any offset": (deep_pool(many), (many,)),
    }
    runs = {}
    for name, (pool, databases) in queries.items():
        print(f"pool '{name}': {len(pool):,} distinct query strings, e.g. {pool[0]}")
        for db in databases:
            runs[(name, db)] = Measurement(name, servers[db], pool)

    # A first request so slow that 32 in flight would take minutes is measured by sequential requests.
    for (name, db), measurement in runs.items():
        measurement.probe()
        print(
            f"  first requests, {name} on {counts[db]:,} document(s): "
            + ", ".join(f"{s * 1e3:,.1f} ms" for s in measurement.latencies)
            + ("  -> too slow: cost from these sequential requests" if measurement.slow else ""),
            flush=True,
        )
    for name in queries:  # both databases continue from the same place in the pool
        start = max(m.next for (n, _), m in runs.items() if n == name)
        for (n, _), measurement in runs.items():
            measurement.next = start if n == name else measurement.next

    # Interleaved: (query, database) pairs in a rotating order. Each run sends the next --requests
    # strings of its pool, so both databases answer exactly the same query strings, each once
    # (until a pool wraps), whatever their speed.
    live = [key for key, measurement in runs.items() if not measurement.slow]
    for repetition in range(args.repetitions if live else 0):
        shift = repetition % len(live)
        for name, db in live[shift:] + live[:shift]:
            result = runs[(name, db)].run(args.requests)
            print(
                f"  [{repetition + 1}/{args.repetitions}] {name} on {counts[db]:,} document(s): "
                f"{result.server_cpu_us:,.0f} µs of server CPU a request, {result.rps:,.0f} req/s"
                + (f", {result.errors} errors" if result.errors else ""),
                flush=True,
            )

    print(f"\nmachine: {h.machine()}")
    print(
        f"{args.requests:,} distinct query strings per run over 32 keep-alive connections, the same strings for both databases, "
        f"{args.repetitions} repetition(s), medians; µs/req = server CPU (utime + stime) per request, "
        "or the median latency of sequential first requests\n"
    )
    n = f"{counts[many]:,} docs"
    print(f"| query | 1 doc µs/req | {n} µs/req | cost ratio {n} / 1 doc (target <= 3) | measured by | errors |")
    print("|---|---:|---:|---:|---|---:|")
    for name, (_, databases) in queries.items():
        small = runs[(name, one)] if one in databases else runs[("paged unit filter (first pages)", one)]
        large = runs[(name, many)]
        how = " / ".join(sorted({m.method for m in (small, large)}))
        errors = small.errors + large.errors if one in databases else large.errors
        label = name if one in databases else f"{name} ({n} only, against first pages on 1 doc)"
        print(f"| {label} | {small.cost_us:,.0f} | {large.cost_us:,.0f} | {large.cost_us / small.cost_us:,.2f} | {how} | {errors} |")
    busy = [r.other_cpu for m in runs.values() for r in m.results if r.other_cpu is not None]
    if busy:
        quiet = "  <- the machine was not quiet: figures are noisy" if max(busy) > h.QUIET else ""
        print(f"other processes during the runs: median {h.median(busy):.2f}, max {max(busy):.2f} of a core{quiet}")
    for db, server in servers.items():
        memory = h.memory_mib(server.pid)
        print(f"our RSS after the runs on {counts[db]:,} document(s): {memory['VmRSS']:.1f} MiB (peak {memory['VmHWM']:.1f} MiB)")
        server.stop()

    print(f"dumps of the {counts[many]:,}-document database: {write_exports(many)}", flush=True)
    fresh = h.spawn("ours-export", h.uvicorn_argv("api.main:app"), workdir, {"DATABASE_URL": f"sqlite:///{many}"})
    h.wait_ready(fresh, "/healthz", timeout=120)
    for path in export_paths(fresh, args.export_path):
        print(f"CSV export {path} on {counts[many]:,} documents: {stream_export(fresh, path)}", flush=True)
    fresh.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
