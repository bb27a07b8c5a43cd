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
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
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
done = function(summary, latency, requests)
  io.write(string.format("p50_us=%d p99_us=%d\n", latency:percentile(50), latency:percentile(99)))
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def wait_ready(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the server did not become ready")


def run_wrk(port: int, connections: int, duration: int, script: Path) -> dict[str, float]:
    command = [
        "taskset",
        "-c",
        "0",
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}",
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=duration + 60).stdout
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    non_2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", output)) else 0
    socket_errors = sum(map(int, m.groups())) if (m := re.search(r"connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)) else 0
    p50, p99 = (int(x) for x in re.search(r"p50_us=(\d+) p99_us=(\d+)", output).groups())
    return {"requests": requests, "errors": non_2xx + socket_errors, "rps": requests / duration, "p50_ms": p50 / 1000, "p99_ms": p99 / 1000}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: build a fresh SQLite database in a temporary folder")
    parser.add_argument("--exports-dir")
    parser.add_argument("--duration", type=int, default=60, help="seconds per concurrency level (default 60)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16, 64])
    args = parser.parse_args()
    if not shutil.which("wrk") or not shutil.which("taskset"):
        print("needs wrk and taskset: apt-get install wrk util-linux", file=sys.stderr)
        return 3

    workdir = Path(tempfile.mkdtemp(prefix="policy-load-"))
    url = args.database_url or f"sqlite:///{workdir / 'policy.sqlite3'}"
    if not args.database_url:
        subprocess.run([sys.executable, "-m", "api.cli", "build", "--database-url", url], check=True, cwd=ROOT, capture_output=True)
    script = workdir / "mix.lua"
    script.write_text(LUA)
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "warning"}
    if args.exports_dir:
        env["EXPORTS_DIR"] = args.exports_dir
    server = subprocess.Popen(
        [
            "taskset",
            "-c",
            "1",
            sys.executable,
            "-m",
            "uvicorn",
            "api.main:app",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=(workdir / "server.log").open("wb"),
    )
    try:
        wait_ready(port, server)
        backend = url.split(":", 1)[0]
        print(f"backend {backend}, {args.duration} s per level, one uvicorn worker on core 1, wrk on core 0")
        print(f"{'conns':>5} {'requests':>9} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>7} {'RSS before':>10} {'RSS after':>9}")
        worst = 0
        for connections in args.concurrency:
            before = rss_kib(server.pid)
            result = run_wrk(port, connections, args.duration, script)
            after = rss_kib(server.pid)
            worst = max(worst, result["errors"])
            print(
                f"{connections:>5} {result['requests']:>9} {result['rps']:>8.0f} {result['p50_ms']:>7.2f} {result['p99_ms']:>7.2f} "
                f"{result['errors']:>7} {before / 1024:>8.1f}Mi {after / 1024:>7.1f}Mi"
            )
        if server.poll() is not None:
            print("the server died during the run", file=sys.stderr)
            return 1
        return 1 if worst else 0
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
