"""The provider desk at /provider/: CCSS staff check who is asking, approve, relay, look after families."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import async_sessionmaker

from protocol.agreement import Agreement
from protocol.queue import Outbox


def install_provider_desk(app: FastAPI, *, sessions: async_sessionmaker, agreement: Agreement, outbox: Outbox,
                          secret: str, secure_cookies: bool, today: Callable[[], date]) -> None:
    """Add the provider desk's pages and JSON API to the app (being built)."""
