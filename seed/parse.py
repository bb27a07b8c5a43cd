"""Parse a restored policy notice into its structure, strictly.

The shape (one item per line, see seed/README.md):

    連政綜〔2021〕127號                       document number
    各鄉(鎮)政府,縣直各有關單位,…:          recipients
    《…》已經縣委…全會研究通過,…。            notice (names the adopting body)
    連江縣人民政府                            issuer
    2021年8月16日                             issue date
    關于…的貫徹意見                           title
    為貫徹落實…                               preamble
    一、…                                     chapter, numerals in order
    1.標題。正文…(責任單位:A、B、C)           measure, numbered 1..n across chapters

Anything else fails with a SourceError naming the raw line and column and what was expected.
Positions are code-point offsets: `start`/`end` in the restored text, `raw_start`/`raw_end` in the
copy as received. Every character lands in exactly one field: `render` rebuilds the restored text.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from seed.errors import SourceError, line_and_column
from seed.restore import Restoration

DOCUMENT_NUMBER = re.compile(r"^(?P<code>[\u4e00-\u9fff]+)〔(?P<year>\d{4})〕(?P<serial>\d+)號$")
ISSUE_DATE = re.compile(r"^(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日$")
ADOPTED_BY = re.compile(r"已經(?P<body>[^,,。]+?)研究通過")
CHAPTER = re.compile(r"^(?P<numeral>[一二三四五六七八九十]+)、(?P<title>.+)$")
MEASURE = re.compile(r"^(?P<number>\d+)\.(?P<rest>.*)$")
RECIPIENT_SEPARATOR, RECIPIENTS_END = ",", ":"
UNITS_OPEN, UNITS_CLOSE, UNIT_SEPARATOR = "(責任單位:", ")", "、"
DESIGNATED = re.compile(r"^(?P<name>.+?)\((?P<designation>[^()]+)\)$")
DIGITS = "一二三四五六七八九"


def chinese_numeral(n: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 20 -> 二十 (1..99, as chapter headings write them)."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else DIGITS[tens - 1] + "十")
    return head + (DIGITS[ones - 1] if ones else "")


@dataclass(frozen=True)
class Span:
    line: int
    start: int
    end: int
    raw_start: int
    raw_end: int


@dataclass(frozen=True)
class Text:
    text: str
    span: Span


@dataclass(frozen=True)
class UnitRef:
    position: int
    text: str  # exactly as written, `發改局(科技局)`
    name: str  # without the designation, `發改局`
    designation: str | None  # `科技局`
    span: Span


@dataclass(frozen=True)
class Chapter:
    number: int
    numeral: str
    title: Text
    span: Span


@dataclass(frozen=True)
class Measure:
    number: int
    chapter: int
    title: Text
    body: Text
    responsibility: Text  # the unit list as written, between `(責任單位:` and `)`
    units: tuple[UnitRef, ...]
    span: Span

    @property
    def text(self) -> str:
        """The measure's prose: title, its full stop, body."""
        return f"{self.title.text}。{self.body.text}"


@dataclass(frozen=True)
class Document:
    number: Text
    code: str
    year: int
    serial: int
    recipients: tuple[Text, ...]
    notice: Text
    adopted_by: Text  # a part of the notice, not a field of its own in `render`
    issuer: Text
    issued_on: dt.date
    issued_on_text: Text
    title: Text
    preamble: Text
    chapters: tuple[Chapter, ...]
    measures: tuple[Measure, ...]


class _Lines:
    """Restored lines with the means to locate and blame a position in them."""

    def __init__(self, restoration: Restoration, path: str) -> None:
        self.restoration, self.path = restoration, path
        self.lines = restoration.text.split("\n")
        self.starts = []
        offset = 0
        for line in self.lines:
            self.starts.append(offset)
            offset += len(line) + 1

    def span(self, index: int, start: int, end: int) -> Span:
        """Span of columns [start, end) of line `index` (0-based)."""
        base = self.starts[index]
        raw_start, raw_end = self.restoration.raw_span(base + start, base + end)
        return Span(index + 1, base + start, base + end, raw_start, raw_end)

    def text(self, index: int, start: int, end: int) -> Text:
        return Text(self.lines[index][start:end], self.span(index, start, end))

    def fail(self, index: int, column: int, expected: str, found: str | None = None) -> SourceError:
        if index >= len(self.lines):
            line, col = len(self.lines), len(self.lines[-1]) + 1
            return SourceError(self.path, line, col, expected, "the end of the document")
        raw_offset = self.restoration.raw_offsets[self.starts[index] + column]
        line, col = line_and_column(self.restoration.raw, raw_offset)
        return SourceError(self.path, line, col, expected, self.lines[index][column:] if found is None else found)

    def whole(self, index: int, what: str) -> Text:
        if index >= len(self.lines) or not self.lines[index].strip():
            raise self.fail(index, 0, what, "" if index < len(self.lines) else None)
        return self.text(index, 0, len(self.lines[index]))


def _recipients(lines: _Lines, index: int) -> tuple[Text, ...]:
    line = lines.whole(index, "the recipients line")
    if not line.text.endswith(RECIPIENTS_END):
        raise lines.fail(index, len(line.text) - 1, f"the recipients line to end with {RECIPIENTS_END!r}")
    recipients, column = [], 0
    for name in line.text[:-1].split(RECIPIENT_SEPARATOR):
        if not name:
            raise lines.fail(index, column, "a recipient name")
        recipients.append(lines.text(index, column, column + len(name)))
        column += len(name) + 1
    return tuple(recipients)


