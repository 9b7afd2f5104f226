"""Login slow-down (DESIGN.md §8): after a few wrong passwords, for one login or from one address,
refuse further tries for a while, longer each time, and say how long.

`LoginThrottle` keeps its counts in memory. With several desk worker processes each keeps its own,
so an attacker gets up to (workers × limit) tries per window: still slow, but pass a shared
implementation of `Throttle` (PostgreSQL or Redis) to the desk when running many workers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


class Throttle(Protocol):
    """What a desk needs from a throttle; async so a shared store can stand behind it."""

    async def wait_seconds(self, login: str, ip: str) -> int:
        """0 when a try may go ahead, else how many seconds to wait."""

    async def failed(self, login: str, ip: str) -> int:
        """Count a wrong login or password; returns the wait that now applies."""

    async def succeeded(self, login: str) -> None:
        """Forget that login's failures (not the address's: one good login must not unlock a spray)."""


@dataclass
class _Record:
    failures: int = 0
    last: float = 0.0
    locked_until: float = 0.0


def login_key(login: str) -> str:
    """Logins differing only by case or spaces are the same target."""
    return login.strip().casefold()


class LoginThrottle:
    """In-memory throttle for one process. Waits double from `first_wait` up to `longest_wait`."""

    def __init__(self, max_failures: int = 5, window: float = 15 * 60, first_wait: float = 30,
                 longest_wait: float = 15 * 60, ip_max_failures: int | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        # An office behind one address may want a higher per-address limit than per-login one.
        self.limits = {"login": max_failures, "ip": ip_max_failures or max_failures}
        self.window, self.first_wait, self.longest_wait, self.clock = window, first_wait, longest_wait, clock
        self._records: dict[tuple[str, str], _Record] = {}

    def _keys(self, login: str, ip: str) -> list[tuple[str, str]]:
        return [("login", login_key(login)), ("ip", ip)]

    def _forgotten(self, record: _Record, now: float) -> bool:
        # Counted from the end of the last wait, so a long wait does not wipe the count that caused it.
        return now - max(record.last, record.locked_until) > self.window

    def _record(self, key: tuple[str, str], now: float) -> _Record:
        record = self._records.get(key)
        if record is None or self._forgotten(record, now):
            record = self._records[key] = _Record()
        return record

    def _wait(self, now: float, keys: list[tuple[str, str]]) -> int:
        until = max((r.locked_until for k in keys if (r := self._records.get(k))), default=0.0)
        return max(0, math.ceil(until - now))

    async def wait_seconds(self, login: str, ip: str) -> int:
        return self._wait(self.clock(), self._keys(login, ip))

    async def failed(self, login: str, ip: str) -> int:
        now = self.clock()
        self._prune(now)
        keys = self._keys(login, ip)
        for key in keys:
            record = self._record(key, now)
            record.failures += 1
            record.last = now
            over = record.failures - self.limits[key[0]]
            if over >= 0:
                record.locked_until = now + min(self.longest_wait, self.first_wait * 2 ** min(over, 30))
        return self._wait(now, keys)

    async def succeeded(self, login: str) -> None:
        self._records.pop(("login", login_key(login)), None)

    def _prune(self, now: float) -> None:
        # Bounds memory when someone tries many made-up logins; cheap enough to do on failures only.
        if len(self._records) > 10_000:
            for key in [k for k, r in self._records.items() if self._forgotten(r, now)]:
                del self._records[key]
