"""The mistakes a newcomer makes in the first hour, each caught before anything is written and said in one
sentence: what happened and what to do (a busy port, a refused bot token, a locked or unreachable database
file, an agreement that does not validate)."""

from __future__ import annotations

import asyncio
import errno
import os
import socket
import sqlite3
from pathlib import Path
from urllib.parse import quote

from protocol.agreement import Agreement, AgreementError, load_agreement
from tono.database import in_use_sentence, not_a_database_sentence
from tono.settings import Settings
from tono.startup import StartupError

TELEGRAM_CHECK_SECONDS = 5.0  # getMe answers in well under a second; an unanswered one means no network
LOCK_WAIT_SECONDS = 5.0  # as long as Tono's own busy timeout: a running Tono's writes take milliseconds


def agreement_from(settings: Settings) -> Agreement:
    """The programme agreement named by TONO_AGREEMENT (the bundled Best foot forward one by default)."""
    path = settings.agreement
    if path is not None and not path.is_file():
        raise StartupError(f"TONO_AGREEMENT names {str(path)!r}, but there is no such file.")
    try:
        return load_agreement(path)
    except AgreementError as error:
        raise StartupError(_first_problem(error)) from None


def _first_problem(error: AgreementError) -> str:
    # The first problem only, so start-up stays one sentence; `tono agreement check` lists them all.
    field, problem = error.errors[0] if error.errors else ("", "is not valid")
    problem = " ".join(problem.split()).rstrip(".")
    where = f"at {field}: {problem}" if field else f"({problem})"
    more = len(error.errors) - 1
    also = f", and {more} more problem{'s' if more > 1 else ''}" if more else ""
    return (f"TONO_AGREEMENT: the agreement {error.file} is not valid {where}{also}; "
            f"run `tono agreement check {error.file}` for the full list.")


def check_sqlite_file(settings: Settings) -> None:
    """The SQLite file's folder exists and takes new files (SQLite writes its journal beside the database),
    the file is a database, and no other program holds its write lock."""
    path = settings.sqlite_path
    if path is None:
        return
    folder = path.parent
    if not folder.exists():
        raise StartupError(f"The folder {folder} for the database {path.name} does not exist: create it "
                           f"(`mkdir -p {folder}`) or change TONO_DATABASE_URL.")
    if not folder.is_dir():
        raise StartupError(f"{folder} is a file, not a folder, so the database {path.name} cannot go there: "
                           "change TONO_DATABASE_URL.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StartupError(f"Tono may not write in the folder {folder}, where the database {path.name} and its "
                           "journal go: give yourself write access to it or change TONO_DATABASE_URL.")
    if not path.exists():
        return  # `tono db upgrade` makes it; the other commands say to run that
    if path.is_dir() or not os.access(path, os.R_OK | os.W_OK):
        raise StartupError(f"Tono may not read and write the database file {path}: give yourself access to it "
                           "or change TONO_DATABASE_URL.")
    _check_not_locked(path)


def _check_not_locked(path: Path) -> None:
    # Take the write lock and give it back at once: this writes nothing, and a program that holds the lock
    # (another `tono db upgrade`, a sqlite3 shell or DB Browser in a transaction) is named before Tono starts.
    uri = f"file:{quote(str(path.resolve()))}?mode=rw"
    try:
        db = sqlite3.connect(uri, uri=True, timeout=LOCK_WAIT_SECONDS, isolation_level=None)
        try:
            db.execute("BEGIN IMMEDIATE")
            db.execute("ROLLBACK")
        finally:
            db.close()
    except sqlite3.OperationalError as error:
        if "locked" in str(error) or "busy" in str(error):
            raise StartupError(in_use_sentence(path)) from None
        raise
    except sqlite3.DatabaseError:
        raise StartupError(not_a_database_sentence(path)) from None


def _use_port(port: int) -> str:
    # `make run` passes PORT through to `tono run --port` (the Makefile); make marks its children with MAKELEVEL.
    return f"`make run PORT={port}`" if os.environ.get("MAKELEVEL") else f"`tono run --port {port}`"


def bind_port(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything starts, so a busy port is one sentence, not uvicorn's
    errno and a half-started app."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not the default 0: asyncio turns Nagle's algorithm off (TCP_NODELAY) only on connections
    # whose socket says it is TCP, and without that every answer written in two pieces (headers, then body)
    # waits ~40 ms for the client's delayed acknowledgement: 44 ms for each message the other organisation
    # sends, and for every web chat turn.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: a just-stopped Tono's port
    try:
        sock.bind((host, port))
    except (OSError, OverflowError) as error:
        sock.close()
        raise StartupError(_bind_problem(host, port, error)) from None
    sock.set_inheritable(True)
    return sock


def _bind_problem(host: str, port: int, error: Exception) -> str:
    code = getattr(error, "errno", None)
    if code == errno.EADDRINUSE:
        return (f"Port {port} on {host} is already in use (is another Tono running?): stop it or use "
                f"{_use_port(port + 1 if port < 65535 else 8001)}.")
    if code == errno.EACCES:
        return (f"Tono may not listen on port {port} (ports below 1024 need administrator rights): use "
                f"{_use_port(8000)}.")
    if isinstance(error, socket.gaierror) or code == errno.EADDRNOTAVAIL:
        return (f"{host} is not an address of this machine: use `--host 127.0.0.1` (this machine only) or "
                "`--host 0.0.0.0` (every network it is on).")
    return f"Tono cannot listen on {host}:{port} ({error}): try another port, e.g. {_use_port(8001)}."


async def check_telegram(settings: Settings) -> str | None:
    """Ask Telegram who the bot is: its @username, or None with no token or no answer. A refused token stops
    start-up; an unreachable Telegram does not (the app keeps trying in the background and says so), so the
    web chat and the desks still serve."""
    if not settings.telegram_bot_token:
        return None
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.exceptions import (
        ClientDecodeError,
        TelegramAPIError,
        TelegramNetworkError,
        TelegramServerError,
        TelegramUnauthorizedError,
    )

    base = settings.telegram_api_base
    session = AiohttpSession(api=TelegramAPIServer.from_base(base)) if base else AiohttpSession()
    bot = Bot(settings.telegram_bot_token, session=session)
    try:
        return (await asyncio.wait_for(bot.get_me(), TELEGRAM_CHECK_SECONDS)).username
    except TelegramUnauthorizedError:
        raise StartupError("Telegram refused TELEGRAM_BOT_TOKEN (401 Unauthorized): copy the token again from "
                           "@BotFather (/mybots, your bot, API Token), or unset it to serve the web chat only."
                           ) from None
    except (TelegramNetworkError, TelegramServerError, TimeoutError, OSError):
        return None  # said by the app, which serves anyway and keeps trying Telegram
    except (TelegramAPIError, ClientDecodeError) as error:
        where = f"The Bot API server at {base}" if base else "Telegram"
        reason = " ".join(str(getattr(error, "message", error)).split())[:160]
        raise StartupError(f"{where} did not accept TELEGRAM_BOT_TOKEN ({reason}): check the token with "
                           "@BotFather" + (" and TELEGRAM_API_BASE." if base else ".")) from None
    finally:
        await bot.session.close()
