"""The locks pin every dependency, test tools included, with hashes, and agree with pyproject.toml.

requirements.lock is what the image installs (the runtime); requirements-test.lock adds the test
tools (what `make test` and CI install). Both are made by the `uv pip compile` command at their top.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
RUNTIME = [Requirement(r) for r in PROJECT["dependencies"]]
TEST = [Requirement(r) for r in PROJECT["optional-dependencies"]["test"]]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)( ;.*)? \\$")  # name==version [; marker] \


def read_lock(name: str) -> dict[str, tuple[Version, int]]:
    """{package: (version, number of hashes)} of a lock file."""
    pins: dict[str, tuple[Version, int]] = {}
    current = None
    for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
        if match := PIN.match(line):
            current = canonicalize_name(match.group(1))
            pins[current] = (Version(match.group(2)), 0)
        elif line.strip().startswith("--hash=sha256:") and current:
            version, hashes = pins[current]
            pins[current] = (version, hashes + 1)
    return pins


LOCKS = {"requirements.lock": RUNTIME, "requirements-test.lock": RUNTIME + TEST}


def closure(roots: list[Requirement]) -> dict[str, list[Requirement]]:
    """Every requirement reachable from `roots` on this platform, by package, read from the
    metadata of what is installed (the tests run in an environment installed from the lock)."""
    environment = default_environment()
    found: dict[str, list[Requirement]] = {}
    pending = [(r, frozenset()) for r in roots]
    while pending:
        requirement, extras = pending.pop()
        if requirement.marker and not any(requirement.marker.evaluate({**environment, "extra": e}) for e in extras | {""}):
            continue
        name = canonicalize_name(requirement.name)
        seen = name in found
        found.setdefault(name, []).append(requirement)
        if seen and not requirement.extras:
            continue
        wanted = frozenset(requirement.extras)
        pending.extend((Requirement(r), wanted) for r in metadata.distribution(name).requires or [])
    return found


@pytest.mark.parametrize("lock", LOCKS)
def test_the_lock_says_how_it_was_made(lock):
    """The command at its top regenerates it; the test lock is resolved within the runtime lock."""
    command = re.search(r"^#\s+(uv pip compile .*)$", (ROOT / lock).read_text(encoding="utf-8"), re.M)
    assert command, f"{lock} does not record the command that made it"
    assert command.group(1).startswith("uv pip compile pyproject.toml") and f"-o {lock}" in command.group(1)
    assert "--generate-hashes" in command.group(1)
    if lock != "requirements.lock":
        assert "--extra test -c requirements.lock" in command.group(1)


@pytest.mark.parametrize("lock", LOCKS)
def test_every_pin_has_hashes(lock):
    """`--require-hashes` (the image, `make`) refuses a pin without one."""
    pins = read_lock(lock)
    assert pins, f"{lock} pins nothing"
    assert [name for name, (_, hashes) in pins.items() if hashes == 0] == []


@pytest.mark.parametrize("lock", LOCKS)
def test_the_lock_pins_every_dependency_within_what_pyproject_allows(lock):
    pins = read_lock(lock)
    for name, requirements in closure(LOCKS[lock]).items():
        assert name in pins, f"{name} is needed ({requirements[0]}) but {lock} does not pin it: regenerate the lock"
        version = pins[name][0]
        for requirement in requirements:
            assert requirement.specifier.contains(version, prereleases=True), f"{lock} pins {name}=={version}, but {requirement} is required"


def test_the_environment_is_the_one_the_test_lock_describes():
    """What the tests run on is what the lock says: a stale environment or lock shows here first."""
    pins = read_lock("requirements-test.lock")
    for name in closure(RUNTIME + TEST):
        assert Version(metadata.version(name)) == pins[name][0], name


def test_both_locks_agree_on_every_package_they_share():
    runtime, test = read_lock("requirements.lock"), read_lock("requirements-test.lock")
    assert {n: v for n, (v, _) in runtime.items()} == {n: test[n][0] for n in runtime if n in test}
    assert runtime.keys() <= test.keys()
