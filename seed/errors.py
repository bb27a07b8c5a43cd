"""The one error a malformed source document raises."""

from __future__ import annotations


class SourceError(ValueError):
    """The source does not have the expected shape at (line, column), both 1-based."""

    def __init__(self, path: str, line: int, column: int, expected: str, found: str) -> None:
        self.path, self.line, self.column = path, line, column
        self.expected, self.found = expected, found
        super().__init__(f"{path}:{line}:{column}: expected {expected}, found {found!r}")


def line_and_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column (in code points) of `offset` in `text`."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column
