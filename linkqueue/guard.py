"""What keeps the inbox standing under junk ([hardening-2], DESIGN.md §3.4): anyone on the network can post
to /protocol/inbox, and only a signature tells the other organisation's messages from anyone's junk.

- Junk (anything a party did not sign: unreadable, too large, unsigned, wrongly signed, from a stranger)
  is counted, and only a few samples of its first bytes are kept, never the whole of it.
- A source (a client address; an IPv6 address by its /64, which one machine usually holds whole) that sent
  JUNK_PER_SOURCE of it is turned away unread (429) until its window has room again.
- Signed messages never count against their source, so the other organisation's bursts (a report of 80 or
  more parts arriving at once) are never limited however large.

The window is the `limits` package's moving window in this process's memory (a well-kept library; our own
deskkit/throttle.py is for the desks, and linkqueue may not import deskkit). With several workers each
counts its own share, so a source gets at most (workers × limit) junk through: still bounded.
The counts reach the database at most once a second (a flood must not become a flood of writes), per
minute, for the desks' rate.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import Counter, deque
from collections.abc import Callable
from datetime import datetime

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from protocol.clock import utcnow

JUNK_PER_SOURCE = 30  # junk a source may send in a minute before it is turned away unread
SAMPLES_PER_HOUR = 10  # junk kept as dead letters (its first SAMPLE_CHARS) in any hour, per process
SAMPLE_CHARS = 1024  # enough to see what it was; at ten an hour, 30 days of samples stay under 8 MB
FLUSH_EVERY = 1.0  # seconds between two writes of the counts


def source_key(host: str | None) -> str:
    """The source a limit counts: the address, an IPv6 one by its /64; 'unknown' with no address at all."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if address.version == 4:
        return str(address)
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(ipaddress.ip_network(f"{address}/64", strict=False))


def minute_of(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


class InboxGuard:
    """Per-source junk limit, junk and turned-away counts waiting to be written, and the sample budget."""

    def __init__(self, junk_per_source: int = JUNK_PER_SOURCE, samples_per_hour: int = SAMPLES_PER_HOUR, *,
                 clock: Callable[[], float] = time.monotonic, now: Callable[[], datetime] = utcnow) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._limit = RateLimitItemPerMinute(junk_per_source)
        self.samples_per_hour = samples_per_hour
        self._clock, self._now = clock, now
        self._samples: deque[float] = deque()
        self._junk: Counter[datetime] = Counter()
        self._turned_away: Counter[datetime] = Counter()
        self._flushed = clock()

    def wait_seconds(self, source: str) -> int:
        """0 when `source` may be heard, else the whole seconds until its window has room again."""
        if self._limiter.test(self._limit, source):
            return 0
        reset = self._limiter.get_window_stats(self._limit, source).reset_time
        return max(1, math.ceil(reset - time.time()))

    def turned_away(self) -> None:
        self._turned_away[minute_of(self._now())] += 1

    def junk(self, source: str) -> bool:
        """Count one piece of junk from `source`; True when a sample of it is to be kept."""
        self._limiter.hit(self._limit, source)
        self._junk[minute_of(self._now())] += 1
        now = self._clock()
        while self._samples and now - self._samples[0] >= 3600:
            self._samples.popleft()
        if len(self._samples) >= self.samples_per_hour:
            return False
        self._samples.append(now)
        return True

    def flush_due(self) -> bool:
        return bool(self._junk or self._turned_away) and self._clock() - self._flushed >= FLUSH_EVERY

    def take_counts(self) -> dict[datetime, tuple[int, int]]:
        """The counts not yet written, per minute (junk, turned away); forgotten here once taken."""
        minutes = set(self._junk) | set(self._turned_away)
        counts = {minute: (self._junk[minute], self._turned_away[minute]) for minute in minutes}
        self._junk.clear()
        self._turned_away.clear()
        self._flushed = self._clock()
        return counts

    def give_back(self, counts: dict[datetime, tuple[int, int]]) -> None:
        """Counts that could not be written: kept for the next try rather than lost."""
        for minute, (junk, away) in counts.items():
            self._junk[minute] += junk
            self._turned_away[minute] += away

