"""Hostile clients against `policy-api serve`, and the same attacks on the alternatives.

    python3 bench/hostile.py [--duration S] [--repetitions N] [--database PATH] [--smoke] [--json OUT]

Starts three servers over one freshly built SQLite database (or --database's), each with one
worker pinned to the server core: ours as the README starts it (`policy-api serve`: httptools with
api/protocol.py's limits), uvicorn on h11 with its cap on a request's head (`--http h11
--h11-max-incomplete-event-size 65536`, the alternative the protocol was chosen over) and uvicorn
on plain httptools (the server before the limits). The clients run in this process on the load
core. Every server runs with LOG_LEVEL/--log-level warning, so none writes a line per request.

  throughput   wrk on a repeated cached list and on /healthz: what the limits cost each request.
  reference    /healthz latency, one probe after another (a new connection each, as a health
               check makes), on an otherwise idle server.                                    (d)
  big header   the same probes while one client sends a 64 MiB header again and again and 200
               idle kept-alive connections are open (reopened as the server closes them).    (b)
  stalled      1,000 connections each send half a request head and stop: how long until the
               server closes them, and its open file descriptors over time.                  (c)
  memory       ours only: 10,000 requests with unique Accept-Language, Origin and query
               strings, each as large as the default caps admit (the head exactly at the cap),
               and the server's VmRSS before and after.                                      (a)

Timings are printed, never asserted. Exit status: 0 when every server kept answering, 1 when one
died or stopped answering, 3 when wrk or taskset is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import http.client
import json
import os
import selectors
import socket
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness as h  # noqa: E402

sys.path.insert(0, str(h.ROOT))
from api.config import Settings  # noqa: E402

LINE_CAP = Settings.model_fields["max_request_line_bytes"].default
HEAD_CAP = Settings.model_fields["max_header_bytes"].default
REPEATED = "/v1/measures?unit=development-zones"


@dataclass
class Scale:
    """How large each scenario is (the letters of the docstring); the throughput runs take
    --duration and --repetitions."""

    probe_seconds: float = 15  # how long /healthz is probed, idle (d) and under the big header (b)
    big_header_mib: int = 64  # (b)
    idle_connections: int = 200  # (b)
    stalled_connections: int = 1000  # (c)
    stalled_wait: float = 25  # (c): the longest wait for a server to close them
    memory_requests: int = 10_000  # (a)


SMOKE = Scale(probe_seconds=1, big_header_mib=4, idle_connections=10, stalled_connections=20, stalled_wait=3, memory_requests=100)


@dataclass
class Probes:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: collections.Counter = field(default_factory=collections.Counter)

    def summary(self) -> dict:
        ordered = sorted(self.latencies_ms)

        def pick(q: float) -> float | None:
            return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))], 2) if ordered else None

        non_200 = sum(n for status, n in self.statuses.items() if status != 200)
        return {"probes": len(ordered), "p50_ms": pick(0.5), "p99_ms": pick(0.99), "max_ms": pick(1.0), "non_200": non_200}


def probe_healthz(server: h.Server, seconds: float, stop: threading.Event | None = None) -> Probes:
    """GET /healthz one after another for `seconds`, each on a new connection, as a health check does;
    a refused or timed-out probe counts as a non-200 with its exception's name."""
    probes, deadline = Probes(), time.monotonic() + seconds
    while time.monotonic() < deadline and not (stop and stop.is_set()):
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            response.read()
            probes.statuses[response.status] += 1
        except OSError as error:
            probes.statuses[type(error).__name__] += 1
        finally:
            connection.close()
        probes.latencies_ms.append((time.perf_counter() - started) * 1e3)
    return probes


class BigHeaderSender(threading.Thread):
    """One client sending a `mib` MiB header, over and over on new connections, until stopped."""

    def __init__(self, server: h.Server, mib: int) -> None:
        super().__init__(daemon=True)
        self.server, self.stop = server, threading.Event()
        self.payload = memoryview(b"a" * (mib << 20))
        self.rounds, self.answers = 0, collections.Counter()

    def run(self) -> None:
        while not self.stop.is_set():
            with socket.create_connection(("127.0.0.1", self.server.port), timeout=30) as sock:
                try:
                    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ")
                    for start in range(0, len(self.payload), 1 << 20):
                        if self.stop.is_set():
                            break
                        sock.sendall(self.payload[start : start + (1 << 20)])
                    sock.sendall(b"\r\n\r\n")
                    answer = sock.recv(64)
                    self.answers[answer.split(b"\r\n", 1)[0].decode("latin-1") or "closed"] += 1
                except OSError as error:  # the server closed (or reset) the connection mid-way
                    self.answers[f"{type(error).__name__} while sending"] += 1
            self.rounds += 1


