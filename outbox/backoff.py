"""How long a sender waits before trying a failed row again: 1 s, 2 s, 4 s … up to a longest wait."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

LONGEST = timedelta(minutes=5)


@dataclass(frozen=True)
class Backoff:
    """Doubling waits after each failed attempt, never longer than `longest`.

    `spread` stretches or shrinks each wait at random by up to that fraction (0.2: 80 % to 120 %), so that many
    rows which failed together (one outage) are not all tried again in the same second. The linked queue keeps
    its waits exact (one pusher, and its tests read the waits); the notifier spreads its many chats.
    """

    longest: timedelta = LONGEST
    spread: float = 0.0
    uniform: Callable[[float, float], float] = field(default=random.uniform, repr=False, compare=False)

    def after(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failed attempt (the first waits 1 s)."""
        # The exponent is capped so a row retried for years never makes an overflowing timedelta.
        wait = min(self.longest, timedelta(seconds=2 ** min(30, max(0, attempts - 1))))
        return wait * self.uniform(1 - self.spread, 1 + self.spread) if self.spread else wait
