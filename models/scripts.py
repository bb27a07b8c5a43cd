"""The two scripts every text is served in, and the one conversion between them.

The documents are published in Traditional script (`hant`); the Simplified form (`hans`) is derived
from it with OpenCC's t2s, which maps variant spellings to one Simplified string (關于 and 關於 both
become 关于). That makes Simplified the search key: a query in either script is converted the same
way and compared with the converted text.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache

import opencc


class Script(StrEnum):
    """`hant`: Traditional, as published. `hans`: Simplified, converted with OpenCC t2s."""

    hant = "hant"  # Traditional, as published
    hans = "hans"  # Simplified, converted with OpenCC t2s

    @property
    def language_tag(self) -> str:
        return "zh-Hant" if self is Script.hant else "zh-Hans"


@cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_hans(text: str) -> str:
    return _converter().convert(text)
