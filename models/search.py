"""The grams of the search index, computed the same way at build time and at query time."""

from __future__ import annotations


def grams(text: str) -> set[str]:
    """Every character and every pair of adjacent characters of `text`."""
    return set(text) | {text[i : i + 2] for i in range(len(text) - 1)}
