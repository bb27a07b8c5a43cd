"""Shared plumbing for the scripts of bench/ (run.py, paired.py, varied.py, mix.py, hostile.py,
scale.py, load.py, switch.py): processes, HTTP probes, wrk, /proc, the references, the command
line most of them share, and their common exit statuses.

Every server is started pinned to SERVER_CORE and wrk to LOAD_CORE, so the load generator never
takes CPU from the server it measures. Every child is started in its own session and killed, by
its process group, when the harness exits for any reason (normal end, error, Ctrl-C, SIGTERM).
"""

from __future__ import annotations

import argparse
import atexit
import http.client
import json
import os
import re
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VENV = BENCH / ".venv"  # Datasette's own environment, with our uvicorn (see ensure_datasette)
DATASETTE_REQUIREMENT = "datasette==0.65.5"

SERVER_CORE, LOAD_CORE = ("1", "0") if (os.cpu_count() or 1) >= 2 else ("0", "0")


class MissingTool(Exception):
    """A prerequisite (wrk, taskset, Datasette) is missing: reported, not a traceback."""


# --- child processes ---------------------------------------------------------------------------

_children: list[subprocess.Popen] = []


def kill_children() -> None:
    for proc in _children:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)  # the child's own group: it and nothing else
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + 5
    for proc in _children:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
    _children.clear()


def _on_signal(signum, _frame):
    raise SystemExit(128 + signum)  # unwinds through every finally, then atexit kills the children


def install_cleanup() -> None:
    atexit.register(kill_children)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    # Keep the harness itself off the server's core.
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {int(LOAD_CORE)})


def check_tools() -> None:
    for tool, package in (("wrk", "wrk"), ("taskset", "util-linux")):
        if not shutil.which(tool):
            raise MissingTool(f"{tool} not found: apt-get install -y {package}")


