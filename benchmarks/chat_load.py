"""Chat throughput: K families drive the real bot (long polling, on aiogram or python-telegram-bot) through a
mixed journey on the fake Bot API server in its own process; the same run drives that library's bare echo bot
on the same kind of server as the floor, so the ratio tono/echo is taken side by side on one noisy machine.

    python -m benchmarks.chat_load --chats 200 --updates 5000 --json [--database sqlite|postgresql]
                                   [--channel aiogram|ptb]

The floor is each library's own idiomatic minimal bot: aiogram's Dispatcher polling with one message handler
(it handles updates concurrently), python-telegram-bot's echobot.py (an Application with one MessageHandler,
polled by its Updater, one update at a time: PTB's default).

Tono runs as in production: every turn's state change and its replies committed in one transaction
(SQLite WAL with synchronous=FULL: durable), the replies sent by the outbox's sender. Telegram's flood
limits are lifted for this run (the fake server does not enforce them and the pacer is opened up),
because they would measure Telegram's 30 messages a second, not Tono: `benchmarks.pacing` measures those.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message

from bot.chat.chat_limits import ChatLimits
from bot.chat.conversation import Conversations
from bot.language.i18n import use_agreement_names
from bot.outbound.pacing import Pacer
from protocol.agreement import load_agreement
from tono.app import telegram_channel
from tono.database import make_engine, make_sessionmaker

ROOT = Path(__file__).resolve().parent.parent
UNPACED = dict(per_chat=1e6, burst=10**6, overall=10**9)
CHANNELS = {"aiogram": "aiogram", "ptb": "python-telegram-bot"}  # --channel: the TELEGRAM_LIBRARY it runs


def resident_mb() -> float:
    """This process's resident memory now (Linux), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


class Families:
    """The families' process (benchmarks/families.py): its server address, then its figures; its server stays up
    until `done`, so the bot stops as it would in production, not on a server that has gone."""

    def __init__(self, kind: str, chats: int, updates: int, timeout: float = 30.0):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.families", "--kind", kind, "--chats", str(chats),
             "--updates", str(updates), "--timeout", str(timeout)], cwd=ROOT, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        ready = self.process.stdout.readline().split()
        if not ready or ready[0] != "READY":
            raise RuntimeError("the families' process did not start")
        self.base_url, self.token = ready[1], ready[2]

    async def figures(self) -> dict:
        return json.loads(await asyncio.to_thread(self.process.stdout.readline))

    async def done(self) -> None:
        self.process.stdin.close()  # the families' process stops its server and exits
        await asyncio.to_thread(self.process.wait)


async def echo_floor(chats: int, updates: int) -> dict:
    """The floor on aiogram: a bare aiogram bot that answers each text with the same text, nothing stored."""
    families = Families("echo", chats, updates)
    bot = Bot(families.token, session=AiohttpSession(api=TelegramAPIServer.from_base(families.base_url)))
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    polling = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False, close_bot_session=False))
    try:
        return await families.figures()
    finally:
        await dispatcher.stop_polling()
        await asyncio.gather(polling, return_exceptions=True)
        await bot.session.close()
        await families.done()


async def ptb_echo_floor(chats: int, updates: int) -> dict:
    """The floor on python-telegram-bot: its echobot.py, answering each text with the same text, nothing stored."""
    from telegram import Update
    from telegram.ext import Application, ContextTypes, MessageHandler, filters

    families = Families("echo", chats, updates)
    application = (Application.builder().token(families.token).base_url(f"{families.base_url}/bot")
                   .base_file_url(f"{families.base_url}/file/bot").build())

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(update.message.text)

    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    # Application.run_polling would own the event loop; inside one already running, PTB starts its parts itself.
    async with application:
        await application.updater.start_polling()
        await application.start()
        try:
            return await families.figures()
        finally:
            await application.updater.stop()
            await application.stop()
            await families.done()


FLOORS = {"aiogram": echo_floor, "ptb": ptb_echo_floor}


def _postgres_admin() -> str:
    return os.environ.get("TONO_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def fresh_database(kind: str, workdir: Path) -> tuple[str, str | None]:
    """A new database migrated to head: (url, PostgreSQL database name to drop afterwards)."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        dropped = None
    else:
        base = _postgres_admin()
        dropped = f"tono_bench_{uuid.uuid4().hex[:8]}"
        subprocess.run(["psql", base, "-qc", f"CREATE DATABASE {dropped}"], check=True, capture_output=True)
        url = base.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{dropped}"
    subprocess.run([sys.executable, "-m", "tono.cli", "db", "upgrade"], cwd=ROOT, check=True, capture_output=True,
                   env={**os.environ, "TONO_DATABASE_URL": url})
    return url, dropped


def drop_database(name: str | None) -> None:
    if name:
        subprocess.run(["psql", _postgres_admin(), "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"],
                       capture_output=True)


async def tono(chats: int, updates: int, database: str, timeout: float = 30.0, channel_name: str = "aiogram") -> dict:
    with tempfile.TemporaryDirectory() as workdir:
        url, dropped = fresh_database(database, Path(workdir))
        engine = make_engine(url)
        families = Families("tono", chats, updates, timeout)
        agreement = load_agreement()
        use_agreement_names(agreement)  # as create_app does: the sentences name the parties as it says
        conversations = Conversations(make_sessionmaker(engine), agreement)
        # The families here go faster than any person (no reading time), so the per-chat "slow down" is off.
        conversations.chat_limits = ChatLimits(turns=10**9)
        channel = telegram_channel(CHANNELS[channel_name], families.token, conversations, api_base=families.base_url,
                                   pacer=Pacer(**UNPACED))
        await channel.start_polling()
        gc.collect()
        gc.freeze()  # as tono/app.py's start-up does: the libraries' objects out of the collector's sight
        try:
            figures = await families.figures()
            figures["rss_mb"] = resident_mb()  # with every family's conversation still in progress
        finally:
            await channel.stop()
            await families.done()
            await engine.dispose()
            drop_database(dropped)
            gc.unfreeze()
    return {**figures, "database": database}


async def measure(chats: int, updates: int, database: str, channel: str = "aiogram") -> dict:
    echo = await FLOORS[channel](chats, updates)
    ours = await tono(chats, updates, database, channel_name=channel)
    ratio = ours["updates_per_s"] / echo["updates_per_s"] if echo["updates_per_s"] else 0.0
    return {
        "channel": channel, "database": database, "chats": chats, "updates": updates,
        "tono_updates_per_s": ours["updates_per_s"], "echo_updates_per_s": echo["updates_per_s"],
        "ratio": round(ratio, 3), "p50_ms": ours["p50_ms"], "p99_ms": ours["p99_ms"],
        "echo_p50_ms": echo["p50_ms"], "echo_p99_ms": echo["p99_ms"],
        "failed_chats": ours["failed_chats"] + echo["failed_chats"], "failures": ours["failures"] + echo["failures"],
    }


def run_from_command_line(doc: str, size: str, default: int, measure_one) -> None:
    """The command line the pacing and memory benchmarks share: a size, a database, --json."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(f"--{size}", type=int, default=default)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = asyncio.run(measure_one(getattr(args, size), args.database))
    print(json.dumps(result) if args.json else "\n".join(f"{k:>20}: {v}" for k, v in result.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--updates", type=int, default=5000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--channel", choices=list(CHANNELS), default="aiogram", help="the library Tono runs on")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = asyncio.run(measure(args.chats, args.updates, args.database, args.channel))
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>20}: {value}")


if __name__ == "__main__":
    main()
