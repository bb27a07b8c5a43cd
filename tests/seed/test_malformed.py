"""Malformed sources fail the build with the line, the column and what was expected, and the
database already built stays exactly as it was, downloads included.

Every case runs the build command over a database already built: a copy of the session's build
(made by the same command), which costs a file copy instead of a build per case."""

from __future__ import annotations

import shutil

import pytest

from api.cli import main as cli
from tests.seed.helpers import tree


def damage(raw: str, old: str, new: str, count: int = 1) -> str:
    assert raw.count(old) >= count, old
    return raw.replace(old, new, count)


CASES = {
    "measure out of sequence": (lambda r: damage(r, "\n2.加強", "\n3.加強"), 10, 1, "expected measure 2 ('2.')"),
    "measure without its units": (
        lambda r: damage(r, "(責任單位:縣人社局、工信局)", ""),
        28,
        None,
        "expected the responsible units (責任單位:…) closing measure 16",
    ),
    "chapter numeral out of order": (lambda r: damage(r, "\n三、深化", "\n四、深化"), 19, 1, "expected chapter 三、, found '四、深化"),
    "unknown annotation form": (lambda r: damage(r, "發(fā)展", "發(FA)展"), 3, 12, "expected a pinyin annotation like (fā)"),
    "annotation with a digit tone": (lambda r: damage(r, "(fā)", "(fa1)"), 2, 33, "expected a pinyin annotation like (fā)"),
    "unknown unit": (lambda r: damage(r, "、醫(yī)保局)", "、社保局)"), 31, None, "expected a unit in seed/data/units.toml"),
    "unknown designation": (lambda r: damage(r, "(大數(shù)據(jù)局)", "(統計局)"), 12, None, "expected a designation of 縣發改局"),
    "invalid date": (lambda r: damage(r, "2021年8月16日", "2021年13月16日"), 5, 1, "expected a valid issue date"),
    "stray quote": (lambda r: damage(r, "1.加大", "1.加“大"), 9, 4, "expected paired quotation marks"),
    "lone question mark": (lambda r: damage(r, "1.加大", "1.加?大"), 9, 4, "a lone '?' is an unknown encoding artifact"),
    "missing document number": (lambda r: r.split("\n", 1)[1], 1, 1, "expected the document number"),
    "header only": (lambda r: "\n".join(r.split("\n")[:7]), 7, None, "expected chapter 一、…"),
    "chapter without measures": (lambda r: damage(r, "\n三、深化", "\n三、空章\n四、深化"), 20, 1, "expected a measure of chapter 三"),
    "measure before any chapter": (
        lambda r: damage(r, "\n一、實施", "\n1.測試。正文(責任單位:縣財政局)\n一、實施"),
        8,
        1,
        "expected chapter 一、…",
    ),
}


@pytest.fixture
def previous_db(built_db, tmp_path):
    """A database already built, with its downloads beside it, alone in its folder."""
    folder = tmp_path / "previous"
    folder.mkdir()
    shutil.copyfile(built_db, folder / built_db.name)
    shutil.copytree(built_db.parent / "exports", folder / "exports")
    return folder / built_db.name


def build_fails(source, previous_db, capsys) -> str:
    """Run the build command from `source` over `previous_db`: it must fail and leave every file
    of that folder (database, downloads, no temporary file) byte for byte as it was. Its error."""
    before = tree(previous_db.parent)
    assert {previous_db.name, "exports/current"} <= before.keys() and any(name.endswith("/SHA256SUMS") for name in before)
    capsys.readouterr()
    assert cli(["build", str(source), "--database-url", f"sqlite:///{previous_db}"]) == 1
    assert tree(previous_db.parent) == before
    return capsys.readouterr().err


@pytest.mark.parametrize("name", CASES)
def test_malformed_source_fails_with_position_and_leaves_the_database(name, previous_db, tmp_path, raw_source, capsys):
    change, line, column, expected = CASES[name]
    source = tmp_path / "bad.txt"
    source.write_text(change(raw_source), encoding="utf-8")

    error = build_fails(source, previous_db, capsys)

    position = f"{source}:{line}:" + (f"{column}:" if column else "")
    assert error.startswith(f"build failed: {position}"), error
    assert expected in error, error


def test_non_utf8_bytes_fail_with_their_line_and_column(previous_db, tmp_path, raw_source, capsys):
    source = tmp_path / "latin1.txt"
    lines = raw_source.encode("utf-8").split(b"\n")
    lines[3] = "連江".encode() + b"\xff\xfe" + lines[3][6:]
    source.write_bytes(b"\n".join(lines))
    assert build_fails(source, previous_db, capsys).startswith(f"build failed: {source}:4:3: expected UTF-8 text, found 'ff fe")


def test_a_missing_source_file_fails_cleanly(previous_db, tmp_path, capsys):
    assert "No such file" in build_fails(tmp_path / "nope.txt", previous_db, capsys)