def run_main(body: Callable[[], int], what: str) -> int:
    """Run a benchmark script's `body` with the exit statuses they all share: the body's own (0
    when every server answered), 1 when a server did not start, answer or finish in time, 3 when a
    prerequisite is missing, 130 on Ctrl-C. Every process it started is killed on the way out."""
    install_cleanup()
    try:
        check_tools()
        return body()
    except MissingTool as error:
        print(f"missing prerequisite: {error}", file=sys.stderr)
        return 3
    except (RuntimeError, OSError) as error:
        print(f"{what} failed: {error!r}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        kill_children()


def run_in_workdir(body: Callable[[Path], int], what: str, prefix: str) -> int:
    """run_main over a temporary working folder, handed to `body`; the processes started there are
    killed before the folder with their logs goes."""

    def in_workdir() -> int:
        with tempfile.TemporaryDirectory(prefix=prefix) as workdir:
            try:
                return body(Path(workdir))
            finally:
                kill_children()

    return run_main(in_workdir, what)


async def asgi_get(app, path: str, query: str) -> list[dict]:
    """The messages an ASGI app sends for `GET path?query`, called in-process (no server, no
    sockets): what the in-process profiles (profile_varied.py, declarations.py) send."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8000")], "client": ("127.0.0.1", 5), "server": ("127.0.0.1", 8000),
    }  # fmt: skip
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    name: str
    port: int
    command: list[str]
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen = field(init=False)
    started: float = field(init=False)  # time.monotonic() just before spawning
    ready_after: float | None = None  # seconds from spawn to the first 200
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._start()

    def _start(self) -> None:
        self.started = time.monotonic()
        with self.log.open("ab") as log:  # the child keeps its own copy of the file
            self.proc = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log,
                start_new_session=True,
            )
        _children.append(self.proc)

    def restart(self) -> None:
        """A new process for the same command on the same port (wait for it with `wait_ready`)."""
        self.stop()
        self.ready_after = None
        self._start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.proc in _children:
            _children.remove(self.proc)

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def spawn(name: str, argv: list[str], logdir: Path, env: dict[str, str] | None = None, port: int | None = None) -> Server:
    """Start `argv` (which must contain the literal "{port}") pinned to the server core.

    stdout (uvicorn's access log) goes to /dev/null for every server alike; stderr to a log file
    so a failed start can be explained."""
    port = port or free_port()
    command = ["taskset", "-c", SERVER_CORE, *[a.replace("{port}", str(port)) for a in argv]]
    return Server(name, port, command, {**os.environ, **(env or {})}, logdir / f"{name}.{port}.log")


def uvicorn_argv(app: str, *extra: str) -> list[str]:
    """The same uvicorn command line for our app and every reference app."""
    return [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", "{port}", "--workers", "1", *extra]


# --- HTTP ------------------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str]


def fetch(url: str, headers: dict[str, str] | None = None, timeout: float = 30) -> Reply:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Reply(response.status, response.read(), {k.lower(): v for k, v in response.headers.items()})
    except urllib.error.HTTPError as error:
        return Reply(error.code, error.read(), {k.lower(): v for k, v in error.headers.items()})


def fetch_as_wrk(url: str, headers: dict[str, str] | None = None, timeout: float = 30) -> Reply:
    """GET `url` with only the headers wrk would send, and `headers` (urllib always adds
    Accept-Encoding, which our response cache keys on): a warm-up that warms what wrk then
    measures, or a request exactly as a wrk script sends it."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.putrequest("GET", parts.path + (f"?{parts.query}" if parts.query else ""), skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return Reply(response.status, response.read(), {k.lower(): v for k, v in response.getheaders()})
    finally:
        connection.close()


def wait_ready(server: Server, path: str, timeout: float = 30) -> Reply:
    """Poll `path` every 10 ms until it answers (any status); record spawn-to-first-200 time."""
    deadline = time.monotonic() + timeout
    while True:
        if server.proc.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.proc.returncode}:\n{server.log_tail()}")
        try:
            reply = fetch(server.base + path, timeout=5)
        except (TimeoutError, urllib.error.URLError, ConnectionError):
            reply = None
        if reply is not None:
            if reply.status == 200 and server.ready_after is None:
                server.ready_after = time.monotonic() - server.started
            return reply
        if time.monotonic() > deadline:
            raise RuntimeError(f"{server.name} did not answer {path} within {timeout:.0f} s:\n{server.log_tail()}")
        time.sleep(0.01)


def wait_ok(server: Server, path: str, timeout: float = 30) -> Reply:
    """`wait_ready`, then demand a 200: anything else fails the run, with the server's log."""
    reply = wait_ready(server, path, timeout)
    if reply.status != 200:
        raise RuntimeError(f"{server.name} answered {reply.status} to {path}: {reply.body[:300]!r}\n{server.log_tail()}")
    return reply


def time_to_first_200(server: Server, paths: list[str], timeout: float = 30) -> list[float | None]:
    """Seconds from spawn to the first 200 of each path in turn (None: that path never gave 200)."""
    times: list[float | None] = []
    for path in paths:
        deadline = time.monotonic() + timeout
        while True:
            try:
                reply = fetch(server.base + path, timeout=5)
            except (TimeoutError, urllib.error.URLError, ConnectionError):
                reply = None
            if reply is not None and reply.status == 200:
                times.append(time.monotonic() - server.started)
                break
            if reply is not None or time.monotonic() > deadline or server.proc.poll() is not None:
                times.append(None)  # answered, but not 200: the endpoint is not available
                break
            time.sleep(0.01)
    return times


# --- wrk -------------------------------------------------------------------------------------------


@dataclass
class WrkResult:
    requests: int = 0
    seconds: float = 0.0
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    non_2xx_3xx: int = 0
    socket_errors: int = 0
    server_cpu_us: float | None = None  # server CPU time (user+sys) per completed request
    other_cpu: float | None = None  # cores used meanwhile by processes other than the server and wrk

    @property
    def errors(self) -> int:
        return self.non_2xx_3xx + self.socket_errors


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def parse_wrk(output: str) -> WrkResult:
    result = WrkResult()
    if m := re.search(r"(\d+) requests in ([\d.]+)(\w+),", output):
        result.requests, result.seconds = int(m[1]), _ms(m[2] + m[3]) / 1e3
    if m := re.search(r"Requests/sec:\s+([\d.]+)", output):
        result.rps = float(m[1])
    if m := re.search(r"^\s+50%\s+(\S+)", output, re.M):
        result.p50_ms = _ms(m[1])
    if m := re.search(r"^\s+99%\s+(\S+)", output, re.M):
        result.p99_ms = _ms(m[1])
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        result.non_2xx_3xx = int(m[1])
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        result.socket_errors = sum(int(x) for x in m.groups())
    return result


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(
    url: str,
    duration: float,
    server_pid: int | None = None,
    connections: int = 32,
    script: Path | None = None,
    script_args: list[str] | None = None,
    headers: list[str] | None = None,
    timeout: int = 2,
) -> WrkResult:
    """One wrk run pinned to the load core: `wrk -t1 -c32 -d<S>s --latency URL` (a request slower
    than `timeout` seconds counts as a socket error; 2 is wrk's default)."""
    command = ["taskset", "-c", LOAD_CORE, "wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency"]
    if timeout != 2:
        command.append(f"--timeout={timeout}s")
    for header in headers or []:
        command += ["-H", header]
    if script:
        command += ["-s", str(script)]
    command.append(url)
    if script_args:
        command += ["--", *script_args]
    before = cpu_seconds(server_pid) if server_pid else None
    machine_before, children_before, started = machine_busy_seconds(), _children_cpu(), time.monotonic()
    completed = subprocess.run(command, capture_output=True, text=True, timeout=duration + timeout + 60)
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stderr.strip() or completed.stdout.strip()}")
    result = parse_wrk(completed.stdout)
    if before is not None:
        server = cpu_seconds(server_pid) - before
        if result.requests:
            result.server_cpu_us = server * 1e6 / result.requests
        wrk_cpu = _children_cpu() - children_before
        result.other_cpu = max(0.0, machine_busy_seconds() - machine_before - server - wrk_cpu) / (time.monotonic() - started)
    return result


