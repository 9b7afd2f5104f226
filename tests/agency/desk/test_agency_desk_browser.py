"""The agency desk in a real headless Chromium against a real `tono run`: the evaluation officer signs in,
claims Aroha's request from the unit's queue, releases one record and withholds the other with a ground."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import time

import pytest

from tests.agency.desk.agency_world import agency_app, family_asks, staff_relay, unit_adds_own_record
from tests.browser_support import chromium_page, running_tono, screenshot

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


async def _request_at_the_agency(database, workdir) -> None:
    """Aroha asks in the chat, CCSS relays, the agency receives it: all before the server starts. Beside her
    consent form (from the demo's reports), the evaluation unit holds its evaluator's notes about her, added
    from its own systems."""
    world = agency_app(f"sqlite+aiosqlite:///{database}", workdir)
    try:
        await unit_adds_own_record(world, "evaluation")
        await family_asks(world)
        await staff_relay(world)
    finally:
        await world.engine.dispose()


def _unit_answers(database) -> list[str]:
    with sqlite3.connect(database) as db:
        return [unit for (unit,) in db.execute("SELECT unit FROM provider_unit_answer")]


def test_an_officer_claims_and_answers_a_task_in_a_browser(seeded_url, tmp_path):
    database = tmp_path / "browser.db"
    shutil.copyfile(seeded_url.split("///", 1)[1], database)
    asyncio.run(_request_at_the_agency(database, tmp_path))

    with running_tono(database, tmp_path) as base, chromium_page({"width": 1180, "height": 820}) as page:
        page.goto(f"{base}/agency/")
        page.get_by_label("Login").fill("officer-evaluation")
        page.get_by_label("Password").fill("demo-evaluation-2026")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Evaluation team: tasks to do").wait_for()
        queue = screenshot(page, "agency-queue")
        page.get_by_role("button", name="Claim").click()
        page.get_by_text("You have claimed this task").wait_for()

        consent = page.get_by_role("group", name="Evaluation consent: 4 September 2026")
        consent.get_by_role("radio", name="Release").check()
        survey = page.get_by_role("group", name="Evaluator interview notes")
        survey.get_by_role("radio", name="Withhold").check()
        survey.get_by_label("Ground, if you withhold it").select_option("evaluative_material")
        survey.get_by_label("Explanation for the family, if you withhold it").fill(
            "The evaluator gave this to us in confidence.")
        task = screenshot(page, "agency-task")
        page.get_by_role("button", name="Send the answer").click()
        page.get_by_text("Your unit's answer has been sent to the provider.").wait_for()
        answered = screenshot(page, "agency-task-answered")
        withheld = page.get_by_text("Withheld: Evaluator interview notes, under s 50").count()
        page.set_viewport_size({"width": 820, "height": 1180})  # a tablet, upright
        page.goto(f"{base}/agency/?show=finished")
        page.get_by_role("link", name="Open").click()
        tablet = screenshot(page, "agency-task-answered-tablet")

        for _ in range(100):  # the server's link carries the answer to the provider in the background
            if _unit_answers(database):
                break
            time.sleep(0.1)

    assert all(shot.stat().st_size > 10_000 for shot in (queue, task, answered, tablet))
    assert withheld == 1
    assert _unit_answers(database) == ["evaluation"]
