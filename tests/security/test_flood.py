"""A small version of the flood benchmark (benchmarks/flood.py, issue 17): a real `tono run`, flooded with junk
inbox posts, PDF and picture requests and new web chats, while a family completes a journey in the web chat
and a staff member approves and relays it on the desk. It checks only that the journey completes and nothing
is lost; how fast is measured by the benchmark, never asserted here."""

from __future__ import annotations

import asyncio
import sqlite3

import httpx
import pytest

from benchmarks.flood import flood, provider_served

pytestmark = pytest.mark.slow


def test_a_family_completes_its_journey_and_nothing_is_lost_while_tono_is_flooded(tmp_path):
    with provider_served(tmp_path) as (base, code, database_url):
        figures = asyncio.run(flood(base, code, inbox=60, drawings=60, new_chats=10, concurrency=6, seconds=90))
        alive = httpx.get(f"{base}/healthz", timeout=10).status_code

    assert figures["journey_completed"], figures
    assert figures["server_errors"] == 0 and figures["healthz_failed"] == 0, figures
    assert alive == 200
    # Every flood request was answered with a refusal or what was asked for, none lost on the way.
    assert set(figures["drawings"]) <= {"200", "404", "429"}, figures["drawings"]
    assert set(figures["new_chats"]) <= {"opened", "refused"}, figures["new_chats"]
    with sqlite3.connect(database_url.split(":///", 1)[1]) as db:
        state = db.execute("SELECT state FROM provider_request WHERE ref = ?", (figures["ref"],)).fetchone()
        waiting = db.execute("SELECT count(*) FROM provider_outbox WHERE stream LIKE ? AND rejected_at IS NULL",
                             (f"%{figures['ref']}%",)).fetchone()
    assert state == ("relayed",)
    assert waiting[0] >= 1  # the relayed request waits in the outbox for the agency (not running here)
