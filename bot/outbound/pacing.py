"""Pacing sends under a chat platform's flood limits, so it never has to tell us to slow down.

Telegram's limits (core.telegram.org/bots/faq): about one message a second in one chat, with short
bursts tolerated, and about 30 a second across all chats. We keep a token bucket per chat (a burst of a
few, then one a second) and a sliding one-second window overall, each with a small margin because our
clock and Telegram's see a send at slightly different moments. A 429's retry_after pauses everything.

Our own code rather than a library: aiolimiter and PTB's AIORateLimiter each pace one of the two limits
or tie pacing to one chat library; we need both limits, one mechanism for every channel, and a pause
that a 429 can extend. The pacing is per process (run one sender; DESIGN.md §4).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    at: float


class Pacer:
    def __init__(self, per_chat: float = 1.0, burst: int = 3, overall: int = 30, margin: float = 0.05,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep):
        self.rate = per_chat / (1 + margin)  # tokens a second in one chat
        self.burst = burst
        self.overall = overall
        self.window = 1.0 + margin
        self.clock, self.sleep = clock, sleep
        self._chats: dict[str, _Bucket] = {}
        self._recent: deque[float] = deque()  # send times in the last window, across chats
        self._paused_until = 0.0
        self._overall = asyncio.Lock()  # first come, first served for the overall window

    def pause(self, seconds: float) -> None:
        """The platform said "retry after `seconds`": nobody sends until then."""
        self._paused_until = max(self._paused_until, self.clock() + seconds)

    async def slot(self, chat_key: str) -> None:
        """Wait until one more send to `chat_key` is within every limit, and count it."""
        bucket = await self._chat_token(chat_key)
        async with self._overall:
            while (wait := self._overall_wait()) > 0:
                await self.sleep(wait)
            now = self.clock()
            self._recent.append(now)
            bucket.tokens -= 1
            bucket.at = max(bucket.at, now)
        self._forget_idle_chats()

    async def _chat_token(self, chat_key: str) -> _Bucket:
        # Only one sender drains a chat at a time (the notifier's rule), so this wait needs no lock.
        while True:
            now = self.clock()
            bucket = self._chats.setdefault(chat_key, _Bucket(float(self.burst), now))
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
            if bucket.tokens >= 1:
                return bucket
            await self.sleep((1 - bucket.tokens) / self.rate)

    def _overall_wait(self) -> float:
        now = self.clock()
        while self._recent and now - self._recent[0] >= self.window:
            self._recent.popleft()
        full = self._recent[0] + self.window - now if len(self._recent) >= self.overall else 0.0
        return max(full, self._paused_until - now)

    def _forget_idle_chats(self) -> None:
        if len(self._chats) > 10_000:  # a chat idle long enough to have a full bucket needs no entry
            now = self.clock()
            full = self.burst / self.rate
            for key in [k for k, b in self._chats.items() if now - b.at > full]:
                del self._chats[key]
