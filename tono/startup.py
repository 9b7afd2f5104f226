"""The checks before Tono starts: each problem becomes one sentence that names the setting, and nothing
is written until the settings, the agreement and the database are all usable."""

from __future__ import annotations

import asyncio
import socket

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from protocol.agreement import Agreement
from tono import migrate
from tono.database import make_engine, postgres_login_problem
from tono.settings import Settings


class StartupError(Exception):
    """Tono cannot start; the message says what to do, in one sentence."""


def _where(settings: Settings) -> str:
    url = make_url(settings.database_url)
    return f"{url.host or 'localhost'}:{url.port or 5432}"


async def check_reachable(settings: Settings) -> None:
    """Connect once; an unreachable server is a sentence about TONO_DATABASE_URL, not a traceback."""
    engine = make_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            await asyncio.wait_for(conn.execute(text("SELECT 1")), timeout=10)
    except Exception as error:
        if login := postgres_login_problem(error, settings.database_url):
            raise StartupError(login) from None
        if not isinstance(error, (OSError, socket.gaierror, OperationalError, DBAPIError, TimeoutError)):
            raise
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0][:200]
        if settings.is_sqlite:
            raise StartupError(
                f"TONO_DATABASE_URL: cannot open the SQLite file {settings.sqlite_path} ({reason})."
            ) from None
        raise StartupError(
            f"TONO_DATABASE_URL: cannot reach the PostgreSQL server at {_where(settings)} ({reason}); "
            "is it running, and is the URL right?"
        ) from None
    finally:
        await engine.dispose()


async def check_migrated(settings: Settings) -> None:
    """A database whose migrations are behind says so now, instead of failing later mid-conversation."""
    sqlite_path = settings.sqlite_path
    if settings.is_sqlite and sqlite_path is not None and not sqlite_path.exists():
        raise StartupError(
            f"The database file {sqlite_path} does not exist yet: run `tono db upgrade` (or `make run`)."
        )
    await check_reachable(settings)
    engine = make_engine(settings.database_url)
    try:
        current = await migrate.current_revision(engine)
    finally:
        await engine.dispose()
    head = migrate.head_revision()
    if current != head:
        raise StartupError(
            f"The database is at migration {current or 'none'}, but this Tono needs {head}: "
            "run `tono db upgrade`."
        )


def check_signing_keys(settings: Settings, agreement: Agreement) -> None:
    """As one organisation, Tono signs with its own private key only and checks the other's signatures
    with the agreement's public keys: say now, in one sentence, if either is missing."""
    if settings.role == "both":
        return  # one process holds both demo keys, made on first run (tono/keys.py)
    from tono.keys import SigningKeyError
    from tono.link import keys_for_one_side

    try:
        keys_for_one_side(agreement, settings.keys_dir, settings.role)
    except SigningKeyError as error:
        raise StartupError(str(error)) from None


def check_runs_provider(settings: Settings, agreement: Agreement, command: str, what: str) -> None:
    """A provider's command run on the agency's own server says so in one sentence: families, their programme
    data and the reports live on the provider's server only."""
    if settings.role == "agency":
        provider = agreement.provider.names.en.short
        raise StartupError(f"`tono {command}` {what} on {provider}'s server, but this one runs as the agency only "
                           f"(TONO_ROLE=agency): run it there.")
