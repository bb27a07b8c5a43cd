"""The build command and the database it writes: counts, positions, invariants, the content version.
That builds are byte-identical across processes: test_reproducible.py."""

from __future__ import annotations

import hashlib
import re
import sqlite3

import orjson
import pytest

from api.cli import main as cli
from tests.conftest import SOURCE

PINYIN_LETTER = re.compile(r"[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]")
TEXT_COLUMNS = {
    "documents": ["number", "title", "issuer", "issued_on_text", "adopted_by", "notice", "preamble", "restored_text"],
    "chapters": ["numeral", "title"],
    "measures": ["title", "body", "text", "responsibility"],
    "units": ["name", "full_name"],
    "measure_units": ["text", "designation"],
}


def one(db, sql, *args):
    return db.execute(sql, args).fetchone()


def test_build_loads_one_document_five_chapters_twenty_measures(db):
    counts = {t: one(db, f"select count(*) from {t}")[0] for t in ("documents", "chapters", "measures")}
    assert counts == {"documents": 1, "chapters": 5, "measures": 20}


def test_document_header_fields(db):
    doc = one(db, "select * from documents")
    assert doc["id"] == "lianzhengzong-2021-127"
    assert doc["number"] == "連政綜〔2021〕127號"
    assert orjson.loads(doc["recipients"]) == ["各鄉(鎮)政府", "縣直各有關單位", "各開發區管委會"]
    assert doc["adopted_by"] == "縣委十三屆十三次全會"
    assert doc["issuer"] == "連江縣人民政府"
    assert doc["issued_on"] == "2021-08-16"
    assert doc["title"] == "關于堅定不移推動高質量發展的貫徹意見"
    assert doc["notice"].startswith("《堅定不移推動高質量發展”的貫徹意見》已經縣委") and doc["notice"].endswith("請抓好貫徹落實。")
    assert doc["preamble"].startswith("為貫徹落實習近平總書記") and doc["preamble"].endswith("現提出如下措施:")


def test_chapters_and_measures_follow_the_source_lines(db, raw_source):
    lines = raw_source.split("\n")
    chapters = db.execute("select number, numeral, line from chapters order by number").fetchall()
    assert [(c["numeral"], c["line"]) for c in chapters] == [("一", 8), ("二", 11), ("三", 19), ("四", 24), ("五", 27)]
    measures = db.execute("select number, chapter_number, line from measures order by number").fetchall()
    assert [m["number"] for m in measures] == list(range(1, 21))
    assert [m["chapter_number"] for m in measures] == [1] * 2 + [2] * 7 + [3] * 4 + [4] * 2 + [5] * 5
    for m in measures:
        assert lines[m["line"] - 1].startswith(f"{m['number']}.")


def strip_pinyin(text: str) -> str:
    """An independent restoration, for comparison: drop (pinyin) groups, fix the one mojibake."""
    return re.sub(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)", "", text).replace("?;?", "模化")


def test_every_title_and_unit_list_matches_the_source_line(db, raw_source):
    lines = raw_source.split("\n")
    for m in db.execute("select * from measures"):
        line = strip_pinyin(lines[m["line"] - 1])
        assert line == f"{m['number']}.{m['title']}。{m['body']}(責任單位:{m['responsibility']})"
        assert m["text"] == f"{m['title']}。{m['body']}"
        links = db.execute("select text from measure_units where measure_id = ? order by position", (m["id"],))
        assert "、".join(link["text"] for link in links) == m["responsibility"]
    for c in db.execute("select * from chapters"):
        assert strip_pinyin(lines[c["line"] - 1]) == f"{c['numeral']}、{c['title']}"


def test_positions_point_at_the_text_in_both_the_raw_and_the_restored_document(db):
    doc = one(db, "select source_text, restored_text from documents")
    raw, restored = doc["source_text"], doc["restored_text"]
    for m in db.execute("select * from measures"):
        expected = f"{m['number']}.{m['text']}(責任單位:{m['responsibility']})"
        assert restored[m["start"] : m["end"]] == expected
        assert strip_pinyin(raw[m["raw_start"] : m["raw_end"]]) == expected
    for link in db.execute("select * from measure_units"):
        assert restored[link["start"] : link["end"]] == link["text"]
        assert strip_pinyin(raw[link["raw_start"] : link["raw_end"]]) == link["text"]
    for c in db.execute("select * from corrections"):
        assert raw[c["raw_start"] : c["raw_end"]] == c["raw_text"]
        assert restored[c["start"] : c["end"]] == c["text"]


def test_no_latin_pinyin_left_in_any_served_text(db):
    for table, columns in TEXT_COLUMNS.items():
        for row in db.execute(f"select {', '.join(columns)} from {table}"):
            for value in row:
                assert value is None or not PINYIN_LETTER.search(value), (table, value)
                assert value is None or not re.search(r"\([a-z]", value), (table, value)


