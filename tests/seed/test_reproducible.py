"""The same source gives the same bytes: the database, every download, SHA256SUMS and the manifest,
whichever process builds them. Python randomises its string hashes per process (PYTHONHASHSEED),
so two builds in one process share an order that another process may not: the builds here run as
separate console commands under fixed, different seeds, and are compared with the session's build,
made in this process under its own (random, unless set) seed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.seed.helpers import current_release, tree

SEEDS = ("0", "1")
DATABASE = "policy.sqlite3"


def console(args: list[str], seed: str) -> subprocess.Popen:
    env = os.environ | {"PYTHONHASHSEED": seed}
    return subprocess.Popen([sys.executable, "-m", "api.cli", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def seeded_builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[subprocess.CompletedProcess, Path]]:
    """`python -m api.cli build` once per seed, side by side: {seed: (the run, its folder)}."""
    folders = {seed: tmp_path_factory.mktemp(f"seed-{seed}") for seed in SEEDS}
    running = {seed: console(["build", "--database-url", f"sqlite:///{folder / DATABASE}"], seed) for seed, folder in folders.items()}
    builds = {}
    for seed, process in running.items():
        stdout, stderr = process.communicate()
        builds[seed] = (subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr), folders[seed])
    return builds


def test_the_console_script_builds(seeded_builds):
    for run, folder in seeded_builds.values():
        assert run.returncode == 0, run.stderr
        assert re.match(r"built dataset [0-9a-f]{16} into sqlite:///.*: 1 documents, 5 chapters, 20 measures", run.stdout)
        assert (folder / DATABASE).exists() and (current_release(folder / "exports") / "SHA256SUMS").exists()


def test_builds_under_different_hash_seeds_are_byte_identical(seeded_builds, built_db):
    trees = [tree(folder) for _, folder in seeded_builds.values()] + [tree(built_db.parent)]
    expected = trees[0]
    # What is compared: the database, and every download with its checksums and the manifest, in
    # the folder of a release whose id is therefore the same too.
    release = f"exports/releases/{expected['exports/current'].decode().strip()}/"
    downloads = {name.removeprefix(release) for name, data in expected.items() if name.startswith(release) and data}
    listed = {line.split("  ", 1)[1] for line in expected[f"{release}SHA256SUMS"].decode().splitlines()}
    assert listed == downloads - {"SHA256SUMS", ".manifest.json"}
    assert {DATABASE, f"{release}.manifest.json", f"{release}policy.sqlite3", f"{release}hans/measures.csv"} <= expected.keys()
    for other in trees[1:]:
        assert other.keys() == expected.keys()
        assert [name for name in expected if other[name] != expected[name]] == []


def test_exports_from_postgresql_are_the_same_bytes_in_another_process(seeded_builds, backend_settings, tmp_path):
    """The PostgreSQL build's hash order cannot show in what it serves (every read has an ORDER
    BY); its export is written by a process of its own, under a fixed seed, and must be the very
    files the SQLite builds wrote."""
    reader = backend_settings("postgresql").database_url
    out = tmp_path / "exports"
    stdout, stderr = console(["export", "--out", str(out), "--database-url", reader], SEEDS[-1]).communicate()
    assert f"into {out}" in stdout, stderr
    sqlite_exports = tree(seeded_builds[SEEDS[0]][1] / "exports")
    assert tree(out) == sqlite_exports
