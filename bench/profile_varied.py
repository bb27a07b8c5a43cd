"""Where the CPU of a varied-traffic request goes, in-process: no server, no sockets, no cache.

    python bench/profile_varied.py DATABASE [--requests N] [--sort cumulative|tottime]

Sends `GET /v1/measures?unit=U&limit=L&offset=O` (random unit, L in 1-100, O in 0-19, as
bench/varied.lua draws them) straight to the ASGI app from `create_app`, with the response cache
off, after 500 requests that warm the memos. Prints the CPU µs per request without the profiler,
then cProfile's table for the same requests (which inflates Python-heavy code against C calls).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import random
import sqlite3
import time

from harness import asgi_get  # bench/, the script's own folder

from api.config import Settings
from api.main import create_app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database", help="a built SQLite file")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--sort", default="cumulative")
    args = parser.parse_args()
    units = [row[0] for row in sqlite3.connect(args.database).execute("select id from units")]
    draw = random.Random(1)
    queries = [f"unit={draw.choice(units)}&limit={draw.randint(1, 100)}&offset={draw.randint(0, 19)}" for _ in range(args.requests)]
    app = create_app(Settings(database_url=f"sqlite:///{args.database}", response_cache_entries=0))

    async def get(query: str) -> None:
        sent = await asgi_get(app, "/v1/measures", query)
        assert sent[0]["status"] == 200, sent[0]

    async def run() -> None:
        async with app.router.lifespan_context(app):
            for query in queries[:500]:
                await get(query)
            start = time.process_time()
            for query in queries:
                await get(query)
            print(f"{(time.process_time() - start) / len(queries) * 1e6:.0f} µs CPU per request (no profiler)")
            profile = cProfile.Profile()
            profile.enable()
            for query in queries:
                await get(query)
            profile.disable()
            pstats.Stats(profile).sort_stats(args.sort).print_stats(40)

    asyncio.run(run())


if __name__ == "__main__":
    main()
