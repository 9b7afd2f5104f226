"""Drawing copies (PDF) and pictures (PNG) without stalling everyone else.

Drawing is CPU-bound Python (fpdf2, Pillow): tens to hundreds of milliseconds each. Done inside a database
session it held SQLite's one connection, so 100 parallel downloads from one chat made /healthz wait 42
seconds (issue 17). So callers read what to draw in a short transaction and draw here, after it:

- off the event loop, in a small pool of threads (measured against a process pool in BENCHMARKS.md,
  "Flood": threads keep /healthz well under a second, need no second copy of the catalogues and fonts, and
  start at once; the GIL still lets the event loop in every few milliseconds);
- at most `workers` drawings at a time in the process, and at most `waiting` more queued: past that a
  download is refused with a wait (`Busy`), rather than piling up work nobody will wait for;
- one drawing at a time per chat: a chat asking for a second while its first is drawing is refused; and at most
  `per_minute` downloads a minute per chat, drawn or not, refused before the database is asked anything (each
  download reads the database, which on SQLite everyone shares, /healthz and the desks included);
- remembered, keyed by everything that is drawn (the words, the language and register, the day), so a
  changed answer has a new key and is never served stale; bounded by size, least recently used first out.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


class Busy(Exception):
    """Not drawn now: this chat is already drawing (`whose` "chat"), or the process is full ("all")."""

    def __init__(self, whose: str, retry_after: int):
        super().__init__(f"busy ({whose}); try again in {retry_after} s")
        self.whose, self.retry_after = whose, retry_after


def key_of(*what: object) -> str:
    """A cache key naming everything drawn: any change in it (an item rewritten, a step reached) is a new key."""
    return hashlib.sha256(repr(what).encode()).hexdigest()


class Drawing:
    def __init__(self, workers: int = 2, waiting: int = 8, cache_bytes: int = 32 * 1024 * 1024,
                 retry_after: float = 3.0, per_minute: int = 30):
        self.workers, self.waiting, self.cache_bytes = workers, waiting, cache_bytes
        self.retry_after = max(1, math.ceil(retry_after))
        self._downloads, self._per_minute = MovingWindowRateLimiter(MemoryStorage()), RateLimitItemPerMinute(per_minute)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="drawing")
        self._slots: asyncio.Semaphore | None = None
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._cached_bytes = 0
        self._chats: set[str] = set()
        self._in_hand = 0  # drawing now or waiting for a slot
        self.drawn = self.served_from_cache = self.refused = 0  # for the benchmarks and the tests

    def cached(self, key: str) -> bytes | None:
        data = self._cache.get(key)
        if data is not None:
            self._cache.move_to_end(key)
            self.served_from_cache += 1
        return data

    def check(self, chat: str) -> None:
        """Raise Busy now, before any database work, if this download may not go ahead (it counts one)."""
        if not self._downloads.hit(self._per_minute, chat):
            self.refused += 1
            reset = self._downloads.get_window_stats(self._per_minute, chat).reset_time
            raise Busy("chat", max(1, math.ceil(reset - time.time())))
        self._room_for(chat)

    def _room_for(self, chat: str | None) -> None:
        if chat is not None and chat in self._chats:
            self.refused += 1
            raise Busy("chat", self.retry_after)
        if chat is not None and self._in_hand >= self.workers + self.waiting:
            self.refused += 1
            raise Busy("all", self.retry_after)

    async def draw(self, key: str, make: Callable[[], bytes], chat: str | None = None) -> bytes:
        """What `make` draws, from the cache or drawn now in the pool. With `chat` (a download) it may be
        refused (Busy); without (a turn of the chat, already one at a time per chat) it waits its turn."""
        if (data := self.cached(key)) is not None:
            return data
        self._room_for(chat)
        if self._slots is None:  # made here, inside the running loop
            self._slots = asyncio.Semaphore(self.workers)
        if chat is not None:
            self._chats.add(chat)
        self._in_hand += 1
        try:
            async with self._slots:
                if (data := self.cached(key)) is not None:  # drawn by someone else while this one waited
                    return data
                data = await asyncio.get_running_loop().run_in_executor(self._pool, make)
                self.drawn += 1
                self._remember(key, data)
                return data
        finally:
            self._in_hand -= 1
            if chat is not None:
                self._chats.discard(chat)

    def _remember(self, key: str, data: bytes) -> None:
        if len(data) > self.cache_bytes // 4 or key in self._cache:
            return  # one huge copy would push out everything else
        self._cache[key] = data
        self._cached_bytes += len(data)
        while self._cached_bytes > self.cache_bytes:
            _key, old = self._cache.popitem(last=False)
            self._cached_bytes -= len(old)
