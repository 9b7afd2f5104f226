"""The web chat in a real headless Chromium: a family makes a request with buttons and typing."""

from __future__ import annotations

import shutil

import pytest

from tests.browser_support import chromium_page, running_tono, screenshot

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def test_a_family_makes_a_request_in_the_web_chat_in_a_browser(seeded_url, tmp_path):
    database = tmp_path / "browser.db"
    shutil.copyfile(seeded_url.split("///", 1)[1], database)

    with running_tono(database, tmp_path) as base, chromium_page({"width": 390, "height": 844}) as page:
        page.goto(f"{base}/chat/")
        page.get_by_role("button", name="Not now").click()
        for label in ("What do you hold about me?", "Mine", "Both CCSS and the agency"):
            page.get_by_role("button", name=label).last.click()
        # A person reads the question before typing the answer: typed too early, it answers the step before.
        page.get_by_text("anything in particular").last.wait_for()
        page.get_by_label("Your message").fill("My attendance records")
        page.get_by_role("button", name="Send", exact=True).click()
        page.get_by_role("button", name="A copy here in the chat").last.click()
        page.get_by_role("button", name="No", exact=True).last.click()
        page.get_by_text("full name").last.wait_for()
        page.get_by_label("Your message").fill("Hemi Walker")
        page.keyboard.press("Enter")
        page.get_by_role("button", name="Send my request").last.click()
        page.get_by_text("Your request is sent").wait_for()
        shot = screenshot(page, "webchat-request-sent")

    assert shot.stat().st_size > 10_000
