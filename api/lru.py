"""The bounded LRU behind the database memos (api/db.py)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class SharedLRU:
    """A mapping that keeps at most `max_entries` items and `max_bytes` of `size(item)`, dropping
    the least recently used first, which threads share: the database memos are read on the event
    loop and filled from the threadpool at the same time. Unguarded, interleaved calls lose size
    updates or raise KeyError."""

    def __init__(self, max_entries: int, max_bytes: int | None = None, size: Callable[[Any], int] = lambda _: 0) -> None:
        self.items: OrderedDict[Hashable, Any] = OrderedDict()
        self.max_entries, self.max_bytes, self.size_of, self.size = max_entries, max_bytes, size, 0
        self.lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self.lock:
            item = self.items.get(key)
            if item is not None:
                self.items.move_to_end(key)
            return item

    def put(self, key: Hashable, item: Any) -> None:
        if self.max_bytes is not None and self.size_of(item) > self.max_bytes:
            return  # it would push out everything else and still not fit
        with self.lock:
            if key in self.items:
                self.size -= self.size_of(self.items.pop(key))
            self.items[key] = item
            self.size += self.size_of(item)
            while len(self.items) > self.max_entries or (self.max_bytes is not None and self.size > self.max_bytes):
                _, evicted = self.items.popitem(last=False)
                self.size -= self.size_of(evicted)

    def __len__(self) -> int:
        return len(self.items)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.size = 0
