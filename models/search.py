"""The grams of the search index, computed the same way at build time and at query time."""

from __future__ import annotations

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
