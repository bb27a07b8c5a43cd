"""Focused tests of the restoration: what is stripped, what survives, and the log's invariant."""

from __future__ import annotations

import re

import pytest

from seed.errors import SourceError
from seed.restore import MOJIBAKE, PINYIN_ANNOTATION, restore, unrestore


def test_nested_annotation_inside_a_real_parenthesis_is_stripped_and_the_parenthesis_kept():
    result = restore("各鄉(xiāng)(鎮(zhèn))政府")
    assert result.text == "各鄉(鎮)政府"
    assert [(c.kind, c.raw_start, c.raw_text, c.restored_text) for c in result.corrections] == [
        (PINYIN_ANNOTATION, 2, "(xiāng)", ""),
        (PINYIN_ANNOTATION, 11, "(zhèn)", ""),
    ]


@pytest.mark.parametrize("text", ["縣發改局(科技局)", "福州(連江)國家", "離任(任中)審計", "(責任單位:縣人社局、工信局)"])
def test_real_parentheses_survive(text):
    assert restore(text).text == text
    assert restore(text).corrections == ()


def test_mojibake_is_repaired_and_logged_after_the_annotation_before_it():
    result = restore("生產(chǎn)規(guī)?;?,建設")
    assert result.text == "生產規模化,建設"
    assert [(c.kind, c.raw_text, c.restored_text, c.restored_start) for c in result.corrections] == [
        (PINYIN_ANNOTATION, "(chǎn)", "", 2),
        (PINYIN_ANNOTATION, "(guī)", "", 3),
        (MOJIBAKE, "?;?", "模化", 3),
    ]


def test_the_log_reapplied_gives_back_the_raw_copy(raw_source):
    result = restore(raw_source)
    assert unrestore(result.text, result.corrections) == raw_source
    assert unrestore(result.text, result.corrections).encode("utf-8") == raw_source.encode("utf-8")


def test_the_source_restores_with_one_mojibake_and_no_pinyin_left(raw_source):
    result = restore(raw_source)
    kinds = [c.kind for c in result.corrections]
    assert kinds.count(MOJIBAKE) == 1
    assert kinds.count(PINYIN_ANNOTATION) == len(re.findall(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)", raw_source))
    assert not re.search(r"[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]", result.text)
    assert not re.search(r"\([A-Za-z]", result.text)
    assert "?" not in result.text


def test_raw_offsets_map_each_kept_character_to_itself(raw_source):
    result = restore(raw_source)
    replaced = {i for c in result.corrections for i in range(c.restored_start, c.restored_end)}
    for offset, char in enumerate(result.text):
        if offset not in replaced:
            assert raw_source[result.raw_offsets[offset]] == char


@pytest.mark.parametrize(
    ("text", "line", "column", "expected"),
    [
        ("發(Fā)展", 1, 2, "a pinyin annotation like (fā)"),
        ("發(fa1)展", 1, 2, "a pinyin annotation like (fā)"),
        ("第一行\n發(fā zhǎn)展", 2, 2, "a pinyin annotation like (fā)"),
        ("A(fā)", 1, 2, "a pinyin annotation right after a Han character"),
        ("規模?化", 1, 3, "a lone '?' is an unknown encoding artifact"),
    ],
)
def test_unknown_annotation_forms_fail_with_line_and_column(text, line, column, expected):
    with pytest.raises(SourceError) as failure:
        restore(text, "doc.txt")
    assert (failure.value.line, failure.value.column) == (line, column)
    assert expected in failure.value.expected
    assert str(failure.value).startswith(f"doc.txt:{line}:{column}: expected ")
