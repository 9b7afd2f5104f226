"""What every part of the provider desk is handed at start-up (kept on the app's state; see deps.py), and the
provider desk's sentence for a reference it does not know."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import async_sessionmaker

from deskkit.desk import Desk
from deskkit.problems import DeskProblem
from protocol.agreement import Agreement
from protocol.queue import Outbox


@dataclass(frozen=True)
class DeskContext:
    desk: Desk
    sessions: async_sessionmaker
    agreement: Agreement
    outbox: Outbox
    today: Callable[[], date]
    secret: str
    study_number_key: bytes = b""  # the provider's key for study numbers (bot.reports.pseudonyms), from tono

    @property
    def relay_days(self) -> int:
        return self.agreement.service_levels.provider_relays_within_working_days


def not_found(what: str, ref: str) -> DeskProblem:
    return DeskProblem(404, f"There is no {what} {ref!r}. Check the reference and try again.")
