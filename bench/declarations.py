"""What a list request costs FastAPI's parameter handling, in-process: ours and the framework ceiling.

    python bench/declarations.py DATABASE [--requests N] [--rounds R] [--kind measures|lists]

Sends varied list URLs straight to two ASGI apps of the tree it runs from: ours (`create_app`,
response cache off) and `reference_apps.framework_ceiling` (the same app, list bodies replaced),
alternating rounds of N requests, and prints for each the function calls per request (cProfile's
count: independent of the machine's load) and the CPU µs per request of each round (no profiler).
A change to how parameters are declared shows in both apps; compare two trees by running this
from a copy of each (`git archive REV | tar -x -C DIR`), at the same time when the machine is busy.

`--kind measures`: `/v1/measures?unit=U&limit=L&offset=O` as bench/varied.lua draws them;
`--kind lists`: the same mixed with the other lists (units, chapters, documents, measure-units,
corrections), one in six each.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import random
import sqlite3
import sys
import time
from contextlib import AsyncExitStack
from pathlib import Path

from harness import asgi_get  # bench/, the script's own folder

TREE = Path(__file__).resolve().parent.parent


def urls(database: str, kind: str, n: int) -> list[tuple[str, str]]:
    connection = sqlite3.connect(database)
    units = [row[0] for row in connection.execute("select id from units")]
    documents = [row[0] for row in connection.execute("select id from documents")]
    draw = random.Random(1)
    found = []
    for _ in range(n):
        page = f"limit={draw.randint(1, 100)}&offset={draw.randint(0, 19)}"
        choice = 0 if kind == "measures" else draw.randrange(6)
        found.append(
            [
                ("/v1/measures", f"unit={draw.choice(units)}&{page}"),
                ("/v1/units", f"sort={draw.choice(['name', '-measure_count'])}&{page}"),
                ("/v1/chapters", f"document={draw.choice(documents)}&{page}"),
                ("/v1/documents", page),
                ("/v1/measure-units", f"unit={draw.choice(units)}&lead={draw.choice(['true', 'false'])}&{page}"),
                (f"/v1/documents/{draw.choice(documents)}/corrections", f"kind=typo&{page}"),
            ][choice]
        )
    return found


async def get(app, path: str, query: str) -> None:
    sent = await asgi_get(app, path, query)
    assert sent[0]["status"] == 200, (path, query, sent[:2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database", help="a built SQLite file")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--kind", choices=["measures", "lists"], default="measures")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = f"sqlite:///{args.database}"
    os.environ["RESPONSE_CACHE_ENTRIES"] = "0"
    sys.path.insert(0, str(TREE))  # this tree's `api`, not the one installed
    import reference_apps  # bench/, the script's own folder

    from api.main import create_app

    queries = urls(args.database, args.kind, args.requests)

    async def run() -> None:
        apps = {"ours": create_app()}
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(apps["ours"].router.lifespan_context(apps["ours"]))
            for path, query in queries:  # ours routes each list once, so its handlers keep the real endpoints
                await get(apps["ours"], path, query)
            apps["ceiling"] = reference_apps.framework_ceiling()  # replaces the routers' list endpoints
            await stack.enter_async_context(apps["ceiling"].router.lifespan_context(apps["ceiling"]))
            for path, query in queries:
                await get(apps["ceiling"], path, query)
            profiled = queries[:500]
            for name, app in apps.items():
                profile = cProfile.Profile()
                profile.enable()
                for path, query in profiled:
                    await get(app, path, query)
                profile.disable()
                print(f"{name}: {pstats.Stats(profile).total_calls / len(profiled):.0f} function calls per request (main thread)")
            cpu: dict[str, list[float]] = {name: [] for name in apps}
            for _ in range(args.rounds):
                for name, app in apps.items():
                    start = time.process_time()
                    for path, query in queries:
                        await get(app, path, query)
                    cpu[name].append((time.process_time() - start) / len(queries) * 1e6)
        for name, rounds in cpu.items():
            ordered = sorted(rounds)
            print(f"{name}: median {ordered[len(ordered) // 2]:.0f} µs CPU per request, rounds {[round(r) for r in rounds]}")

    asyncio.run(run())


if __name__ == "__main__":
    main()
