"""The grams of the search index, computed the same way at build time and at query time."""

from __future__ import annotations

from collections.abc import Callable

from models.scripts import to_hans

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
