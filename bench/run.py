"""Serve every response near the framework-free limit, measured against Datasette in one run.

    python3 bench/run.py [--duration S] [--repetitions N] [--smoke] [--retries N] [--wait-quiet S]
                         [--database PATH] [--json OUT]

Builds the database (or reuses --database), starts our API, Datasette over the same SQLite file and
four reference apps (bench/reference_apps.py), each pinned to core 1 with one uvicorn worker, and
drives each with `wrk -t1 -c32 --latency` pinned to core 0. The rows are run N times interleaved
and the table shows medians. Absolute figures drift between runs: read the ratios, which compare
servers measured side by side. See bench/README.md.

Exit status: 0 when every server answered (timings are reported, never asserted), 1 when a server
failed to start or answer, 3 when a prerequisite (wrk, taskset, Datasette) is missing.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness as h  # noqa: E402


@dataclass
class Row:
    key: str
    label: str
    server: h.Server | None
    path: str
    size: int = 0
    baseline: str | None = None  # the bare-ASGI row whose req/s this row is a share of
    datasette: str | None = None  # the Datasette row this row is compared with
    headers: list[str] = field(default_factory=list)
    pool: Path | None = None  # distinct paths, one a line: a first-request (cold) row
    unavailable: str | None = None  # why the row cannot be measured, shown instead of figures
    results: list[h.WrkResult] = field(default_factory=list)

    def median(self, attribute: str) -> float | None:
        values = [getattr(r, attribute) for r in self.results if getattr(r, attribute) is not None]
        return h.median(values) if values else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    # 9 repetitions: the item row's median sits ~5% above its target, and single repetitions stray ~10% either way.
    h.add_run_arguments(
        parser,
        duration=5,
        repetitions=9,
        repetitions_help="interleaved repetitions of the whole set",
        smoke_help="1 s per run, 1 repetition, no retries: checks that every server answers",
    )
    parser.add_argument(
        "--retries", type=int, default=2, help="repeat a wrk run disturbed by other processes up to this many times (default 2)"
    )
    parser.add_argument(
        "--wait-quiet", type=float, default=30, help="before repeating a disturbed run, wait up to this many seconds for quiet (default 30)"
    )
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = h.parse_run_arguments(parser, retries=0)
    return h.run_in_workdir(lambda workdir: run(args, workdir), "benchmark", prefix="policy-bench-")


def run(args: argparse.Namespace, workdir: Path) -> int:
    database = h.database_for(args.database, workdir, announce=True)
    link = h.datasette_link(workdir, database)

    subjects = h.subjects(database)
    unit, unit_count, measure_id = subjects.unit, subjects.unit_count, subjects.measure_id
    list_path, item_path = subjects.list_path, subjects.item_path
    print(f"unit with the most measures: {unit} ({unit_count}; ties broken by id); measure: {measure_id}")

    # Our API first: its response bodies decide what the bare apps serve.
    env = {"DATABASE_URL": f"sqlite:///{database}"}
    ours = h.spawn("ours", h.uvicorn_argv("api.main:app"), workdir, env)
    h.wait_ready(ours, "/healthz")
    our_list, our_item = h.fetch(ours.base + list_path), h.fetch(ours.base + item_path)

    datasette = h.spawn("datasette", h.datasette_argv(link), workdir)
    list_count = (h.items_in(our_list.body) if our_list.status == 200 else None) or unit_count
    ds_list_path, ds_item_path = subjects.datasette_list_path(list_count), subjects.datasette_item_path
    ds_list = h.wait_ready(datasette, ds_list_path, timeout=60)
    ds_item = h.fetch(datasette.base + ds_item_path)
    for path, reply in ((ds_list_path, ds_list), (ds_item_path, ds_item)):
        if reply.status != 200:
            raise RuntimeError(f"Datasette answered {reply.status} to {path}: {reply.body[:300]!r}")

    # The bare apps serve exactly our bytes at our paths (Datasette's when ours are not there yet).
    bodies = {
        list_path: our_list.body if our_list.status == 200 else ds_list.body,
        item_path: our_item.body if our_item.status == 200 else ds_item.body,
    }
    references = {
        name: h.spawn_reference(name, workdir, bodies, database) for name in ("bare", "fastapi_bytes", "fastapi_models", "sqlmodel_sync")
    }
    probes = {
        "bare": list_path,
        "fastapi_bytes": list_path,
        "fastapi_models": "/models",
        "sqlmodel_sync": f"/measures?unit={urllib.parse.quote(unit)}",
    }
    for name, server in references.items():
        h.wait_ok(server, probes[name])

    rows = make_rows(
        database, workdir, ours, datasette, references, probes, list_path, item_path, our_list, our_item, ds_list_path, ds_item_path, bodies
    )
    memory = {"ours after start-up": h.memory_mib(ours.pid)}
    measure(rows, args, ours, memory)
    memory["datasette after the run"] = h.memory_mib(datasette.pid)
    cold_start = measure_cold_start(args, workdir, env, list_path, datasette, ds_list_path, link)

    print()
    print(f"machine: {h.machine()}")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in h.versions().items()))
    print(f"wrk -t1 -c32 -d{max(1, round(args.duration))}s --latency, {args.repetitions} interleaved repetition(s), medians")
    print()
    print_table(rows)
    print()
    print_summary(rows, memory, cold_start, our_list.status == 200)
    if args.json:
        args.json.write_text(json.dumps(report(rows, memory, cold_start, args), indent=2, ensure_ascii=False))
    failed = [row.label for row in rows if not row.unavailable and not any(r.requests for r in row.results)]
    if failed:
        print(f"\nno request completed for: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def make_rows(
    database, workdir, ours, datasette, references, probes, list_path, item_path, our_list, our_item, ds_list_path, ds_item_path, bodies
) -> list[Row]:
    size = {list_path: len(bodies[list_path]), item_path: len(bodies[item_path])}
    not_there = {
        path: None if reply.status == 200 else f"endpoint not available ({reply.status})"
        for path, reply in ((list_path, our_list), (item_path, our_item))
    }
    rows = [
        Row("bare_list", f"bare ASGI app, fixed bytes ({size[list_path]:,} B, list size)", references["bare"], list_path, size[list_path]),
        Row("bare_item", f"bare ASGI app, fixed bytes ({size[item_path]:,} B, item size)", references["bare"], item_path, size[item_path]),
        Row(
            "fastapi_bytes",
            "FastAPI route returning the same fixed bytes (list size)",
            references["fastapi_bytes"],
            list_path,
            size[list_path],
            baseline="bare_list",
        ),
        Row(
            "fastapi_models",
            "FastAPI + 20 response models built per request",
            references["fastapi_models"],
            probes["fastapi_models"],
            baseline="bare_list",
        ),
        Row("datasette_list", "Datasette, canned query with the unit join (list)", datasette, ds_list_path, baseline="bare_list"),
        Row("datasette_item", "Datasette, canned query by id (item)", datasette, ds_item_path, baseline="bare_item"),
        Row(
            "sqlmodel_sync",
            "FastAPI + a SQLModel query per request, sync def",
            references["sqlmodel_sync"],
            probes["sqlmodel_sync"],
            baseline="bare_list",
        ),
        Row(
            "ours_list",
            f"ours: GET {list_path} (repeated)",
            ours,
            list_path,
            baseline="bare_list",
            datasette="datasette_list",
            unavailable=not_there[list_path],
        ),
        Row(
            "ours_item",
            "ours: GET /v1/measures/{id} (repeated)",
            ours,
            item_path,
            baseline="bare_item",
            datasette="datasette_item",
            unavailable=not_there[item_path],
        ),
    ]
    for kind, path, reply in (("list", list_path, our_list), ("item", item_path, our_item)):
        row = Row(
            f"ours_{kind}_304",
            f"ours: {kind}, If-None-Match -> 304",
            ours,
            path,
            baseline=f"bare_{kind}",
            datasette=f"datasette_{kind}",
            unavailable=not_there[path],
        )
        if not row.unavailable:
            etag = reply.headers.get("etag")
            revalidated = h.fetch(ours.base + path, {"If-None-Match": etag}) if etag else None
            if not etag:
                row.unavailable = "no ETag header"
            elif revalidated.status != 304:
                row.unavailable = f"If-None-Match answered {revalidated.status}, not 304"
            else:
                row.headers = [f"If-None-Match: {etag}"]
        rows.append(row)

    # First requests: many distinct valid (unit, limit, offset) combinations, the same for both.
    ours_pool, ds_pool, note = cold_pools(database, ours)
    ds_cold = Row("datasette_cold", "Datasette, list, distinct query strings (first requests)", datasette, "/", baseline="bare_list")
    our_cold = Row(
        "ours_cold",
        "ours: list, distinct query strings (first requests)",
        ours,
        "/",
        baseline="bare_list",
        datasette="datasette_cold",
        unavailable=note,
    )
    if ours_pool:
        our_cold.pool, ds_cold.pool = workdir / "ours.paths", workdir / "datasette.paths"
        our_cold.pool.write_text("\n".join(ours_pool) + "\n")
        ds_cold.pool.write_text("\n".join(ds_pool) + "\n")
        print(f"first-request pools: {len(ours_pool):,} distinct (unit, sort, script, limit, offset) combinations, shuffled")
    else:
        ds_cold.unavailable = "no pool (our list endpoint not available)"
    rows += [ds_cold, our_cold]
    return rows


def cold_pools(database: Path, ours: h.Server) -> tuple[list[str], list[str], str | None]:
    """Every (unit or none, limit 1..max, offset inside the result, sort, script) that returns a
    non-empty page: 44,400 query strings today, so a run does not exhaust them. Datasette's pool
    has the same strings (it ignores `script`, its rows carry both scripts); it has no response
    cache, so the script and sort variants cost it what the plain ones do."""
    counts = h.query(database, "select unit_id, count(distinct measure_id) from measure_units group by unit_id order by unit_id")
    counts.append(("", h.query(database, "select count(*) from measures")[0][0]))
    unit = counts[0][0]
    max_limit = None
    for limit in (100, 50, 20, 10):  # the largest page size the API accepts
        reply = h.fetch(f"{ours.base}/v1/measures?unit={urllib.parse.quote(unit)}&limit={limit}&offset=0")
        if reply.status == 200:
            max_limit = limit
            break
    if max_limit is None:
        return [], [], f"endpoint not available ({reply.status} to ?unit=&limit=&offset=)"
    if h.fetch(f"{ours.base}/v1/measures?limit=1&offset=0").status != 200:
        counts.pop()  # no unfiltered list: keep to unit filters
    variants = [v for v in ("", "sort=-number&", "script=hans&", "sort=-number&script=hans&") if _accepted(ours, v)]
    combos = [
        (u, variant, limit, offset)
        for u, count in counts
        for variant in variants
        for limit in range(1, max_limit + 1)
        for offset in range(count)
    ]
    random.Random(0).shuffle(combos)  # the same order for both servers
    ours_pool, ds_pool = [], []
    for u, variant, limit, offset in combos:
        query = (f"unit={urllib.parse.quote(u)}&" if u else "") + f"{variant}limit={limit}&offset={offset}"
        ours_pool.append(f"/v1/measures?{query}")
        ds_pool.append(f"{h.DATASETTE_LIST}?{query}&{h.DATASETTE_SHAPE}")
    return ours_pool, ds_pool, None


def _accepted(ours: h.Server, variant: str) -> bool:
    return h.fetch(f"{ours.base}/v1/measures?{variant}limit=1").status == 200


def measure(rows: list[Row], args: argparse.Namespace, ours: h.Server, memory: dict) -> None:
    """Run every live row once per repetition, in a rotating order, each repetition on new server
    processes: one process keeps a bias of its own (up to 10% on a row here, from where its
    memory landed), which only new processes average out."""
    starts: dict[Path, int] = {}  # where each pool's next run begins: no string is sent twice until it wraps
    most_in_one_process: dict[Path, int] = {}  # the most strings of each pool sent in one repetition
    live = [row for row in rows if not row.unavailable]
    for repetition in range(args.repetitions):
        if repetition:
            print(f"  [{repetition + 1}/{args.repetitions}] new server processes ...", flush=True)
            restart_servers(live)
        warm_up(live, args)
        begun = dict(starts)
        shift = repetition % len(live)  # rotate the order so no row always runs first or last
        for row in live[shift:] + live[:shift]:
            print(f"  [{repetition + 1}/{args.repetitions}] {row.label} ...", end="", flush=True)
            attempts = []
            for attempt in range(1 + args.retries):
                if row.pool:
                    start = starts.get(row.pool, 0)
                    result = h.wrk(
                        row.server.base + "/",
                        args.duration,
                        row.server.pid,
                        script=h.BENCH / "paths.lua",
                        script_args=[str(row.pool), str(start)],
                    )
                    starts[row.pool] = start + result.requests + 64  # wrk keeps up to 32 requests in flight
                else:
                    result = h.wrk(row.server.base + row.path, args.duration, row.server.pid, headers=row.headers)
                attempts.append(result)
                if not h.disturbed(result) or attempt == args.retries:
                    break
                print(f" disturbed ({result.other_cpu:.2f} core used by other processes), again ...", end="", flush=True)
                h.wait_quiet(args.wait_quiet)
            result = min(attempts, key=lambda r: r.other_cpu or 0.0)  # the least disturbed attempt
            row.results.append(result)
            print(f" {result.rps:,.0f} req/s" + (f", {result.errors} errors" if result.errors else ""))
        # Our RSS after each repetition, thousands of distinct query strings later: the caches are bounded.
        memory[f"ours after repetition {repetition + 1}"] = h.memory_mib(ours.pid)
        for pool, end in starts.items():
            most_in_one_process[pool] = max(most_in_one_process.get(pool, 0), end - begun.get(pool, 0))
    for row in rows:
        if row.pool and row.results:
            # Each repetition runs on new processes: a string sent again in a later one is still a
            # first request for the process that answers it. Only a wrap within one repetition repeats.
            pool_size = sum(1 for _ in row.pool.open())
            if most_in_one_process.get(row.pool, 0) > pool_size:
                harmless = "; it has no response cache" if row.key.startswith("datasette") else ""
                row.label += f" [pool of {pool_size:,} wrapped within a repetition{harmless}]"


def restart_servers(rows: list[Row]) -> None:
    """New processes for the servers of `rows`, each ready at the path of one of its rows."""
    ready_at = {id(row.server): (row.server, row.path) for row in reversed(rows) if not row.pool}
    for server, _ in ready_at.values():
        server.restart()
    for server, path in ready_at.values():
        h.wait_ok(server, path, timeout=60)


def warm_up(rows: list[Row], args: argparse.Namespace) -> None:
    """A few requests to each server and path before it is measured (ours stores its answers)."""
    for row in rows:
        if not row.pool:
            for _ in range(3 if args.smoke else 20):
                h.fetch_as_wrk(row.server.base + row.path, dict(x.split(": ", 1) for x in row.headers))


def measure_cold_start(args, workdir, env, list_path, datasette, ds_list_path, link) -> dict[str, list]:
    """Spawn to first 200: our /healthz, then our list endpoint; Datasette's list for comparison."""
    times: dict[str, list] = {"ours /healthz": [], "ours list": [], "datasette list": []}
    for _ in range(args.repetitions):
        fresh = h.spawn("ours-cold", h.uvicorn_argv("api.main:app"), workdir, env)
        health, first = h.time_to_first_200(fresh, ["/healthz", list_path])
        fresh.stop()
        times["ours /healthz"].append(health)
        times["ours list"].append(first)
        fresh = h.spawn("datasette-cold", h.datasette_argv(link), workdir)
        times["datasette list"].append(h.time_to_first_200(fresh, [ds_list_path], timeout=60)[0])
        fresh.stop()
    return times


