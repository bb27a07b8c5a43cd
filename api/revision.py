"""The representation revision: a digest of the code that turns a dataset version into response bytes.

An ETag made without hashing the body (api/responses.py) names the data (the dataset version) and
this revision, so that a deploy that changes the bytes of a response also changes its ETag. It is
a digest of every file of the `api` and `models` packages (code, templates, stylesheet), of the
versions of the libraries that write body bytes, and of the Python and zlib that run them: read
once per process, a few milliseconds at start-up.

A constant bumped by hand would be cheaper still, but it would be forgotten: a template or
presenter edited without the bump would serve new bytes under old ETags, and browsers and CDNs
revalidating would keep the old bytes for good.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.resources
import sys
import zlib
from collections.abc import Iterable, Iterator
from functools import cache
from importlib.resources.abc import Traversable

PACKAGES = ("api", "models")
# The libraries whose output is part of a body: JSON, the pages' HTML and escaping, the catalog's
# RDF syntaxes, the pages' Simplified words, and the query parsing that the links repeat.
DISTRIBUTIONS = ("orjson", "jinja2", "markupsafe", "rdflib", "opencc", "starlette")
SKIPPED = {"__pycache__"}  # compiled copies of the sources, which differ by interpreter and by time


def files_of(root: Traversable, prefix: str = "") -> Iterator[tuple[str, Traversable]]:
    """(relative path, file) of every file beneath `root`, in name order."""
    for entry in sorted(root.iterdir(), key=lambda entry: entry.name):
        if entry.name in SKIPPED:
            continue
        path = f"{prefix}{entry.name}"
        if entry.is_dir():
            yield from files_of(entry, path + "/")
        else:
            yield path, entry


def digest_of(roots: dict[str, Traversable], facts: Iterable[str] = ()) -> str:
    """A digest of the files beneath each named root (names and bytes) and of `facts`."""
    digest = hashlib.sha256()
    for name, root in sorted(roots.items()):
        for path, file in files_of(root):
            data = file.read_bytes()
            # Each name and size is written before its bytes, so no two trees digest alike.
            digest.update(f"{name}/{path}\0{len(data)}\0".encode())
            digest.update(data)
    for fact in facts:
        digest.update(f"{fact}\0".encode())
    return digest.hexdigest()[:16]


def runtime() -> list[str]:
    """The versions of what runs the code: the libraries that write bytes, Python, zlib (gzip)."""
    versions = [f"{name}=={importlib.metadata.version(name)}" for name in DISTRIBUTIONS]
    return [*versions, "python=={}.{}.{}".format(*sys.version_info[:3]), f"zlib=={zlib.ZLIB_RUNTIME_VERSION}"]


@cache
def revision() -> str:
    """This process's representation revision (computed on first use, then remembered)."""
    return digest_of({name: importlib.resources.files(name) for name in PACKAGES}, runtime())
