"""`tono link status` and `tono link resend` as an operator's monitor runs them, and the link's counts in
/healthz: exit 0 while the link is healthy, 1 with what is wrong while it is not."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import insert, select, update

from linkqueue.tables import QUEUE_TABLES
from protocol.agreement import load_agreement
from tono import migrate
from tono.cli import main
from tono.database import make_engine, make_sessionmaker

OUTBOX = QUEUE_TABLES["provider"].outbox


@pytest.fixture
def operator(database_url, tmp_path, monkeypatch):
    migrate.upgrade(database_url)
    monkeypatch.setenv("TONO_DATABASE_URL", database_url)
    monkeypatch.setenv("TONO_KEYS_DIR", str(tmp_path / "keys"))
    return database_url


def _on(url, work):
    async def run():
        engine = make_engine(url)
        try:
            async with make_sessionmaker(engine).begin() as session:
                return await work(session)
        finally:
            await engine.dispose()
    return asyncio.run(run())


def _a_message_the_agency_refused(url) -> str:
    """A relay signed and queued as the provider's end does, then refused by the agency for a stale key."""
    from tono.link import Link

    async def work(session):
        link = Link(make_sessionmaker(session.bind), load_agreement(), Path(os.environ["TONO_KEYS_DIR"]))
        envelope = await link.provider.send(session, type="request.withdrawn", recipient="agency", request="REQ-1",
                                            body={"withdrawn_on": "2026-12-07"})
        await (await session.connection()).execute(update(OUTBOX).where(OUTBOX.c.id == envelope.id).values(
            rejected_at=datetime.now(UTC), last_error="The signature does not match: the message was changed "
                                                      "after signing, or was not signed with ccss's key."))
        return envelope.id
    return _on(url, work)


def test_status_of_a_quiet_link_is_healthy_and_exits_0(operator, capsys):
    assert main(["link", "status"]) == 0

    said = capsys.readouterr().out.splitlines()
    assert said[0].startswith("This server runs as both organisations (TONO_ROLE=both)")
    assert said[-1] == "The link is healthy."


def test_status_with_a_refused_message_names_the_reason_and_exits_1_until_it_is_sent_again(operator, capsys):
    message = _a_message_the_agency_refused(operator)

    assert main(["link", "status"]) == 1
    said = capsys.readouterr().out
    assert "refused by the other side: 1 (fix the cause, then `tono link resend`)" in said
    assert "1 × The signature does not match" in said

    assert main(["link", "resend"]) == 0
    assert "1 refused message(s) will be sent again" in capsys.readouterr().out
    row = _on(operator, lambda session: _row(session, message))
    assert (row.rejected_at, row.attempts, row.last_error) == (None, 0, None)
    assert main(["link", "status"]) == 0


async def _row(session, message):
    return (await (await session.connection()).execute(select(OUTBOX).where(OUTBOX.c.id == message))).one()


def test_resend_with_nothing_refused_says_so(operator, capsys):
    assert main(["link", "resend"]) == 0

    assert capsys.readouterr().out.strip() == "No message was refused: nothing to send again."


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_healthz_counts_the_queue_without_calling_the_other_server(seeded_url, tmp_path):
    from tono.app import create_app
    from tono.settings import load_settings

    settings = load_settings(TONO_DATABASE_URL=seeded_url, TONO_KEYS_DIR=str(tmp_path / "keys"))
    app = create_app(settings, load_agreement(), start_telegram=False, run_loops=False)
    engine = make_engine(seeded_url)
    async with make_sessionmaker(engine).begin() as session:
        await (await session.connection()).execute(insert(QUEUE_TABLES["agency"].dead_letter).values(
            message_id="m-1", sender="ccss", raw="{}", reason="Expected sequence 2, got 3.",
            received_at=datetime.now(UTC), junk=False))
    await engine.dispose()

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tono.test") as client:
        health = (await client.get("/healthz")).json()
    await app.state.engine.dispose()

    assert health["role"] == "both"
    assert health["link"]["peer"] is None
    assert health["link"]["agency"]["dead_letters"] == 1
    assert health["link"]["healthy_here"] is False
    assert set(health["link"]["provider"]) == {"waiting", "oldest_waiting", "failing", "refused", "unapplied",
                                               "dead_letters"}
