"""Login slow-down (DESIGN.md §8): after a few wrong passwords refuse further tries for a while, longer each
time, and say how long. And request rates: `RateLimit` caps how often one login (or one chat) may call, so a
runaway script cannot crowd out everyone else.

Wrong passwords are counted three ways, each with its own limit:
- one login from one address (5): someone guessing at a login from where they are;
- one address, whatever the login (10): someone trying a password on many logins;
- one login from anywhere (100 in the window, as OWASP ASVS 2.2.1 asks): guesses spread over many addresses.
The first two lock out only the address they come from, so a stranger cannot lock a real person out from
elsewhere. The third would, so it is not applied at an address where that login has signed in lately: the
person's own desk keeps working while the guesser stays slowed.

`LoginThrottle` keeps its counts in memory. With several desk worker processes each keeps its own,
so an attacker gets up to (workers × limit) tries per window: still slow, but pass a shared
implementation of `Throttle` (PostgreSQL or Redis) to the desk when running many workers.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

# How long an address where a login signed in stays exempt from that login's lock from anywhere.
KNOWN_FOR = 30 * 24 * 60 * 60


class Throttle(Protocol):
    """What a desk needs from a throttle; async so a shared store can stand behind it."""

    async def wait_seconds(self, login: str, ip: str) -> int:
        """0 when a try may go ahead, else how many seconds to wait."""

    async def failed(self, login: str, ip: str) -> int:
        """Count a wrong login or password; returns the wait that now applies."""

    async def succeeded(self, login: str, ip: str) -> None:
        """Forget that login's failures at that address (not the address's own: one good login must not unlock
        a spray), and remember the address as one where the login signs in."""


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
                 longest_wait: float = 15 * 60, ip_max_failures: int = 10, login_max_failures: int = 100,
                 known_for: float = KNOWN_FOR, clock: Callable[[], float] = time.monotonic) -> None:
        # An office behind one address shares its per-address count, so it is higher than one login's.
        self.limits = {"login at ip": max_failures, "ip": ip_max_failures, "login": login_max_failures}
        self.window, self.first_wait, self.longest_wait, self.clock = window, first_wait, longest_wait, clock
        self.known_for = known_for
        self._records: dict[tuple[str, str], _Record] = {}
        self._known: dict[tuple[str, str], float] = {}  # (login, address) → when it last signed in there

    def _keys(self, login: str, ip: str) -> list[tuple[str, str]]:
        who = login_key(login)
        return [("login at ip", f"{who}\n{ip}"), ("ip", ip), ("login", who)]

    def _applying(self, login: str, ip: str, now: float) -> list[tuple[str, str]]:
        """The counts that may hold this try back: not the login's from anywhere where it signs in."""
        keys = self._keys(login, ip)
        known = now - self._known.get((login_key(login), ip), -math.inf) <= self.known_for
        return keys[:2] if known else keys

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
        now = self.clock()
        return self._wait(now, self._applying(login, ip, now))

    async def failed(self, login: str, ip: str) -> int:
        now = self.clock()
        self._prune(now)
        for key in self._keys(login, ip):
            record = self._record(key, now)
            record.failures += 1
            record.last = now
            over = record.failures - self.limits[key[0]]
            if over >= 0:
                record.locked_until = now + min(self.longest_wait, self.first_wait * 2 ** min(over, 30))
        return self._wait(now, self._applying(login, ip, now))

    async def succeeded(self, login: str, ip: str) -> None:
        # Not the count from anywhere: a guesser spread over many addresses must not be reset by the person
        # signing in, and that count does not hold the person back here anyway.
        self._records.pop(self._keys(login, ip)[0], None)
        self._known[(login_key(login), ip)] = self.clock()

    def _prune(self, now: float) -> None:
        # Bounds memory when someone tries many made-up logins; cheap enough to do on failures only.
        if len(self._records) > 10_000:
            for key in [k for k, r in self._records.items() if self._forgotten(r, now)]:
                del self._records[key]
        if len(self._known) > 10_000:
            for key in [k for k, when in self._known.items() if now - when > self.known_for]:
                del self._known[key]


class RateLimit:
    """At most `limit` uses in any `window` seconds for each key (a sliding window), kept in this process's
    memory: with several workers each counts its own share, as LoginThrottle does.

    With `count_refused` a refused use counts too, so a caller that keeps going at full speed stays refused
    until it really slows down (the family chat); without it a caller that honours Retry-After is served
    again as soon as the window allows (the desks' APIs).
    """

    def __init__(self, limit: int, window: float, *, count_refused: bool = False, max_keys: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("A rate limit needs at least one use in a window longer than zero seconds.")
        self.limit, self.window, self.count_refused, self.max_keys = limit, window, count_refused, max_keys
        self.clock = clock
        self._uses: dict[str, deque[float]] = {}

    def hit(self, key: str) -> int:
        """Count one use of `key`: 0 when it may go ahead, else the whole seconds to wait before the next."""
        now = self.clock()
        uses = self._uses.get(key)
        if uses is None:
            self._prune(now)
            # Only the latest `limit` uses matter: the oldest of them says when the window has room again.
            uses = self._uses[key] = deque(maxlen=self.limit)
        full = len(uses) == self.limit and now - uses[0] < self.window
        if full and not self.count_refused:
            return max(1, math.ceil(uses[0] + self.window - now))
        uses.append(now)
        return max(1, math.ceil(uses[0] + self.window - now)) if full else 0

    def _prune(self, now: float) -> None:
        # Bounds memory when many keys come and go; only keys quiet for a whole window are forgotten.
        if len(self._uses) >= self.max_keys:
            for key in [k for k, uses in self._uses.items() if not uses or now - uses[-1] >= self.window]:
                del self._uses[key]


def too_many_sentence(seconds: int) -> str:
    """The one sentence a rate-limited desk caller reads (with Retry-After saying the same in seconds)."""
    unit = "second" if seconds == 1 else "seconds"
    return f"Too many requests in a short time. Please wait {seconds} {unit}, then try again; nothing was changed."
