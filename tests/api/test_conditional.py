"""The one decision of conditional GET (api/conditional.py), on the cases HTTP tests rarely reach."""

from __future__ import annotations

import pytest

from api.conditional import not_modified

ETAG = '"abc"'
WRITTEN = 784111777.6  # Sun, 06 Nov 1994 08:49:37 GMT, and a fraction that Last-Modified drops
SAME_SECOND = "Sun, 06 Nov 1994 08:49:37 GMT"


@pytest.mark.parametrize(
    ("if_none_match", "expected"),
    [
        ('"abc"', True),
        ('W/"abc"', True),  # weak comparison: a weak tag matches its strong twin
        ('"x", W/"abc" ,"y"', True),  # a list, spaces around its members
        ("*", True),
        ('"x", *', True),
        ('"abd"', False),
        ('"ABC"', False),  # opaque tags compare byte for byte
        ("abc", False),  # unquoted is another tag
        ("", False),
    ],
)
def test_if_none_match_is_compared_weakly(if_none_match, expected):
    assert not_modified(if_none_match, ETAG) is expected


def test_a_weak_etag_of_ours_matches_its_strong_twin():
    assert not_modified('"abc"', 'W/"abc"')


@pytest.mark.parametrize(
    ("if_modified_since", "expected"),
    [
        (SAME_SECOND, True),  # not newer: the fraction of a second is not in Last-Modified
        ("Sun, 06 Nov 1994 08:49:36 GMT", False),  # a second older than the file
        ("Mon, 07 Nov 1994 08:49:37 GMT", True),
        ("Sun, 06 Nov 1994 16:49:37 +0800", True),  # the same instant in another zone
        ("Sun, 06 Nov 1994 08:49:37", True),  # no zone: read as GMT
        ("yesterday", False),  # not a date: ignored
        ("", False),
        ("Sun, 32 Nov 1994 08:49:37 GMT", False),  # no such day: ignored
    ],
)
def test_if_modified_since_compares_whole_seconds_and_ignores_what_is_not_a_date(if_modified_since, expected):
    assert not_modified(None, ETAG, if_modified_since, WRITTEN) is expected


def test_if_none_match_when_sent_decides_alone():
    assert not not_modified('"other"', ETAG, SAME_SECOND, WRITTEN)
    assert not not_modified("", ETAG, SAME_SECOND, WRITTEN)  # present, even empty
    assert not_modified(ETAG, ETAG, "Sun, 06 Nov 1994 08:49:36 GMT", WRITTEN)


def test_if_modified_since_needs_a_last_modified():
    assert not not_modified(None, ETAG, SAME_SECOND)
    assert not not_modified(None, ETAG)
