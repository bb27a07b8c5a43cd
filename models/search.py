"""The search of the measures, in one place: the grams of a text, computed the same way at build
time and at query time; the index of them, its tables and its rows, derived from the measures (the
build writes it beside the domain tables, api/collections.py queries it); and where a query occurs
in a text."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from models.scripts import to_hans
from models.tables import Measure

# Runs of one to three characters are indexed: a search for at most three characters is a lookup
# of one gram (exact, and its count is known), a longer one starts from its rarest grams.
LONGEST_GRAM = 3


def grams(text: str) -> set[str]:
    """Every run of one to LONGEST_GRAM adjacent characters of `text`."""
    return {text[i : i + n] for n in range(1, LONGEST_GRAM + 1) for i in range(len(text) - n + 1)}


def needle_grams(needle: str) -> set[str]:
    """The grams a text must hold to contain `needle`: the needle itself when it is short enough
    to be a gram, else its runs of LONGEST_GRAM characters."""
    if len(needle) <= LONGEST_GRAM:
        return {needle}
    return {needle[i : i + LONGEST_GRAM] for i in range(len(needle) - LONGEST_GRAM + 1)}


class SearchGram(SQLModel, table=True):
    """Every gram of each measure's Simplified title and of its body. A literal search starts from
    the measures holding the query's rarest grams instead of reading every measure."""

    __tablename__ = "search_grams"
    # The search walks one gram's measures in the measures' order, without reading them.
    __table_args__ = (Index("ix_search_grams_order", "gram", "document_id", "number", "measure_id"),)
    gram: str = Field(primary_key=True)
    measure_id: str = Field(primary_key=True, foreign_key="measures.id")
    document_id: str
    number: int


class SearchText(SQLModel, table=True):
    """The Simplified title and body of each measure, alone: a literal check of a search's
    candidates reads these narrow rows, not the measures' wide ones."""

    __tablename__ = "search_texts"
    measure_id: str = Field(primary_key=True, foreign_key="measures.id")
    title: str
    body: str = Field(sa_column=Column(Text, nullable=False))


class GramCount(SQLModel, table=True):
    """How many measures hold each gram of search_grams: which grams of a query are rarest."""

    __tablename__ = "gram_counts"
    gram: str = Field(primary_key=True)
    measures: int


# Derived from the measures for the API's search, not data: the downloadable database leaves them out.
SEARCH_INDEX = (SearchGram, SearchText, GramCount)


def index_rows(measures: list[Measure]) -> tuple[list[dict], list[SearchText], list[dict]]:
    """The rows of SEARCH_INDEX's tables, in its order. Plain rows where there are thousands per
    document (millions at scale): a table model per row made most of the build's time."""
    rows, counts = [], Counter()
    texts = [SearchText(measure_id=m.id, title=m.title_hans, body=m.body_hans) for m in measures]
    for measure in measures:
        found = grams(measure.title_hans) | grams(measure.body_hans)
        key = {"measure_id": measure.id, "document_id": measure.document_id, "number": measure.number}
        rows += [{"gram": gram, **key} for gram in sorted(found)]
        counts.update(found)
    return rows, texts, [{"gram": gram, "measures": n} for gram, n in sorted(counts.items())]


def occurrences(text: str, needle: str, fold: Callable[[str], str] = to_hans) -> list[tuple[int, int]]:
    """Where `needle` (already folded) occurs in `text` folded by `fold`, as (start, end) code-point
    offsets into `text` itself: every occurrence, left to right, never overlapping (after one ends the
    next is sought), so that each can be highlighted as it is. The search compares Simplified texts
    (models/scripts.py), so by default `text` is converted to Simplified; t2s keeps this dataset's
    texts character for character, and should a fold ever change a length, each character is folded
    alone so that offsets still map back to `text`."""
    if not needle:
        return []
    folded = fold(text)
    if len(folded) == len(text):
        origin = list(range(len(text) + 1))
    else:
        pieces = [fold(character) for character in text]
        folded = "".join(pieces)
        origin = [i for i, piece in enumerate(pieces) for _ in piece] + [len(text)]
    found, at = [], folded.find(needle)
    while at >= 0:
        found.append((origin[at], origin[at + len(needle) - 1] + 1))
        at = folded.find(needle, at + len(needle))
    return found