def replay(server: Server, paths: list[str], connections: int = 32, timeout: float = 900) -> WrkResult:
    """Send exactly `paths`, each once, over `connections` keep-alive connections (an asyncio
    client in this process, on the load core), and measure like `wrk`. Unlike a timed wrk run,
    two servers given the same paths answer exactly the same requests: what a first-request
    comparison between servers of different speeds needs."""
    import asyncio

    latencies: list[float] = []
    errors = 0

    async def worker(pending) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        try:
            for path in pending:  # one iterator shared by every worker: each path goes out once
                started = time.perf_counter()
                writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode("ascii"))
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
                length = next(int(line.split(":", 1)[1]) for line in head if line.lower().startswith("content-length:"))
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - started)
                errors += not head[0].split()[1].startswith(("2", "3"))
        finally:
            writer.close()

    async def run_all() -> None:
        pending = iter(paths)
        await asyncio.gather(*(worker(pending) for _ in range(connections)))

    server_before, machine_before = cpu_seconds(server.pid), machine_busy_seconds()
    own = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    asyncio.run(asyncio.wait_for(run_all(), timeout))
    seconds = time.monotonic() - started
    own_after = resource.getrusage(resource.RUSAGE_SELF)
    server_cpu = cpu_seconds(server.pid) - server_before
    client_cpu = (own_after.ru_utime + own_after.ru_stime) - (own.ru_utime + own.ru_stime)
    latencies.sort()
    return WrkResult(
        requests=len(latencies),
        seconds=seconds,
        rps=len(latencies) / seconds,
        p50_ms=latencies[len(latencies) // 2] * 1e3,
        p99_ms=latencies[int(len(latencies) * 0.99)] * 1e3,
        non_2xx_3xx=errors,
        server_cpu_us=server_cpu * 1e6 / len(latencies),
        other_cpu=max(0.0, machine_busy_seconds() - machine_before - server_cpu - client_cpu) / seconds,
    )


QUIET = 0.1  # cores that other processes may use during a run before it counts as disturbed


def disturbed(result: WrkResult) -> bool:
    return result.other_cpu is not None and result.other_cpu > QUIET


def wait_quiet(max_wait: float, window: float = 2.0) -> bool:
    """Wait (up to `max_wait` s) for a `window` in which other processes use under QUIET of a core.
    Call it while none of our servers is under load: their idle CPU is negligible."""
    deadline = time.monotonic() + max_wait
    while True:
        before = machine_busy_seconds()
        time.sleep(window)
        if (machine_busy_seconds() - before) / window < QUIET:
            return True
        if time.monotonic() > deadline:
            return False


def machine_busy_seconds() -> float:
    """CPU time spent by every core on anything but idling, from the first line of /proc/stat."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in Path("/proc/stat").read_text().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk's, once it has been waited for
    return usage.ru_utime + usage.ru_stime


# --- /proc memory ----------------------------------------------------------------------------------


def memory_mib(pid: int) -> dict[str, float]:
    """VmRSS (now) and VmHWM (peak resident set) in MiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values


class PeakRss:
    """Samples a process's VmRSS every 20 ms in a thread: `with PeakRss(pid) as rss: ...; rss.peak`."""

    def __init__(self, pid: int) -> None:
        self.pid, self.samples, self._done = pid, [], threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._done.is_set():
            try:
                self.samples.append(memory_mib(self.pid)["VmRSS"])
            except (OSError, KeyError):  # the process has ended
                return
            time.sleep(0.02)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._done.set()
        self._thread.join()

    @property
    def peak(self) -> float:
        return max(self.samples, default=0.0)


# --- the database and Datasette --------------------------------------------------------------------


def run_measured(command: list[str]) -> tuple[int, str, float, float]:
    """Run a command from the project root: exit status, output, wall seconds, peak RSS in MiB
    (sampled every 20 ms). It is killed with the other children on any exit of the harness."""
    started = time.monotonic()
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    _children.append(proc)
    try:
        with PeakRss(proc.pid) as rss:
            output, _ = proc.communicate()
    finally:
        _children.remove(proc)
    return proc.returncode, output, time.monotonic() - started, rss.peak


def build_database(path: Path, sources: list[Path] | None = None) -> tuple[float, float]:
    """`python3 -m api.cli build` (the `policy-api build` console script): seconds and peak RSS."""
    path.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "api.cli", "build", *[str(s) for s in sources or []], "--database-url", f"sqlite:///{path}"]
    status, output, seconds, peak = run_measured(command)
    if status != 0:
        raise RuntimeError(f"build failed:\n{output.strip()[-2000:]}")
    return seconds, peak


