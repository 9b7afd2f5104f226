"""What every part of the provider desk is handed at start-up, and the one error type its services raise."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import async_sessionmaker

from deskkit.desk import Desk
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

    @property
    def relay_days(self) -> int:
        return self.agreement.service_levels.provider_relays_within_working_days


class DeskProblem(Exception):
    """A staff action cannot be done: an HTTP status and one clear sentence (nothing was changed)."""

    def __init__(self, status: int, sentence: str) -> None:
        super().__init__(sentence)
        self.status, self.sentence = status, sentence


def not_found(what: str, ref: str) -> DeskProblem:
    return DeskProblem(404, f"There is no {what} {ref!r}. Check the reference and try again.")
