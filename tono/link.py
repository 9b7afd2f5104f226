"""The linked queue in the embedded default: both organisations' ends in one process, each applying the
other's signed messages with its own handler, and the loop that keeps messages moving."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy.ext.asyncio import async_sessionmaker

from agency.intake import Intake
from bot.inbound import apply_agency_message
from linkqueue.sql import SqlQueueEnd
from protocol.agreement import Agreement
from protocol.clock import nz_today
from tono.keys import load_keys

log = logging.getLogger(__name__)


class Link:
    """Provider and agency, joined by the queue; `step` moves every waiting message one hop."""

    def __init__(self, sessions: async_sessionmaker, agreement: Agreement, keys_dir: Path,
                 today: Callable[[], date] = nz_today, agency_sessions: async_sessionmaker | None = None):
        keyring, private = load_keys(agreement, keys_dir)
        provider, agency = agreement.provider.id, agreement.agency.id
        self.provider = SqlQueueEnd("provider", provider, sessions, private[provider], keyring)
        self.agency = SqlQueueEnd("agency", agency, agency_sessions or sessions, private[agency], keyring)
        self.intake = Intake(agreement, self.agency, today)

    async def step(self) -> int:
        moved = await self.provider.push(self.agency.accept)
        moved += await self.agency.consume(self.intake)
        moved += await self.agency.push(self.provider.accept)
        moved += await self.provider.consume(apply_agency_message)
        return moved

    async def settle(self, rounds: int = 20) -> None:
        """Step until nothing moves (tests and tools use this to see a journey through)."""
        for _ in range(rounds):
            if not await self.step():
                return

    async def run(self, interval: float = 0.5) -> None:
        while True:
            try:
                await self.step()
            except Exception:  # keep the link alive; the failing message stays queued and is retried
                log.exception("the link between provider and agency failed a step")
            await asyncio.sleep(interval)