def query(database: Path, sql: str, *params) -> list[tuple]:
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


# Datasette's equivalents of our list and item (the canned queries of bench/datasette.yaml), as
# plain arrays with the units nested.
DATASETTE_LIST = "/policy/measures_by_unit.json"
DATASETTE_ITEM = "/policy/measure.json"
DATASETTE_SHAPE = "_shape=array&_json=units"


@dataclass
class Subjects:
    """What the rows ask for: the unit with the most measures (ties broken by id), its measure
    count, the first of its measures, and our paths and Datasette's for the list of its measures
    and that one."""

    unit: str
    unit_count: int
    measure_id: str

    @property
    def list_path(self) -> str:
        return f"/v1/measures?unit={urllib.parse.quote(self.unit)}"

    @property
    def item_path(self) -> str:
        return f"/v1/measures/{urllib.parse.quote(self.measure_id)}"

    def datasette_list_path(self, limit: int) -> str:
        """Datasette's list, `limit` rows (as many as our first page holds)."""
        return f"{DATASETTE_LIST}?unit={urllib.parse.quote(self.unit)}&limit={limit}&{DATASETTE_SHAPE}"

    @property
    def datasette_item_path(self) -> str:
        return f"{DATASETTE_ITEM}?id={urllib.parse.quote(self.measure_id)}&{DATASETTE_SHAPE}"


def subjects(database: Path) -> Subjects:
    unit, unit_count = query(database, "select id, measure_count from units order by measure_count desc, id limit 1")[0]
    sql = "select measure_id from measure_units where unit_id = ? order by document_id, measure_number limit 1"
    return Subjects(unit, unit_count, query(database, sql, unit)[0][0])


def spawn_reference(
    name: str, workdir: Path, bodies: dict[str, bytes], database: Path, headers: dict[str, list[tuple[str, str]]] | None = None
) -> Server:
    """A reference app of bench/reference_apps.py; the bare ones serve `bodies` at their paths,
    `bare_our_headers` with `headers` (path to its response headers). Each app reads its files
    from a folder of its own, so none is rewritten while another app starts up."""
    folder = workdir / name
    folder.mkdir(exist_ok=True)
    index = {}
    for number, (path, body) in enumerate(bodies.items()):
        (folder / f"body{number}").write_bytes(body)
        index[path] = f"body{number}"
    (folder / "bodies.json").write_text(json.dumps(index))
    (folder / "headers.json").write_text(json.dumps(headers or {}))
    env = {"BENCH_BODIES": str(folder / "bodies.json"), "BENCH_HEADERS": str(folder / "headers.json"), "BENCH_DATABASE": str(database)}
    return spawn(name, uvicorn_argv(f"reference_apps:{name}", "--app-dir", str(BENCH), "--factory"), workdir, env)


