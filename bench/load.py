"""Load test: drive a running API with wrk at several concurrency levels for a bounded time, and
report requests, errors, latency percentiles and the server's memory before and after.

    python3 bench/load.py                                  # SQLite, 60 s at 64 connections, plus 1 and 16
    python3 bench/load.py --duration 10 --concurrency 8 64
    python3 bench/load.py --database-url postgresql+psycopg://policy_reader@127.0.0.1:55432/policy --exports-dir DIR

The server (one uvicorn worker) is pinned to core 1 and wrk to core 0. The request mix cycles
through cached lists and items, unique query strings (every one a cache miss, to show that memory
stays bounded) and a download; any response that is not 2xx or 3xx, and any socket error, counts
as an error. Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness as h  # noqa: E402

LUA = r"""
local paths = {
  "/v1/measures?unit=development-zones",
  "/v1/measures/lianzhengzong-2021-127-m3",
  "/v1/units?sort=-measure_count",
  "/v1/measures?q=%E5%85%BB%E8%80%81&script=hans",
  "/v1/documents/lianzhengzong-2021-127",
  "/v1/chapters?format=csv",
}
local n = 0
request = function()
  n = n + 1
  local k = n % 8
  if k < #paths then return wrk.format("GET", paths[k + 1]) end
  if k == 6 then  -- unique: a cache miss every time
    return wrk.format("GET", "/v1/measures?limit=" .. (n % 100 + 1) .. "&offset=" .. (n % 997))
  end
  return wrk.format("GET", "/v1/exports/hant/measures.csv")  -- a download, streamed from disk
end
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: build a fresh SQLite database in a temporary folder")
    parser.add_argument("--exports-dir")
    parser.add_argument("--duration", type=int, default=60, help="seconds per concurrency level (default 60)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16, 64])
    args = parser.parse_args()

    return h.run_in_workdir(lambda workdir: run(args, workdir), "load test", prefix="policy-load-")


def run(args: argparse.Namespace, workdir: Path) -> int:
    url = args.database_url or f"sqlite:///{workdir / 'policy.sqlite3'}"
    if not args.database_url:
        subprocess.run([sys.executable, "-m", "api.cli", "build", "--database-url", url], check=True, cwd=h.ROOT, capture_output=True)
    script = workdir / "mix.lua"
    script.write_text(LUA)
    env = {"DATABASE_URL": url, "LOG_LEVEL": "warning", **({"EXPORTS_DIR": args.exports_dir} if args.exports_dir else {})}
    server = h.spawn("ours", h.uvicorn_argv("api.main:app", "--no-access-log", "--log-level", "warning"), workdir, env)
    h.wait_ok(server, "/readyz")
    print(
        f"backend {url.split(':', 1)[0]}, {args.duration} s per level, one uvicorn worker on core {h.SERVER_CORE}, wrk on core {h.LOAD_CORE}"
    )
    print(f"{'conns':>5} {'requests':>9} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>7} {'RSS before':>10} {'RSS after':>9}")
    errors = 0
    for connections in args.concurrency:
        before = h.memory_mib(server.pid)["VmRSS"]
        result = h.wrk(server.base + "/", args.duration, connections=connections, script=script, timeout=10)
        after = h.memory_mib(server.pid)["VmRSS"]
        errors += result.errors
        print(
            f"{connections:>5} {result.requests:>9} {result.rps:>8.0f} {result.p50_ms:>7.2f} {result.p99_ms:>7.2f} "
            f"{result.errors:>7} {before:>8.1f}Mi {after:>7.1f}Mi"
        )
    if server.proc.poll() is not None:
        raise RuntimeError(f"the server died during the run:\n{server.log_tail()}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
