"""The release log (seed/data/releases.toml): the data in seed/ is released, other data is not."""

from __future__ import annotations

import sqlite3

import pytest

from api.cli import main as cli
from seed.dataset import default_sources, load
from seed.releases import RELEASES_PATH, ReleaseLogError, load_releases
from tests.conftest import SOURCE


def test_the_data_in_seed_has_a_record_in_the_release_log():
    """Fails when the data changes without a record: add one with the version the build prints."""
    version = load(default_sources()).version
    assert version in [release.version for release in load_releases()], f"dataset version {version} has no record in {RELEASES_PATH}"


def test_the_build_writes_the_release_dates_of_a_released_version(db):
    info = dict(db.execute("select key, value from dataset_info").fetchall())
    first = load_releases()[0]
    assert info["released"] == next(r.date for r in load_releases() if r.version == info["dataset_version"]).isoformat()
    assert info["first_released"] == first.date.isoformat()


def test_a_build_of_other_data_is_unreleased(tmp_path):
    edited = tmp_path / SOURCE.name
    edited.write_text(SOURCE.read_text(encoding="utf-8").replace("1.加大", "1.加強"), encoding="utf-8")
    database = tmp_path / "edited.sqlite3"
    assert cli(["build", "--no-export", "--database-url", f"sqlite:///{database}", str(edited)]) == 0
    info = dict(sqlite3.connect(database).execute("select key, value from dataset_info").fetchall())
    assert info["dataset_version"] not in [release.version for release in load_releases()]
    assert "released" not in info and "first_released" not in info


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ('version = "a"\ndate = "2026-01-01"\nchanges = "x"', "expected a date"),
        ('date = 2026-01-01\nchanges = "x"', "expected a dataset version"),
        ('version = "a"\ndate = 2026-01-01\nchanges = " "', "expected what changed and why"),
        ('version = "a"\ndate = 2026-01-02\nchanges = "x"\n[[release]]\nversion = "b"\ndate = 2026-01-01\nchanges = "y"', "on or after"),
        ('version = "a"\ndate = 2026-01-01\nchanges = "x"\n[[release]]\nversion = "a"\ndate = 2026-01-02\nchanges = "y"', "already has"),
    ],
)
def test_a_malformed_release_log_fails_the_build_and_says_where(tmp_path, record, expected):
    log = tmp_path / "releases.toml"
    log.write_text(f"[[release]]\n{record}\n", encoding="utf-8")
    with pytest.raises(ReleaseLogError, match=expected) as failure:
        load(default_sources(), releases_path=log)
    assert str(log) in str(failure.value)
