"""Restore the published text from the damaged copy, logging every change.

Two kinds of damage are repaired (see seed/README.md):
- inline pinyin: a Han character followed by its reading in parentheses, `發(fā)`;
- mojibake: byte sequences that did not survive a re-encoding, `?;?` for `模化`.

Every change is a `Correction` that records where it was in the raw copy and where its
replacement is in the restored text, so `unrestore(restored, corrections) == raw` always.
Parentheses without Latin letters are real text and stay.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from seed.errors import SourceError, line_and_column

PINYIN_ANNOTATION = "pinyin_annotation"
MOJIBAKE = "mojibake"

# Artifacts known from these copies, and the text they stand for.
KNOWN_MOJIBAKE = {"?;?": "模化"}

TONE_MARKED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹ"
# One lowercase syllable with at most one tone mark: `fā`, `xiāng`, `lüè`, `de`.
PINYIN_SYLLABLE = re.compile(rf"^[a-zü]*[{TONE_MARKED}]?[a-zü]*$")
# The innermost parenthesis pairs; annotations never nest, real parentheses may hold one.
INNERMOST_PARENS = re.compile(r"\(([^()\n]*)\)")
LATIN = re.compile(rf"[A-Za-zü{TONE_MARKED}]")
HAN = re.compile(r"[\u3400-\u9fff\U00020000-\U0002ffff]")


@dataclass(frozen=True)
class Correction:
    kind: str
    raw_start: int
    raw_end: int
    raw_text: str
    restored_start: int
    restored_end: int
    restored_text: str
    line: int
    column: int


@dataclass(frozen=True)
class Restoration:
    raw: str
    text: str
    corrections: tuple[Correction, ...]
    raw_offsets: tuple[int, ...]  # raw offset of each restored offset, len(text) + 1 entries

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        """The raw-text span that restored `text[start:end]` came from."""
        return self.raw_offsets[start], self.raw_offsets[end]


def _damage(raw: str, path: str) -> list[tuple[int, int, str, str]]:
    """(raw_start, raw_end, kind, replacement) for every damaged span, in order."""
    spans = []
    for match in INNERMOST_PARENS.finditer(raw):
        content = match.group(1)
        if not LATIN.search(content):
            continue  # a real parenthesis
        line, column = line_and_column(raw, match.start())
        if not PINYIN_SYLLABLE.match(content) or len(content) > 6:
            raise SourceError(path, line, column, "a pinyin annotation like (fā) or a real parenthesis", match.group())
        if match.start() == 0 or not HAN.match(raw[match.start() - 1]):
            raise SourceError(
                path, line, column, "a pinyin annotation right after a Han character", raw[max(0, match.start() - 1) : match.end()]
            )
        spans.append((match.start(), match.end(), PINYIN_ANNOTATION, ""))
    for artifact, meaning in KNOWN_MOJIBAKE.items():
        for match in re.finditer(re.escape(artifact), raw):
            spans.append((match.start(), match.end(), MOJIBAKE, meaning))
    spans.sort()
    covered = set()
    for start, end, *_ in spans:
        covered.update(range(start, end))
    for match in re.finditer(r"\?", raw):
        if match.start() not in covered:
            line, column = line_and_column(raw, match.start())
            raise SourceError(
                path, line, column, "text (a lone '?' is an unknown encoding artifact)", raw[max(0, match.start() - 2) : match.end() + 2]
            )
    return spans


def restore(raw: str, path: str = "<source>") -> Restoration:
    """Strip the annotations and repair the mojibake in `raw`."""
    pieces: list[str] = []
    raw_offsets: list[int] = []
    corrections: list[Correction] = []
    position = restored_length = 0
    for start, end, kind, replacement in _damage(raw, path):
        kept = raw[position:start]
        pieces.append(kept)
        raw_offsets.extend(range(position, start))
        restored_length += len(kept)
        line, column = line_and_column(raw, start)
        corrections.append(
            Correction(kind, start, end, raw[start:end], restored_length, restored_length + len(replacement), replacement, line, column)
        )
        pieces.append(replacement)
        # A replacement character maps to the start of the span it replaces.
        raw_offsets.extend([start] * len(replacement))
        restored_length += len(replacement)
        position = end
    pieces.append(raw[position:])
    raw_offsets.extend(range(position, len(raw) + 1))
    return Restoration(raw, "".join(pieces), tuple(corrections), tuple(raw_offsets))


def unrestore(text: str, corrections: tuple[Correction, ...] | list[Correction]) -> str:
    """Re-apply the correction log backwards: the raw copy, byte for byte."""
    pieces, position = [], 0
    for correction in sorted(corrections, key=lambda c: c.restored_start):
        if text[correction.restored_start : correction.restored_end] != correction.restored_text:
            raise ValueError(f"correction at {correction.restored_start} does not match the text")
        pieces += [text[position : correction.restored_start], correction.raw_text]
        position = correction.restored_end
    pieces.append(text[position:])
    return "".join(pieces)