def server_requirement() -> str:
    """Our uvicorn with its extras (httptools, uvloop): Datasette gets the very same HTTP server."""
    from importlib.metadata import version

    return f"uvicorn[standard]=={version('uvicorn')}"


def ensure_datasette() -> Path:
    """bench/.venv/bin/datasette with our HTTP server stack, (re)installed when the requirements
    change (needs PyPI then)."""
    datasette, stamp = VENV / "bin" / "datasette", VENV / "bench-requirements.txt"
    requirements = [DATASETTE_REQUIREMENT, server_requirement()]
    if datasette.exists() and stamp.exists() and stamp.read_text().split() == requirements:
        return datasette
    print(f"setting up Datasette in {VENV.relative_to(ROOT)} (pip install {' '.join(requirements)}) ...", flush=True)
    try:
        if not VENV.exists():
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, capture_output=True)
        subprocess.run([str(VENV / "bin" / "pip"), "install", "--quiet", *requirements], check=True, capture_output=True)
    except subprocess.CalledProcessError as error:
        shutil.rmtree(VENV, ignore_errors=True)
        raise MissingTool(f"could not install {' '.join(requirements)} into {VENV}: {error.stderr.decode()[-1000:]}") from error
    stamp.write_text("\n".join(requirements) + "\n")
    return datasette


def datasette_link(workdir: Path, database: Path) -> Path:
    """A link to `database` named policy.db: Datasette names a database after its file, and the
    paths above ask for `policy`."""
    link = workdir / "policy.db"
    if not link.exists():
        link.symlink_to(database.resolve())
    return link


def datasette_argv(database_link: Path) -> list[str]:
    """Datasette over the same file: immutable (no locking, counts computed once) and one SQL thread
    (the server has one core; measured no slower than the default 3 threads here)."""
    return [
        str(ensure_datasette()),
        "serve",
        "--immutable",
        str(database_link),
        "--metadata",
        str(BENCH / "datasette.yaml"),
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
        "--setting",
        "num_sql_threads",
        "1",
    ]


# --- the command line the scripts share (run.py, paired.py, varied.py, mix.py, hostile.py) ----------


def add_run_arguments(
    parser: argparse.ArgumentParser,
    duration: float = 4,
    repetitions: int = 7,
    repetitions_help: str = "runs, each on new servers",
    smoke_help: str = "1 s, 1 repetition: checks that the servers answer",
) -> None:
    """--duration, --repetitions, --database and --smoke: by default as varied.py, mix.py and
    paired.py take them, else with the script's own defaults and the words it uses for a repetition
    and a smoke run. Read them with `parse_run_arguments`."""
    parser.add_argument("--duration", type=float, default=duration, help=f"seconds per wrk run (default {duration})")
    parser.add_argument("--repetitions", type=int, default=repetitions, help=f"{repetitions_help} (default {repetitions})")
    parser.add_argument("--database", type=Path, help="reuse this SQLite file instead of building one in a temporary directory")
    parser.add_argument("--smoke", action="store_true", help=smoke_help)


def parse_run_arguments(parser: argparse.ArgumentParser, **smoke: object) -> argparse.Namespace:
    """The command line, with --smoke's settings in place of the others: 1 s per run, 1
    repetition, and the script's own `smoke` values (fewer requests, no retries)."""
    args = parser.parse_args()
    if args.smoke:
        for name, value in {"duration": 1, "repetitions": 1, **smoke}.items():
            setattr(args, name, value)
    return args


def database_for(given: Path | None, workdir: Path, announce: bool = False) -> Path:
    """The SQLite file to serve: `given` (a script's --database), else one built in `workdir`;
    with `announce`, the build's time and peak memory are printed."""
    if given is not None:
        return given.resolve()
    database = workdir / "policy.sqlite3"
    seconds, peak = build_database(database)
    if announce:
        print(f"built the database in {seconds:.1f} s (peak RSS {peak:,.0f} MiB): {database}")
    return database.resolve()


# --- ours, the framework ceiling and Datasette, each alone (varied.py, mix.py) ------------------------


def units_file(database: Path, workdir: Path) -> Path:
    """The units' ids, one a line, for bench/varied.lua (varied.py, ablation.py)."""
    units = workdir / "units.txt"
    units.write_text("".join(f"{unit}\n" for (unit,) in query(database, "select id from units order by id")))
    return units