def _fmt(value: float | None, spec: str = ",.0f") -> str:
    return "" if value is None else format(value, spec)


def print_table(rows: list[Row]) -> None:
    by_key = {row.key: row for row in rows}
    header = [
        "server",
        "req/s",
        "µs/req (1e6/req/s)",
        "server CPU µs/req",
        "p50 ms",
        "p99 ms",
        "share of bare ASGI",
        "× Datasette",
        "errors",
    ]
    lines = []
    for row in rows:
        if row.unavailable:
            lines.append([row.label, row.unavailable, "", "", "", "", "", "", ""])
            continue
        rps = row.median("rps")
        share = _ratio(rps, by_key[row.baseline].median("rps")) if row.baseline else 1.0
        versus = _ratio(rps, by_key[row.datasette].median("rps")) if row.datasette else None
        lines.append(
            [
                row.label,
                _fmt(rps),
                _fmt(1e6 / rps if rps else None),
                _fmt(row.median("server_cpu_us")),
                _fmt(row.median("p50_ms"), ".1f"),
                _fmt(row.median("p99_ms"), ".1f"),
                _fmt(share, ".3f"),
                _fmt(versus, ".1f"),
                str(sum(r.errors for r in row.results)),
            ]
        )
    print("| " + " | ".join(header) + " |")
    print("|---|" + "---:|" * (len(header) - 1))
    for line in lines:
        print("| " + " | ".join(line) + " |")
    print(
        "\nshare: of the bare ASGI row serving bytes of the same size (list or item). "
        "× Datasette: req/s over Datasette's equivalent row. server CPU: utime+stime of the server process per request."
    )


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a and b else None