def test_reapplying_the_correction_log_gives_back_the_source_byte_for_byte(db, raw_source):
    doc = one(db, "select restored_text, source_sha256 from documents")
    text = doc["restored_text"]
    log = db.execute("select start, end, text, raw_text from corrections where category = 'correction' order by start desc, raw_start desc")
    for c in log:
        assert text[c["start"] : c["end"]] == c["text"]
        text = text[: c["start"]] + c["raw_text"] + text[c["end"] :]
    assert text.encode("utf-8") == raw_source.encode("utf-8")
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == doc["source_sha256"]


def test_the_structured_fields_render_back_to_the_restored_text(db):
    doc = one(db, "select * from documents")
    lines = [doc["number"], ",".join(orjson.loads(doc["recipients"])) + ":", doc["notice"], doc["issuer"]]
    lines += [doc["issued_on_text"], doc["title"], doc["preamble"]]
    for c in db.execute("select * from chapters order by number").fetchall():
        lines.append(f"{c['numeral']}、{c['title']}")
        for m in db.execute("select * from measures where chapter_id = ? order by number", (c["id"],)):
            lines.append(f"{m['number']}.{m['title']}。{m['body']}(責任單位:{m['responsibility']})")
    assert "\n".join(lines) == doc["restored_text"]


def test_errata_are_recorded_with_a_suggested_reading_and_not_edited(db):
    errata = db.execute("select kind, text, suggested, line from corrections where category = 'erratum' order by start").fetchall()
    assert [tuple(e) for e in errata] == [
        ("unmatched_quote", "《堅定不移推動高質量發展”的貫徹意見》", "《“堅定不移推動高質量發展”的貫徹意見》", 3),
        ("reversed_quotes", "”辦不成事“", "“辦不成事”", 20),
        ("typo", "防指", "防治", 32),
    ]
    body = {m["number"]: m["body"] for m in db.execute("select number, body from measures")}
    assert "設立”辦不成事“窗口" in body[10]
    assert "打好污染防指攻堅戰" in body[20]


def test_mojibake_is_one_logged_correction(db):
    rows = db.execute("select raw_text, text, line from corrections where kind = 'mojibake'").fetchall()
    assert [tuple(r) for r in rows] == [("?;?", "模化", 14)]
    assert "擴大己內酰胺生產規模化," in one(db, "select body from measures where number = 5")["body"]


def test_ids_are_stable_strings(db):
    assert [r[0] for r in db.execute("select id from chapters order by number")] == [f"lianzhengzong-2021-127-ch{n}" for n in range(1, 6)]
    assert one(db, "select id from measures where number = 7")[0] == "lianzhengzong-2021-127-m7"


def dataset_version(path) -> str:
    return sqlite3.connect(path).execute("select value from dataset_info where key = 'dataset_version'").fetchone()[0]


def test_the_version_changes_with_the_content(built_db, tmp_path, raw_source):
    edited = tmp_path / SOURCE.name  # the session's source, under its own name, one word changed
    text = raw_source.replace("1.加大", "1.加強")
    assert text != raw_source
    edited.write_text(text, encoding="utf-8")
    path = tmp_path / "policy.sqlite3"
    assert cli(["build", str(edited), "--no-export", "--database-url", f"sqlite:///{path}"]) == 0
    assert re.fullmatch(r"[0-9a-f]{16}", dataset_version(path))
    assert dataset_version(path) != dataset_version(built_db)


def test_a_second_document_of_the_same_shape_loads_beside_the_first(tmp_path, raw_source):
    second = tmp_path / "second.txt"
    text = raw_source.replace("〔2021〕127號", "〔2021〕128號").replace("展”的貫徹", "展的貫徹")
    text = text.replace("”辦不成事“", "“辦不成事”").replace("防指", "防治")
    second.write_text(text, encoding="utf-8")
    path = tmp_path / "two.sqlite3"
    source = "seed/documents/000_5373e258ee6222e7.txt"
    assert cli(["build", source, str(second), "--no-export", "--database-url", f"sqlite:///{path}"]) == 0
    db = sqlite3.connect(path)
    assert [r[0] for r in db.execute("select id from documents order by id")] == ["lianzhengzong-2021-127", "lianzhengzong-2021-128"]
    assert db.execute("select count(*) from measures").fetchone()[0] == 40
    assert db.execute("select count(*) from corrections where category = 'erratum'").fetchone()[0] == 3
    assert db.execute("select measure_count from units where id = 'development-reform'").fetchone()[0] == 22


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "mysql://127.0.0.1/db", "postgresql+psycopg://x@127.0.0.1:1/db"])
def test_build_refuses_a_target_it_cannot_write_atomically_or_reach(url, capsys):
    assert cli(["build", "--database-url", url]) == 1
    assert "build failed" in capsys.readouterr().err


def test_the_source_is_the_published_copy_byte_for_byte():
    assert hashlib.sha256(SOURCE.read_bytes()).hexdigest() == "730a56ce8e4906900b20fa628deca9c74f3d2cd47c6fed706f5c3432bc7b54ad"
    assert SOURCE.read_bytes().count(b"\n") == 31 and not SOURCE.read_bytes().endswith(b"\n")
