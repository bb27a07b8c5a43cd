"""The written dumps, served as written or not at all.

A file is served only if it is the file the manifest describes: reached without following a
symbolic link, a regular file, of the manifest's size and sha256. The sha256 is computed once per
version of the file on disk (device, inode, size, mtime and ctime: any write, replacement or
`touch` changes one of them), and one `fstat` per request compares the version; the bytes are then
read from the descriptor that was checked, never by opening the path again, so a file swapped in
after the check is not what gets sent. What no check before a transfer can see is a file rewritten
in place while it is being sent: the next request catches it (a file that shrinks cuts the
transfer short, api/byteranges.py).
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from api.problems import Problem

log = logging.getLogger("api.downloads")
MANIFEST = ".manifest.json"  # what /v1/exports lists, written by api/export.py; internal, not itself a download

# Every component of a name is opened relative to its parent's descriptor, with O_NOFOLLOW: a
# symbolic link anywhere below the exports folder fails the open instead of being followed, and
# nothing can swap a link in between a check and the open. (The folder itself is configuration and
# may be a link.) O_NONBLOCK keeps a FIFO put in a file's place from blocking the open; fstat then
# refuses it as not a regular file.
FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK
# File times tick coarsely (a jiffy on Linux, a second or two on some file systems): a file changed
# again within the tick in which it was hashed keeps its times. A check is remembered only for a
# file whose last change is older than this, as Git does for its "racily clean" index entries.
SETTLED_SECONDS = 2.0


class FileUnavailable(Exception):
    """A file of the manifest that cannot be served as written; the message says why."""


@dataclass(frozen=True)
class OpenFile:
    """A checked file: its descriptor (the response reads from it and closes it) and its status."""

    fd: int
    size: int
    mtime: float

    def close(self) -> None:
        os.close(self.fd)


def _open_without_links(folder: Path, name: str) -> int:
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise FileUnavailable(f"{name!r} is not a plain relative name")
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as error:
        raise FileUnavailable(f"the exports folder {folder}: {error.strerror}") from None
    try:
        for depth, part in enumerate(parts):
            flags = FILE_FLAGS if depth == len(parts) - 1 else FOLDER_FLAGS
            try:
                opened = os.open(part, flags, dir_fd=fd)
            except OSError as error:
                raise FileUnavailable(f"{'/'.join(parts[: depth + 1])}: {_why(part, fd, error)}") from None
            os.close(fd)
            fd = opened
    except BaseException:
        os.close(fd)
        raise
    return fd  # the file's


def _why(part: str, parent: int, error: OSError) -> str:
    try:
        if stat.S_ISLNK(os.stat(part, dir_fd=parent, follow_symlinks=False).st_mode):
            return "a symbolic link, which is never followed"
    except OSError:
        pass
    return error.strerror or str(error)


def _sha256(fd: int) -> str:
    with open(fd, "rb", buffering=0, closefd=False) as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def file_version(status: os.stat_result) -> tuple[int, ...]:
    """What tells one content of a file from the next, as the filesystem records it."""
    return status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns


class Exports:
    """The dumps written for the dataset version being served: the manifest, read once, and the
    outcome of the last sha256 check of each file (one entry per manifest file, no more)."""

    def __init__(self, folder: Path, dataset_version: str) -> None:
        self.folder, self.files, self.problem = folder, {}, None
        self.checked: dict[str, tuple[tuple[int, ...], bool]] = {}
        try:
            manifest = orjson.loads((folder / MANIFEST).read_bytes())
        except (OSError, orjson.JSONDecodeError):
            self.problem = f"no dumps in {folder.name}/: run `policy-api export`"
            return
        if manifest["dataset_version"] != dataset_version:
            self.problem = f"the dumps are of dataset {manifest['dataset_version']}, not {dataset_version}: run `policy-api export`"
            return
        self.files: dict[str, dict[str, Any]] = {entry["name"]: entry for entry in manifest["files"]}

    def require(self) -> None:
        if self.problem:
            raise Problem(503, self.problem, headers={"Retry-After": "60"})

    def open(self, name: str) -> OpenFile:
        """The manifest's file `name`, open and checked; FileUnavailable (logged) when it is not
        there as written."""
        try:
            return self._open_checked(name, self.files[name])
        except FileUnavailable as cause:
            log.warning("export withheld: %s", cause, extra={"fields": {"export": name, "cause": str(cause)}})
            raise

    def _open_checked(self, name: str, entry: dict[str, Any]) -> OpenFile:
        fd = _open_without_links(self.folder, name)
        try:
            now = time.time()  # before the fstat: a change after it lands in a later tick than a settled ctime
            status = os.fstat(fd)
            if not stat.S_ISREG(status.st_mode):
                raise FileUnavailable(f"{name}: not a regular file")
            if status.st_size != entry["bytes"]:
                raise FileUnavailable(f"{name}: {status.st_size} bytes on disk, {entry['bytes']} in the manifest")
            version = file_version(status)
            remembered = self.checked.get(name)
            if remembered is not None and remembered[0] == version:
                intact = remembered[1]
            else:
                intact = _sha256(fd) == entry["sha256"]
                if now - status.st_ctime >= SETTLED_SECONDS:
                    self.checked[name] = (version, intact)  # threads may race here: both results are true
            if not intact:
                raise FileUnavailable(f"{name}: its sha256 differs from the manifest's {entry['sha256']}")
            return OpenFile(fd, status.st_size, status.st_mtime)
        except BaseException:
            os.close(fd)
            raise