def print_summary(rows: list[Row], memory: dict, cold_start: dict, available: bool) -> None:
    by_key = {row.key: row for row in rows}

    def rps(key: str) -> float | None:
        row = by_key[key]
        return None if row.unavailable else row.median("rps")

    def check(
        label: str, value: float | None, target: float, unit: str = "", lower_is_better: bool = False, spread: Sequence[float] = ()
    ) -> None:
        if value is None:
            print(f"  {label}: n/a")
            return
        met = value <= target if lower_is_better else value >= target
        line = f"  {label}: {value:,.2f}{unit} (target {'<=' if lower_is_better else '>='} {target:g}{unit}): {'met' if met else 'NOT met'}"
        if len(spread) > 1:  # how near the target the median sits: the repetitions one by one
            missed = sum(v > target if lower_is_better else v < target for v in spread)
            line += f"; repetitions {min(spread):,.2f} to {max(spread):,.2f}{unit}, {missed} of {len(spread)} missed it"
        print(line)

    def versus(label: str, over: str, under: str, target: float, unit: str = "") -> None:
        """A target on the ratio of two rows' req/s: of their medians, with each repetition's
        ratio (every repetition measures every live row once)."""
        a_row, b_row = by_key[over], by_key[under]
        both = not (a_row.unavailable or b_row.unavailable)
        spread = [a.rps / b.rps for a, b in zip(a_row.results, b_row.results, strict=True) if a.rps and b.rps] if both else []
        check(label, _ratio(rps(over), rps(under)), target, unit, spread=spread)

    for name, values in cold_start.items():
        got = [v for v in values if v is not None]
        print(f"cold start, spawn to first 200, {name}: " + (f"median {h.median(got):.2f} s of {len(got)}" if got else "no 200"))
    for name, values in memory.items():
        print(f"memory {name}: VmRSS {values.get('VmRSS', 0):.1f} MiB, peak VmHWM {values.get('VmHWM', 0):.1f} MiB")
    cold = by_key["ours_cold"]
    busy = [r.other_cpu for row in rows for r in row.results if r.other_cpu is not None]
    if busy:
        print(
            f"other processes during the wrk runs: median {h.median(busy):.2f}, max {max(busy):.2f} of a core"
            + ("  <- the machine was not quiet: figures are noisy" if max(busy) > h.QUIET else "")
        )
    if not cold.unavailable:
        print(f"query strings served by ours in the first-request rows: {sum(r.requests for r in cold.results):,}")
    if not available:
        print("\nour endpoints are not available yet: the targets below are not measured")
    print("\ntargets (ratios from this run):")
    versus("list repeated, × Datasette", "ours_list", "datasette_list", 10, "x")
    versus("list repeated, share of bare ASGI", "ours_list", "bare_list", 0.5)
    versus("item repeated, × Datasette", "ours_item", "datasette_item", 10, "x")
    versus("item repeated, share of bare ASGI", "ours_item", "bare_item", 0.5)
    versus("first requests, × Datasette", "ours_cold", "datasette_cold", 1, "x")
    versus("list 304 / cached 200", "ours_list_304", "ours_list", 1, "x")
    versus("item 304 / cached 200", "ours_item_304", "ours_item", 1, "x")
    first = [v for v in cold_start["ours list"] if v is not None]
    check("cold start to first 200 of the list", h.median(first) if first else None, 1.5, " s", lower_is_better=True)
    largest = max(v.get("VmRSS", 0) for k, v in memory.items() if k.startswith("ours after repetition"))
    check("our RSS after a repetition, the largest", largest if available else None, 120, " MiB", lower_is_better=True)


def report(rows: list[Row], memory: dict, cold_start: dict, args: argparse.Namespace) -> dict:
    return {
        "command": " ".join(sys.argv),
        "machine": h.machine(),
        "versions": h.versions(),
        "duration": args.duration,
        "repetitions": args.repetitions,
        "rows": [
            {"key": r.key, "label": r.label, "path": r.path, "unavailable": r.unavailable, "results": [asdict(x) for x in r.results]}
            for r in rows
        ],
        "memory_mib": memory,
        "cold_start_s": cold_start,
        "time": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


if __name__ == "__main__":
    sys.exit(main())