# A list each of the three must answer before it is measured.
SAMPLE_LIST = "/v1/measures?unit=finance&limit=5&offset=0"
DATASETTE_SAMPLE_LIST = f"{DATASETTE_LIST}?unit=finance&limit=5&offset=0&{DATASETTE_SHAPE}"


def start_ceiling_ours_datasette(workdir: Path, database: Path) -> list[Server]:
    """New servers over `database`, in this order: the framework ceiling
    (reference_apps:framework_ceiling), ours and Datasette, each answering a list; the ceiling is
    checked to send its fixed list body and ours not to."""
    from reference_apps import CEILING_BODY

    env = {"DATABASE_URL": f"sqlite:///{database}"}
    servers = [
        spawn("ceiling", uvicorn_argv("reference_apps:framework_ceiling", "--app-dir", str(BENCH), "--factory"), workdir, env),
        spawn("ours", uvicorn_argv("api.main:app"), workdir, env),
        spawn("datasette", datasette_argv(datasette_link(workdir, database)), workdir),
    ]
    for server in servers:
        reply = wait_ok(server, DATASETTE_SAMPLE_LIST if server.name == "datasette" else SAMPLE_LIST, timeout=60)
        if server.name == "ceiling" and reply.body != CEILING_BODY:
            raise RuntimeError(f"the framework ceiling answered {reply.body[:80]!r} at {SAMPLE_LIST}: its list body was not replaced")
        if server.name == "ours" and reply.body == CEILING_BODY:
            raise RuntimeError("ours answered the ceiling's fixed body")
    return servers


def apart(
    servers: list[Server],
    script: Path,
    script_args: list[list[str]],
    warm_up_args: list[list[str]],
    duration: float,
    repetition: int,
    timeout: int = 2,
) -> list[WrkResult]:
    """Each server alone under `wrk -t1 -c32 --latency -s script` (its own arguments, one list per
    server), after a 1 s warm-up with `warm_up_args` (not counted), in an order rotated by
    `repetition`: as users' traffic meets one server, and no server always goes first. `timeout`
    is wrk's (see `wrk`)."""
    runs: list[WrkResult | None] = [None] * len(servers)
    for step in range(len(servers)):
        index = (step + repetition) % len(servers)
        server = servers[index]
        wrk(server.base, 1, server.pid, script=script, script_args=warm_up_args[index], timeout=timeout)
        runs[index] = wrk(server.base, duration, server.pid, script=script, script_args=script_args[index], timeout=timeout)
    return runs  # type: ignore[return-value]


# What uvicorn runs on in an environment: with loop and http on "auto" (every server here), it picks
# uvloop and httptools when they can be imported, else asyncio and h11.
HTTP_STACK = (
    "import importlib.util as u, uvicorn; "
    "print(uvicorn.__version__, 'uvloop' if u.find_spec('uvloop') else 'asyncio', 'httptools' if u.find_spec('httptools') else 'h11')"
)


def versions() -> dict[str, str]:
    """Versions of everything measured, for the report."""
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": sys.version.split()[0]}
    for package in ("fastapi", "starlette", "pydantic", "sqlmodel", "SQLAlchemy"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "not installed"
    for label, python in (("ours", sys.executable), ("datasette's", str(VENV / "bin" / "python"))):
        out = subprocess.run([python, "-c", HTTP_STACK], capture_output=True, text=True).stdout.split() if Path(python).exists() else []
        if len(out) == 3:
            found[f"uvicorn ({label})"] = f"{out[0]} on {out[1]} + {out[2]}"
    datasette = VENV / "bin" / "python"
    if datasette.exists():
        out = subprocess.run([str(datasette), "-c", "import datasette.version as v; print(v.__version__)"], capture_output=True, text=True)
        found["datasette"] = out.stdout.strip() or "not installed"
    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    found["wrk"] = (wrk_version.stdout or wrk_version.stderr).split("[")[0].removeprefix("wrk").strip()
    return found


def machine() -> str:
    model = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
        "unknown CPU",
    )
    return f"{os.cpu_count()} cores ({model}); server on core {SERVER_CORE}, wrk on core {LOAD_CORE}"


def items_in(body: bytes) -> int | None:
    """How many records a JSON list response holds: a bare array, or the first list of objects in an envelope."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if isinstance(data, list):
        return len(data)
    if isinstance(data, dict):
        for value in data.values():
            if isinstance(value, list) and (not value or isinstance(value[0], dict)):
                return len(value)
    return None


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
