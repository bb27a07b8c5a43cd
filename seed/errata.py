"""Errors of the original document: located, checked, never edited."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from seed.errors import SourceError, line_and_column
from seed.restore import Restoration

ERRATA_PATH = Path(__file__).parent / "data" / "errata.toml"
OPEN_QUOTE, CLOSE_QUOTE = "“", "”"


@dataclass(frozen=True)
class Erratum:
    kind: str
    text: str
    suggested: str
    note: str
    start: int  # in the restored text
    end: int


def quote_anomalies(text: str) -> list[int]:
    """Offsets of curly double quotes that do not pair up, `“…”`, within their line."""
    anomalies, offset = [], 0
    for line in text.split("\n"):
        opened: list[int] = []
        for column, char in enumerate(line):
            if char == OPEN_QUOTE:
                opened.append(offset + column)
            elif char == CLOSE_QUOTE:
                if opened:
                    opened.pop()
                else:
                    anomalies.append(offset + column)
        anomalies += opened
        offset += len(line) + 1
    return sorted(anomalies)


def locate(restoration: Restoration, number: str, path: str, errata_path: Path = ERRATA_PATH) -> list[Erratum]:
    """The curated errata of document `number`, located in its restored text. Fails when a context
    does not occur exactly once, or when a quote anomaly is not covered by an erratum."""
    text = restoration.text
    entries = [e for e in tomllib.loads(errata_path.read_text(encoding="utf-8"))["erratum"] if e["document"] == number]
    errata = []
    for entry in entries:
        found = text.count(entry["context"])
        inside = entry["context"].find(entry["text"])
        if found != 1 or inside == -1:
            raise SourceError(
                path, 1, 1, f"the erratum context {entry['context']!r} exactly once, containing {entry['text']!r}", f"{found} occurrences"
            )
        start = text.find(entry["context"]) + inside
        errata.append(Erratum(entry["kind"], entry["text"], entry["suggested"], entry["note"], start, start + len(entry["text"])))
    for offset in quote_anomalies(text):
        if not any(e.start <= offset < e.end for e in errata):
            line, column = line_and_column(restoration.raw, restoration.raw_offsets[offset])
            raise SourceError(
                path,
                line,
                column,
                f"paired quotation marks, or an erratum for this one in {errata_path.name}",
                text[max(0, offset - 4) : offset + 5],
            )
    return sorted(errata, key=lambda e: e.start)
