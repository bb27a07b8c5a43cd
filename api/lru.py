"""The bounded LRU behind the database memo (api/db.py), and how it weighs what it keeps."""

from __future__ import annotations

import enum
import sys
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import fields, is_dataclass
from typing import Any

POINTER = 8
# What anything else weighs: a compiled SQL statement, a column. Generous, so the bound holds.
OPAQUE = 2048
ENTRY = 200  # the mapping's own slot, the key's tuple and the entry's bookkeeping


def compact(data: bytes) -> bytes:
    """`data` in an allocation of its own size, for keeping. orjson's output keeps the capacity it
    wrote into (4 KiB at least), which a 300-byte body would hold on to for as long as it is kept."""
    return memoryview(data).tobytes()


def footprint(value: object) -> int:
    """Bytes `value` holds in memory, keys included when it is a key: exact for strings and bytes,
    summed through tuples, lists, sets and dataclasses, and generous for anything else. Shared
    singletons (None, booleans, enum members) cost a pointer."""
    if value is None or isinstance(value, bool | enum.Enum):
        return POINTER
    if isinstance(value, str | bytes | int | float):
        return sys.getsizeof(value)
    if isinstance(value, tuple | list | frozenset | set):
        return sys.getsizeof(value) + sum(footprint(item) for item in value)
    if is_dataclass(value):
        return sys.getsizeof(value) + sum(footprint(getattr(value, field.name)) for field in fields(value))
    return OPAQUE


class SharedLRU:
    """A mapping that keeps at most `max_entries` items and `max_bytes` of keys and items together
    (by `footprint`), dropping the least recently used first, which threads share: the database
    memo is read on the event loop and filled from the threadpool at the same time. Unguarded,
    interleaved calls lose size updates or raise KeyError."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()  # key: (item, its weight with the key's)
        self.max_entries, self.max_bytes, self.size = max_entries, max_bytes, 0
        self.lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self.lock:
            found = self.items.get(key)
            if found is None:
                return None
            self.items.move_to_end(key)
            return found[0]

    def put(self, key: Hashable, item: Any) -> None:
        weight = ENTRY + footprint(key) + footprint(item)
        if weight > self.max_bytes // 16:
            return  # it would crowd out the rest
        with self.lock:
            if key in self.items:
                self.size -= self.items.pop(key)[1]
            self.items[key] = (item, weight)
            self.size += weight
            while len(self.items) > self.max_entries or self.size > self.max_bytes:
                _, (_, evicted) = self.items.popitem(last=False)
                self.size -= evicted

    def __len__(self) -> int:
        return len(self.items)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.size = 0