def _units(lines: _Lines, index: int, start: int, end: int) -> tuple[UnitRef, ...]:
    """Split `A、B(x)、C` at the separators outside parentheses."""
    text = lines.lines[index]
    refs, depth, item_start = [], 0, start
    for column in range(start, end + 1):
        char = text[column] if column < end else UNIT_SEPARATOR
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            raise lines.fail(index, column, "a unit name (unbalanced ')')")
        if char != UNIT_SEPARATOR or depth:
            continue
        written = text[item_start:column]
        if not written:
            raise lines.fail(index, item_start, "a unit name", written)
        designated = DESIGNATED.match(written)
        refs.append(
            UnitRef(
                position=len(refs) + 1,
                text=written,
                name=designated["name"] if designated else written,
                designation=designated["designation"] if designated else None,
                span=lines.span(index, item_start, column),
            )
        )
        item_start = column + 1
    if depth:
        raise lines.fail(index, start, "balanced parentheses in the unit list")
    return tuple(refs)


def _measure(lines: _Lines, index: int, number: int, chapter: int) -> Measure:
    text = lines.lines[index]
    match = MEASURE.match(text)
    if not match or int(match["number"]) != number:
        raise lines.fail(index, 0, f"measure {number} ('{number}.')", text[:12])
    title_start = match.start("rest")
    title_end = text.find("。", title_start)
    if title_end <= title_start:
        raise lines.fail(index, title_start, "a measure title ending in '。'")
    block = text.rfind(UNITS_OPEN)
    if block == -1 or not text.endswith(UNITS_CLOSE) or block <= title_end:
        raise lines.fail(index, len(text), f"the responsible units {UNITS_OPEN}…{UNITS_CLOSE} closing measure {number}", text[-12:])
    units_start, units_end = block + len(UNITS_OPEN), len(text) - len(UNITS_CLOSE)
    if title_end + 1 == block:
        raise lines.fail(index, block, f"the body of measure {number}")
    return Measure(
        number=number,
        chapter=chapter,
        title=lines.text(index, title_start, title_end),
        body=lines.text(index, title_end + 1, block),
        responsibility=lines.text(index, units_start, units_end),
        units=_units(lines, index, units_start, units_end),
        span=lines.span(index, 0, len(text)),
    )


def parse(restoration: Restoration, path: str = "<source>") -> Document:
    lines = _Lines(restoration, path)

    number = lines.whole(0, "the document number, like 連政綜〔2021〕127號")
    number_match = DOCUMENT_NUMBER.match(number.text)
    if not number_match:
        raise lines.fail(0, 0, "the document number, like 連政綜〔2021〕127號")
    recipients = _recipients(lines, 1)
    notice = lines.whole(2, "the notice sentence")
    adopted = ADOPTED_BY.search(notice.text)
    if not adopted:
        raise lines.fail(2, 0, "the notice naming the body that adopted it (已經…研究通過)")
    issuer = lines.whole(3, "the issuer")
    issued = lines.whole(4, "the issue date, like 2021年8月16日")
    date_match = ISSUE_DATE.match(issued.text)
    try:
        issued_on = dt.date(int(date_match["y"]), int(date_match["m"]), int(date_match["d"]))  # type: ignore[index]
    except (TypeError, ValueError):
        raise lines.fail(4, 0, "a valid issue date, like 2021年8月16日") from None
    title = lines.whole(5, "the title")
    preamble = lines.whole(6, "the preamble")

    chapters: list[Chapter] = []
    measures: list[Measure] = []
    index = 7
    while index < len(lines.lines):
        text = lines.lines[index]
        numeral = chinese_numeral(len(chapters) + 1)
        chapter = CHAPTER.match(text)
        if chapter:
            if chapter["numeral"] != numeral:
                raise lines.fail(index, 0, f"chapter {numeral}、", text[:12])
            if chapters and (not measures or measures[-1].chapter != len(chapters)):
                raise lines.fail(index, 0, f"a measure of chapter {chapters[-1].numeral}")
            chapters.append(
                Chapter(len(chapters) + 1, numeral, lines.text(index, len(numeral) + 1, len(text)), lines.span(index, 0, len(text)))
            )
        elif chapters and MEASURE.match(text):
            measures.append(_measure(lines, index, len(measures) + 1, len(chapters)))
        else:
            expected = f"chapter {numeral}、…" if not chapters else f"measure {len(measures) + 1}. or chapter {numeral}、…"
            raise lines.fail(index, 0, expected, text[:12])
        index += 1
    if not chapters:
        raise lines.fail(index, 0, "chapter 一、…")
    if not measures or measures[-1].chapter != len(chapters):
        raise lines.fail(index, 0, f"a measure of chapter {chapters[-1].numeral}")

    return Document(
        number=number,
        code=number_match["code"],
        year=int(number_match["year"]),
        serial=int(number_match["serial"]),
        recipients=recipients,
        notice=notice,
        adopted_by=lines.text(2, adopted.start("body"), adopted.end("body")),
        issuer=issuer,
        issued_on=issued_on,
        issued_on_text=issued,
        title=title,
        preamble=preamble,
        chapters=tuple(chapters),
        measures=tuple(measures),
    )


def render(document: Document) -> str:
    """The restored text, rebuilt from the parsed fields and the fixed punctuation of the shape."""
    lines = [
        document.number.text,
        RECIPIENT_SEPARATOR.join(r.text for r in document.recipients) + RECIPIENTS_END,
        document.notice.text,
        document.issuer.text,
        document.issued_on_text.text,
        document.title.text,
        document.preamble.text,
    ]
    for chapter in document.chapters:
        lines.append(f"{chapter.numeral}、{chapter.title.text}")
        for measure in document.measures:
            if measure.chapter == chapter.number:
                units = UNIT_SEPARATOR.join(u.text for u in measure.units)
                lines.append(f"{measure.number}.{measure.text}{UNITS_OPEN}{units}{UNITS_CLOSE}")
    return "\n".join(lines)
