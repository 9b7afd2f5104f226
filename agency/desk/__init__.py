"""The agency desk at /agency/: each officer sees only their unit's tasks and records, and answers them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import async_sessionmaker

from protocol.agreement import Agreement
from protocol.queue import Outbox


def install_agency_desk(app: FastAPI, *, sessions: async_sessionmaker, agreement: Agreement, outbox: Outbox,
                        secret: str, secure_cookies: bool, today: Callable[[], date]) -> None:
    """Add the agency desk's pages and JSON API to the app (being built)."""
