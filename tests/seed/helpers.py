"""What the seed tests compare: a folder's files, byte for byte."""

from __future__ import annotations

from pathlib import Path


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) under `folder`, hidden ones included, by its path
    relative to it: a leftover temporary file or folder shows too."""
    return {path.relative_to(folder).as_posix(): path.read_bytes() if path.is_file() else None for path in sorted(folder.rglob("*"))}


def current_release(exports: Path) -> Path:
    """The folder of the release that `exports/current` names (api/downloads.py)."""
    return exports / "releases" / (exports / "current").read_text(encoding="ascii").strip()
