"""The real `tono run` as a subprocess that a test may SIGKILL at any moment and start again on the same
SQLite file, with its Telegram pointed at a fake Bot API in the test's own process, so what the family
receives is recorded outside the process being killed.

A template database is migrated, seeded and given its API tokens and enrolment code once; each run works
on a copy of it, so every run starts from the same place.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.fakes.telegram_api import FakeTelegram
from tests.linkqueue.servers import free_port

SECRET = "crash-test-secret-0123456789-abcdefghijklmnop"
FAMILY_REF = "P-0001"  # Aroha, in the demo data: her records are held by CCSS and by both agency units


@dataclass(frozen=True)
class Template:
    """A migrated, seeded database with what the people in the journey need to act."""

    database: Path
    keys_dir: Path
    staff_token: str
    officer_tokens: dict[str, str]  # by unit
    code: str  # Aroha's one-time enrolment code


def build_template(folder: Path) -> Template:
    """Migrate and seed once; the signing keys are made here too, so every run (and restart) shares them."""
    from protocol.agreement import load_agreement
    from tono import migrate
    from tono.demo import seed_demo
    from tono.keys import load_keys
    from tono.settings import load_settings

    folder.mkdir(parents=True, exist_ok=True)
    database, keys_dir = folder / "template.db", folder / "keys"
    url = f"sqlite+aiosqlite:///{database}"
    agreement = load_agreement()
    load_keys(agreement, keys_dir)
    migrate.upgrade(url)
    asyncio.run(seed_demo(load_settings(TONO_DATABASE_URL=url), agreement))
    staff_token, officer_tokens, code = asyncio.run(_credentials(url))
    with closing(sqlite3.connect(database)) as db:  # everything in the main file, so copying it copies it all
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return Template(database, keys_dir, staff_token, officer_tokens, code)


async def _credentials(url: str) -> tuple[str, dict[str, str], str]:
    from sqlmodel import select

    from agency.desk.store import create_token as officer_token
    from agency.models import Officer
    from bot.desk.auth import create_token as staff_token
    from bot.models import Person, StaffAccount
    from bot.people.enrolment import issue_code
    from tono.database import make_engine, make_sessionmaker

    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine).begin() as session:
            staff = (await session.exec(select(StaffAccount).where(StaffAccount.login == "kaimahi"))).one()
            token, _row = await staff_token(session, staff, "crash tests")
            # Each unit's demo officer answers the named part; the part of Aroha's request about her survey answers
            # goes, under a study number, to the demo's evaluator (the evaluation officer is its lead, who sees
            # only named requests).
            everyone = (await session.exec(select(Officer).order_by(Officer.id))).all()
            officers = {o.unit_id: await officer_token(session, o, "crash tests")
                        for o in everyone if o.role != "evaluator"}
            evaluator = next(o for o in everyone if o.role == "evaluator" and o.unit_id == "evaluation")
            officers[STUDY_PART_OF + "evaluation"] = await officer_token(session, evaluator, "crash tests")
            aroha = (await session.exec(select(Person).where(Person.ref == FAMILY_REF))).one()
            code = await issue_code(session, aroha)
    finally:
        await engine.dispose()
    return token, officers, code


# officer_tokens' key for the officer who answers a unit's study parts ("study part of evaluation").
STUDY_PART_OF = "study part of "


class ServerDied(AssertionError):
    """`tono run` stopped without being killed: a crash on start or restart."""


class RecordingTelegram(FakeTelegram):
    """The fake Bot API, remembering every update it ever queued (it forgets them once confirmed)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queued: list[int] = []

    def queue_update(self, **update: Any) -> dict[str, Any]:
        made = super().queue_update(**update)
        self.queued.append(made["update_id"])
        return made

    def pending(self) -> set[int]:
        """Updates not yet confirmed by the bot's next getUpdates."""
        return {u["update_id"] for u in self._updates}


class Server:
    """One run's `tono run`, killed and started again on the same database as the test says."""

    def __init__(self, folder: Path, template: Template, telegram: RecordingTelegram) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.database = folder / "tono.db"
        shutil.copyfile(template.database, self.database)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / "tono.log"
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("TONO_", "TELEGRAM_"))}
        self.env = {**clean, "TONO_DATABASE_URL": f"sqlite:///{self.database}",
                    "TONO_KEYS_DIR": str(template.keys_dir), "TONO_SECRET_KEY": SECRET,
                    "TELEGRAM_BOT_TOKEN": telegram.token, "TELEGRAM_API_BASE": telegram.base_url,
                    "TONO_LINK_MAX_BACKOFF_SECONDS": "1", "PYTHONUNBUFFERED": "1",
                    # A killed sender's claim on a family message runs out after this, not the default 30 s,
                    # so runs do not sit waiting; it also tests that pacing never outlasts a lease into a repeat.
                    "TONO_SEND_LEASE_SECONDS": "3"}
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self.kills = 0

    @property
    def database_url(self) -> str:
        return f"sqlite+aiosqlite:///{self.database}"

    def start(self) -> None:
        with self.log_path.open("a") as log:
            log.write(f"\n----- start {self.starts + 1} -----\n")
            self.process = subprocess.Popen([sys.executable, "-m", "tono.cli", "run", "--port", str(self.port)],
                                            env=self.env, cwd=self.folder, stdout=log, stderr=subprocess.STDOUT)
        self.starts += 1

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, nothing is flushed, as when the machine loses power."""
        assert self.process is not None and self.process.poll() is None, "killing a server that is not running"
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.kills += 1

    async def stop(self) -> None:
        """A clean stop (SIGTERM), waited for in a thread: the fake Telegram shares this event loop."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                await asyncio.to_thread(self.process.wait, 20)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                await asyncio.to_thread(self.process.wait, 10)

    async def verify_events(self) -> list[str]:
        """`tono verify-events` on this run's database: what it says is broken (nothing, when it exits 0)."""
        command = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tono.cli", "verify-events", env=self.env, cwd=self.folder,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        said, _ = await command.communicate()
        return [] if command.returncode == 0 else [said.decode(errors="replace")]

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def check_alive(self) -> None:
        """Fail now if the server stopped by itself (not by our SIGKILL, after which it is started again)."""
        code = self.process.poll() if self.process is not None else None
        if code is not None and code != -signal.SIGKILL:
            raise ServerDied(f"tono run exited by itself with {code}:\n{self.log_tail()}")

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def query(self, sql: str, *params: Any) -> list[tuple]:
        """Read the run's database as it is now (a plain read: no write lock, so the server never waits)."""
        with closing(sqlite3.connect(self.database, timeout=10)) as db:
            return db.execute(sql, params).fetchall()