class IdlePool(threading.Thread):
    """`size` kept-alive connections that each made one request and went idle; any the server
    closes is opened again, so that `size` are open throughout."""

    def __init__(self, server: h.Server, size: int) -> None:
        super().__init__(daemon=True)
        self.server, self.size, self.stop, self.reopened, self.failed = server, size, threading.Event(), 0, 0
        self.selector = selectors.DefaultSelector()

    def _open(self) -> None:
        sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        try:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            answer = b""
            while not answer.endswith(b'{"status":"ok"}'):  # the whole answer, so that only a close is left to read
                answer += sock.recv(65536) or b'{"status":"ok"}'
        except OSError:  # a server too busy to answer within 10 s: that connection is not counted
            sock.close()
            self.failed += 1
            return
        self.selector.register(sock, selectors.EVENT_READ)

    def run(self) -> None:
        for _ in range(self.size):
            self._open()
        while not self.stop.is_set():
            for key, _ in self.selector.select(0.2):
                if key.fileobj.recv(65536):
                    continue
                self.selector.unregister(key.fileobj)
                key.fileobj.close()
                self.reopened += 1
                self._open()
        for key in list(self.selector.get_map().values()):
            key.fileobj.close()
        self.selector.close()


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def stalled(server: h.Server, count: int, wait: float) -> dict:
    """`count` connections that send half a request head and stop; per connection, the seconds until
    the server closed it (it may answer first), and the server's open descriptors every second."""
    selector, opened_at = selectors.DefaultSelector(), {}
    before = open_fds(server.pid)
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: appl")
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
        opened_at[sock] = time.monotonic()
    started, closed_after, fds, answers = time.monotonic(), [], [], collections.Counter()
    next_sample = started
    while selector.get_map() and time.monotonic() - started < wait:
        if time.monotonic() >= next_sample:
            fds.append((round(time.monotonic() - started), open_fds(server.pid)))
            next_sample += 1
        for key, _ in selector.select(0.1):
            sock = key.fileobj
            try:
                data = sock.recv(65536)
            except ConnectionError:
                data = b""
            if data:
                answers[data.split(b"\r\n", 1)[0].decode("latin-1")] += 1
                continue  # the answer; the close comes next
            selector.unregister(sock)
            closed_after.append(time.monotonic() - opened_at.pop(sock))
            sock.close()
    fds.append((round(time.monotonic() - started), open_fds(server.pid)))
    still_open = len(opened_at)
    for sock in opened_at:
        sock.close()
    selector.close()
    closed_after.sort()
    return {
        "connections": count,
        "fds_before": before,
        "closed": len(closed_after),
        "still_open_after_s": round(wait) if still_open else None,
        "still_open": still_open,
        "closed_after_s": {k: round(closed_after[i], 2) for k, i in (("min", 0), ("median", len(closed_after) // 2), ("max", -1))}
        if closed_after
        else None,
        "answers": dict(answers),
        "fds_over_time": fds,
    }


def hostile_requests(count: int):
    """Heads exactly at the default caps, unique in their Accept-Language, Origin and query string:
    every other one with a target of exactly LINE_CAP bytes (a `q` too long for the API: 400), the
    others with a short unique `limit`/`offset` page (200) and so more room for the headers."""
    for i in range(count):
        if i % 2:
            target = b"/v1/measures?limit=%d&offset=%d" % (i % 100 + 1, i)
        else:
            prefix = b"/v1/measures?q=%07d" % i
            target = prefix + b"a" * (LINE_CAP - len(prefix))
        fixed = b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Language: \r\nOrigin: \r\n\r\n" % target
        room = HEAD_CAP - len(fixed)
        language = b"zh-Hans, x-%07d-" % i
        origin = b"https://%07d.example" % i
        language += b"a" * (room // 2 - len(language))
        origin = origin[:8] + b"a" * (room - len(language) - len(origin)) + origin[8:]
        head = b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Language: %s\r\nOrigin: %s\r\n\r\n" % (target, language, origin)
        assert len(head) == HEAD_CAP and len(target) <= LINE_CAP
        yield head


def memory(server: h.Server, count: int, connections: int = 4) -> dict:
    """Send hostile_requests(count) over kept-alive connections; statuses and VmRSS before and after."""
    statuses: collections.Counter = collections.Counter()
    pending = hostile_requests(count)

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port, limit=1 << 20)
        try:
            for head in pending:  # shared by every worker: each request goes out once
                writer.write(head)
                lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
                fields = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)}
                await reader.readexactly(int(fields.get("content-length", 0)))
                statuses[int(lines[0].split()[1])] += 1
                if fields.get("connection") == "close":
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", server.port, limit=1 << 20)
        finally:
            writer.close()

    async def run_all() -> None:
        await asyncio.gather(*(worker() for _ in range(connections)))

    before = h.memory_mib(server.pid)["VmRSS"]
    started = time.monotonic()
    with h.PeakRss(server.pid) as rss:
        asyncio.run(run_all())
    return {
        "requests": count,
        "head_bytes": HEAD_CAP,
        "seconds": round(time.monotonic() - started, 1),
        "statuses": dict(statuses),
        "rss_before_mib": round(before, 1),
        "rss_after_mib": round(h.memory_mib(server.pid)["VmRSS"], 1),
        "rss_peak_mib": round(rss.peak, 1),
    }


def attacked(server: h.Server, scale: Scale) -> dict:
    pool = IdlePool(server, scale.idle_connections)
    pool.start()
    while len(pool.selector.get_map()) + pool.failed < scale.idle_connections and pool.is_alive():
        time.sleep(0.05)
    sender = BigHeaderSender(server, scale.big_header_mib)
    sender.start()
    probes = probe_healthz(server, scale.probe_seconds)
    fds = open_fds(server.pid)
    sender.stop.set()
    pool.stop.set()
    sender.join(60)
    pool.join(30)
    return {
        **probes.summary(),
        "statuses": {str(k): v for k, v in probes.statuses.items()},
        "big_header_rounds": sender.rounds,
        "big_header_answers": dict(sender.answers),
        "idle_reopened": pool.reopened,
        "idle_failed": pool.failed,
        "server_fds_at_end": fds,
    }


def alive(server: h.Server) -> bool:
    try:
        return server.proc.poll() is None and h.fetch(server.base + "/healthz", timeout=10).status == 200
    except OSError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    h.add_run_arguments(
        parser,
        duration=5,
        repetitions=3,
        repetitions_help="interleaved repetitions of the throughput runs",
        smoke_help="every scenario tiny (about 35 s): checks that the servers keep answering",
    )
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = h.parse_run_arguments(parser)
    return h.run_in_workdir(lambda workdir: run(args, workdir), "hostile benchmark", prefix="policy-hostile-")


def run(args: argparse.Namespace, workdir: Path) -> int:
    scale = SMOKE if args.smoke else Scale()
    database = h.database_for(args.database, workdir)
    env = {"DATABASE_URL": f"sqlite:///{database}", "LOG_LEVEL": "warning"}
    if args.smoke:
        env["REQUEST_TIMEOUT"] = "1"  # so that the stalled connections close within the smoke's wait
    uvicorn = ("--log-level", "warning", "--timeout-keep-alive", str(Settings.model_fields["keep_alive_timeout"].default))
    servers = {
        "ours (policy-api serve)": h.spawn("ours", [sys.executable, "-m", "api.cli", "serve", "--port", "{port}"], workdir, env),
        "uvicorn h11 + head cap": h.spawn(
            "h11", h.uvicorn_argv("api.main:app", "--http", "h11", "--h11-max-incomplete-event-size", str(HEAD_CAP), *uvicorn), workdir, env
        ),
        "uvicorn httptools, no limits": h.spawn("httptools", h.uvicorn_argv("api.main:app", "--http", "httptools", *uvicorn), workdir, env),
    }
    for server in servers.values():
        h.wait_ok(server, "/readyz")
        h.fetch_as_wrk(server.base + REPEATED)
    print(f"machine: {h.machine()}")
    print(
        "versions: " + ", ".join(f"{k} {v}" for k, v in h.versions().items() if k in ("python", "fastapi", "starlette", "uvicorn (ours)"))
    )
    throughput_scale = {"throughput_seconds": args.duration, "repetitions": args.repetitions}
    print(f"default caps: request target {LINE_CAP:,} B, head {HEAD_CAP:,} B; scale: {throughput_scale | asdict(scale)}")

    results: dict[str, dict] = {name: {"throughput": collections.defaultdict(list)} for name in servers}
    for _ in range(args.repetitions):  # interleaved, so that drift touches every server alike
        for name, server in servers.items():
            for path in (REPEATED, "/healthz"):
                result = h.wrk(server.base + path, args.duration, server.pid)
                results[name]["throughput"][path].append(result)
    healthy = True
    for name, server in servers.items():
        report = results[name]
        report["throughput"] = {
            path: {
                "rps": round(h.median([r.rps for r in runs])),
                "p99_ms": round(h.median([r.p99_ms for r in runs]), 2),
                "errors": sum(r.errors for r in runs),
            }
            for path, runs in report["throughput"].items()
        }
        report["reference"] = probe_healthz(server, scale.probe_seconds).summary()
        report["big_header"] = attacked(server, scale)
        report["stalled"] = stalled(server, scale.stalled_connections, scale.stalled_wait)
        if server is servers["ours (policy-api serve)"]:
            report["memory"] = memory(server, scale.memory_requests)
        report["alive_at_end"] = alive(server)
        healthy &= report["alive_at_end"]
        report["rss_at_end_mib"] = round(h.memory_mib(server.pid)["VmRSS"], 1) if server.proc.poll() is None else None
        print_server(name, report)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0 if healthy else 1


def print_server(name: str, report: dict) -> None:
    reference, attack, stall = report["reference"], report["big_header"], report["stalled"]

    def ratio(key: str) -> str:
        return f"{attack[key] / reference[key]:.1f}x" if attack[key] and reference[key] else "n/a"

    print(f"\n## {name}")
    for path, t in report["throughput"].items():
        print(f"  throughput {path}: {t['rps']:,} req/s, p99 {t['p99_ms']} ms, errors {t['errors']} (wrk -t1 -c32, median)")
    print(
        f"  /healthz, idle server (d): p50 {reference['p50_ms']} ms, p99 {reference['p99_ms']} ms, {reference['probes']} probes, non-200 {reference['non_200']}"
    )
    print(
        f"  /healthz under a {attack['big_header_rounds']}x-repeated big header + idle connections (b): p50 {attack['p50_ms']} ms "
        f"({ratio('p50_ms')} of idle), p99 {attack['p99_ms']} ms ({ratio('p99_ms')}), max {attack['max_ms']} ms, "
        f"{attack['probes']} probes, non-200 {attack['non_200']} {attack['statuses']}"
    )
    print(
        f"    big header answers: {attack['big_header_answers']}; idle connections reopened: {attack['idle_reopened']}, not answered within 10 s: {attack['idle_failed']}"
    )
    print(
        f"  stalled half-sent requests (c): {stall['closed']} of {stall['connections']} closed by the server"
        + (f", after {stall['closed_after_s']} s" if stall["closed"] else "")
        + f"; still open after {stall['still_open_after_s'] or '-'} s: {stall['still_open']}; answers {stall['answers']}"
    )
    print(f"    server fds (s, count): before {stall['fds_before']}, {stall['fds_over_time']}")
    if "memory" in report:
        m = report["memory"]
        print(
            f"  memory (a): {m['requests']:,} unique {m['head_bytes']:,}-byte heads in {m['seconds']} s, statuses {m['statuses']}: "
            f"VmRSS {m['rss_before_mib']} -> {m['rss_after_mib']} MiB (peak {m['rss_peak_mib']})"
        )
    print(f"  alive at the end: {report['alive_at_end']}; VmRSS at the end {report['rss_at_end_mib']} MiB")


if __name__ == "__main__":
    sys.exit(main())
