"""When to kill: a plan of SIGKILLs for one run, and the hand that carries it out and starts the server again.

A kill is either tied to a phase of the journey (N ms after the API call that starts that phase's work:
the relay, a unit's answer, the delivery, or a family's button press) or falls at a random moment of the
run. After each kill the server is started again on the same database after a short, random pause.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from dataclasses import dataclass, field

from tests.crash.harness import RecordingTelegram, Server

log = logging.getLogger(__name__)

PHASES = ("family", "relay", "answer", "delivery")
NAMED = ("relay", "answer", "delivery")  # the three: during relay, an agency answer, delivery
# How long after the phase's call a kill may fall, in ms: long enough to reach past the transaction into
# the queue's hops and the sending of the family's news (paced at about one message a second).
WINDOW_MS = {"family": 300, "relay": 1500, "answer": 1500, "delivery": 3000}
CALL_MS = 80  # about how long one API call or one chat turn takes to be served here


@dataclass(frozen=True)
class Kill:
    phase: str | None  # None: at `after` seconds into the run, whatever is happening then
    after: float  # seconds after the phase's call (or the run's start)


def plan_kills(rng: random.Random, journey_seconds: float) -> list[Kill]:
    """One or two kills, mostly tied to the three named phases, sometimes to a family's press or to chance."""
    kills = []
    for _ in range(rng.choice((1, 1, 2))):
        roll = rng.random()
        if roll < 0.75:
            phase = rng.choice(NAMED)
        elif roll < 0.85:
            phase = "family"
        else:
            kills.append(Kill(None, rng.uniform(0, journey_seconds)))
            continue
        # Some fall while the call itself is being served, the rest in the work that follows it.
        window = CALL_MS if rng.random() < 0.4 else WINDOW_MS[phase]
        kills.append(Kill(phase, rng.uniform(0, window) / 1000))
    return kills


@dataclass
class Chaos:
    """Carries out one run's kills; the journey calls `at(phase)` as it makes each phase's key call."""

    server: Server
    telegram: RecordingTelegram
    plan: list[Kill]
    rng: random.Random
    phase: str = "family"  # what the journey is doing now (set by the journey)
    kills: Counter = field(default_factory=Counter)  # by the phase it fell in
    lost_updates: set[int] = field(default_factory=set)  # taken from Telegram, dead with the process
    _tasks: list[asyncio.Task] = field(default_factory=list)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def start(self) -> None:
        for kill in self.plan:
            if kill.phase is None:
                self._tasks.append(asyncio.create_task(self._kill_after(kill.after)))

    def at(self, phase: str) -> None:
        """The journey is making `phase`'s key call now: arm the kill planned for it, once."""
        self.phase = phase
        for kill in list(self.plan):
            if kill.phase == phase:
                self.plan.remove(kill)
                self._tasks.append(asyncio.create_task(self._kill_after(kill.after)))
                return

    async def settle(self) -> None:
        """Wait for armed kills and restarts to finish (the journey may end before a late kill falls)."""
        await asyncio.gather(*self._tasks)

    async def _kill_after(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        async with self._lock:
            if not self.server.running:
                return
            self.server.kill()
            self.kills[self.phase] += 1
            # The time it takes someone to notice. It also lets the fake Telegram (in this event loop, held
            # up while we killed) read what the dead process sent last: a getUpdates that confirms updates.
            await asyncio.sleep(0.2 + self.rng.uniform(0, 0.5))
            self._note_lost_updates()
            self.server.start()

    def _note_lost_updates(self) -> None:
        """Updates Telegram counts as delivered (the bot confirmed them) but the dead process never saved."""
        confirmed = set(self.telegram.queued) - self.telegram.pending()
        seen = {key for (key,) in self.server.query("SELECT key FROM provider_seen_update")}
        lost = {u for u in confirmed if f"tg:{u}" not in seen} - self.lost_updates
        if lost:
            log.warning("updates %s were confirmed to Telegram but never applied", sorted(lost))
        self.lost_updates |= lost
