"""The written dumps, one folder per release, served as written or not at all.

A release is the set of files one export wrote (seed/export.py, at build time), in
`EXPORTS_DIR/releases/<release id>/` with its manifest; its id is the first 16 hex digits of the
sha256 of its SHA256SUMS, so it names the bytes of every file. A folder is never changed once
written; `EXPORTS_DIR/current` names the latest release, and is replaced atomically. The layout's
names and the two hashes (sha256sums, release_id) are defined here, where the writer imports them
too: the server reads releases without loading any of the code that writes them.

A file is served only if it is the file the manifest describes: reached without following a
symbolic link, a regular file, of the manifest's size and sha256. The sha256 is computed once per
version of the file on disk (device, inode, size, mtime and ctime: any write, replacement or
`touch` changes one of them), and one `fstat` per request compares the version; the bytes are then
read from the descriptor that was checked, never by opening the path again, so a file swapped in
after the check is not what gets sent. What no check before a transfer can see is a file rewritten
in place while it is being sent: the next request catches it (a file that shrinks cuts the
transfer short, api/byteranges.py). A release's manifest is read only if its SHA256SUMS, as the
manifest lists the files, hashes to the folder's name: the URL of a release names its bytes.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import stat
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from api.problems import Problem, not_found

log = logging.getLogger("api.downloads")
MANIFEST = ".manifest.json"  # what a release lists, written by seed/export.py; internal, not itself a download
RELEASES_DIR = "releases"  # EXPORTS_DIR/releases/<release id>/: a release's files and its manifest
CURRENT = "current"  # EXPORTS_DIR/current: the id of the latest release (a line of text)
SUMS_NAME = "SHA256SUMS"
RELEASE_ID = re.compile(r"[0-9a-f]{16}")

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


def sha256sums(files: Iterable[tuple[str, str]]) -> bytes:
    """The SHA256SUMS of (name, sha256) pairs, as `sha256sum -c` reads it: one line a file, by name."""
    return "".join(f"{digest}  {name}\n" for name, digest in sorted(files)).encode()


def release_id(sums: bytes) -> str:
    """A release's id: the first 16 hex digits of the sha256 of its SHA256SUMS."""
    return hashlib.sha256(sums).hexdigest()[:16]


class Release:
    """One release folder: its manifest, read once, and the outcome of the last sha256 check of
    each file (one entry per manifest file, no more)."""

    def __init__(self, folder: Path, manifest: dict[str, Any], source: tuple[int, ...]) -> None:
        self.folder, self.id, self.source = folder, folder.name, source
        self.dataset_version: str = manifest["dataset_version"]
        self.released: str | None = manifest["released"]  # the release log's date of its dataset version; None: unreleased data
        self.files: dict[str, dict[str, Any]] = {entry["name"]: entry for entry in manifest["files"]}
        self.checked: dict[str, tuple[tuple[int, ...], bool]] = {}

    @property
    def written(self) -> int:
        """When its manifest was written (ns), which orders the releases: st_mtime of the source."""
        return self.source[3]

    @classmethod
    def read(cls, folder: Path) -> Release | None:
        """The release in `folder`, or None (logged) when it is not one: a manifest that cannot be
        read, or whose files' SHA256SUMS does not hash to the folder's name."""
        try:
            status = os.stat(folder / MANIFEST, follow_symlinks=False)
            if not stat.S_ISREG(status.st_mode):
                raise ValueError(f"its {MANIFEST} is not a regular file")
            source = file_version(status)
            manifest = orjson.loads((folder / MANIFEST).read_bytes())
            files = {entry["name"]: entry["sha256"] for entry in manifest["files"]}
            sums = sha256sums((name, digest) for name, digest in files.items() if name != SUMS_NAME)
            if hashlib.sha256(sums).hexdigest() != files.get(SUMS_NAME) or release_id(sums) != folder.name:
                raise ValueError(f"its files' SHA256SUMS does not hash to {folder.name}")
            return cls(folder, manifest, source)
        except FileNotFoundError:
            return None  # being written or copied in: seen once its manifest is there
        except (OSError, ValueError, KeyError, TypeError) as error:
            log.warning("release %s ignored: %s", folder.name, error, extra={"fields": {"release": folder.name, "cause": str(error)}})
            return None

    def open(self, name: str) -> OpenFile:
        """The manifest's file `name`, open and checked; FileUnavailable (logged) when it is not
        there as written."""
        try:
            return self._open_checked(name, self.files[name])
        except FileUnavailable as cause:
            log.warning("export withheld: %s", cause, extra={"fields": {"export": name, "release": self.id, "cause": str(cause)}})
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


def _release_folders(root: Path) -> list[Path]:
    try:
        entries = list(os.scandir(root / RELEASES_DIR))
    except OSError:
        return []
    return sorted(Path(entry.path) for entry in entries if RELEASE_ID.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False))


def releases_source(root: Path) -> tuple:
    """What tells one state of the exports folder from the next: the pointer's version, and each
    release folder's name and its manifest's version (a release copied in shows once its manifest
    is there)."""

    def version(path: Path) -> tuple[int, ...] | None:
        try:
            return file_version(os.stat(path, follow_symlinks=False))
        except OSError:
            return None

    return version(root / CURRENT), tuple((folder.name, version(folder / MANIFEST)) for folder in _release_folders(root))


class Releases:
    """Every release in the exports folder `root`, newest first (by when its manifest was written),
    and the current one. A release unchanged since `previous` is taken over with its checks."""

    def __init__(self, root: Path, previous: Releases | None = None) -> None:
        self.root = root
        self.source = releases_source(root)  # before the reads: a release written meanwhile is seen next time
        kept = previous.by_id if previous is not None else {}
        manifests = dict(self.source[1])
        found = []
        for folder in _release_folders(root):
            release = kept.get(folder.name)
            if release is None or release.source != manifests.get(folder.name):
                release = Release.read(folder)
            if release is not None:
                found.append(release)
        self.by_id = {release.id: release for release in sorted(found, key=lambda r: (r.written, r.id), reverse=True)}
        try:
            current = (root / CURRENT).read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            current = None
        self.current = self.by_id.get(current) if current else None

    def get(self, release: str) -> Release:
        """The release `release`, or a 404 problem naming the current one."""
        found = self.by_id.get(release)
        if found is None:
            now = f"the current release is {self.current.id}" if self.current else "no release is present: run `policy-api export`"
            raise not_found(f"no release {release!r} here; {now} (see /v1/releases)")
        return found


class Exports:
    """The current release, which /v1/exports serves, when it holds the dumps of the dataset
    version being served."""

    def __init__(self, releases: Releases, dataset_version: str) -> None:
        self.release, self.problem = releases.current, None
        self.files: dict[str, dict[str, Any]] = {}
        folder = releases.root.name
        if self.release is None:
            self.problem = f"no current release in {folder}/: run `policy-api export`"
        elif self.release.dataset_version != dataset_version:
            self.problem = (
                f"the current release {self.release.id} holds the dumps of dataset {self.release.dataset_version}, "
                f"not {dataset_version}: run `policy-api export`"
            )
        else:
            self.files = self.release.files

    def require(self) -> Release:
        if self.problem:
            raise Problem(503, self.problem, headers={"Retry-After": "60"})
        return self.release

    def open(self, name: str) -> OpenFile:
        return self.release.open(name)
