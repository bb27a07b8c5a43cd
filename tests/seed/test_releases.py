"""The release log (seed/data/releases.toml): the data in seed/ is released, other data is not; each
record's ids diff, published in every release as releases.json."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import orjson
import pytest

from api.cli import main as cli
from seed.build import build
from seed.dataset import default_sources, load
from seed.releases import COLLECTIONS, RELEASES_PATH, ReleaseLogError, digests_path, load_releases
from tests.conftest import SOURCE
from tests.seed.helpers import current_release


def test_the_data_in_seed_has_a_record_in_the_release_log():
    """Fails when the data changes without a record: add one with the version the build prints."""
    version = load(default_sources()).version
    assert version in [release.version for release in load_releases()], f"dataset version {version} has no record in {RELEASES_PATH}"


def test_the_build_writes_the_release_dates_of_a_released_version(db):
    info = dict(db.execute("select key, value from dataset_info").fetchall())
    first = load_releases()[0]
    assert info["released"] == next(r.date for r in load_releases() if r.version == info["dataset_version"]).isoformat()
    assert info["first_released"] == first.date.isoformat()


@pytest.fixture(scope="module")
def edited_build(tmp_path_factory) -> Path:
    """A build, with its downloads beside it, of the source with measure 1's 加大 edited to 加強."""
    folder = tmp_path_factory.mktemp("edited")
    edited = folder / SOURCE.name
    edited.write_text(SOURCE.read_text(encoding="utf-8").replace("1.加大", "1.加強"), encoding="utf-8")
    database = folder / "edited.sqlite3"
    assert cli(["build", "--database-url", f"sqlite:///{database}", str(edited)]) == 0
    return database


def test_a_build_of_other_data_is_unreleased(edited_build):
    info = dict(sqlite3.connect(edited_build).execute("select key, value from dataset_info").fetchall())
    assert info["dataset_version"] not in [release.version for release in load_releases()]
    assert "released" not in info and "first_released" not in info


def test_every_record_has_its_digest_file():
    """The build writes it for the version it builds; commit it with the record."""
    for release in load_releases():
        assert digests_path(release.version).is_file(), f"run `policy-api build` and commit {digests_path(release.version)}"


def _rows(database: Path) -> dict[str, dict[str, tuple]]:
    """Every row of each collection's table, by id, read with sqlite3 alone."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    found = {}
    for collection in COLLECTIONS:
        cursor = connection.execute(f"select * from {collection}")
        names = [column[0] for column in cursor.description]
        found[collection] = {}
        for row in cursor:
            record = dict(zip(names, row, strict=True))
            key = f"{record['measure_id']}/{record['position']}" if collection == "measure_units" else record["id"]
            found[collection][key] = row
    return found


def _release_log(database: Path) -> dict:
    return orjson.loads((current_release(database.parent / "exports") / "releases.json").read_bytes())


def test_the_released_data_has_its_record_with_every_id_added(built_db):
    log = _release_log(built_db)
    first = load_releases()[0]
    assert log["releases"][0] | {"ids": None} == {
        "version": first.version,
        "date": first.date.isoformat(),
        "unreleased": False,
        "changes": first.changes,
        "ids": None,
    }
    assert [entry["version"] for entry in log["releases"]] == [release.version for release in load_releases()]  # no unreleased entry
    rows = _rows(built_db)
    assert log["releases"][0]["ids"] == {name: {"added": list(rows[name]), "changed": [], "removed": []} for name in COLLECTIONS}


def test_an_edited_source_is_an_unreleased_entry_naming_exactly_the_ids_that_changed(built_db, edited_build):
    log = _release_log(edited_build)
    entry = log["releases"][-1]
    version = dict(sqlite3.connect(edited_build).execute("select key, value from dataset_info").fetchall())["dataset_version"]
    assert log["dataset_version"] == entry["version"] == version
    assert entry["date"] is None and entry["unreleased"] is True and entry["changes"] is None
    assert [e["version"] for e in log["releases"][:-1]] == [release.version for release in load_releases()]
    before, after = _rows(built_db), _rows(edited_build)
    for name in COLLECTIONS:
        changed = sorted(key for key in before[name] if key in after[name] and before[name][key] != after[name][key])
        assert entry["ids"][name] == {"added": [], "changed": changed, "removed": []}, name
    assert "lianzhengzong-2021-127-m1" in entry["ids"]["measures"]["changed"]


def test_the_build_writes_a_missing_digest_file_and_refuses_one_that_differs(tmp_path, built_db):
    log = tmp_path / "releases.toml"
    shutil.copyfile(RELEASES_PATH, log)
    version = load_releases()[-1].version
    written = digests_path(version, log)
    assert not written.exists()
    build(f"sqlite:///{tmp_path / 'one.sqlite3'}", releases_path=log)
    assert written.read_bytes() == digests_path(version).read_bytes()
    written.write_bytes(written.read_bytes().replace(b'"lianzhengzong-2021-127-m1"', b'"lianzhengzong-2021-127-m99"'))
    with pytest.raises(ReleaseLogError, match="differ from the data"):
        build(f"sqlite:///{tmp_path / 'two.sqlite3'}", releases_path=log)
    assert not (tmp_path / "two.sqlite3").exists()


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
