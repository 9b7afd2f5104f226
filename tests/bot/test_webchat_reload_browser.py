"""The web chat in a real headless Chromium, reloaded half-way through a request: the conversation comes back
from the server, old buttons shown but doing nothing, the current question's working, and the request goes."""

from __future__ import annotations

import shutil

import pytest

from tests.browser_support import chromium_page, running_tono, screenshot

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def test_a_family_reloads_the_web_chat_half_way_and_sends_the_same_request(seeded_url, tmp_path):
    database = tmp_path / "browser.db"
    shutil.copyfile(seeded_url.split("///", 1)[1], database)

    with running_tono(database, tmp_path) as base, chromium_page({"width": 390, "height": 844}) as page:
        page.goto(f"{base}/chat/")
        page.get_by_role("button", name="Not now").click()
        for label in ("What do you hold about me?", "Mine", "Both CCSS and the agency"):
            page.get_by_role("button", name=label).last.click()
        page.get_by_text("anything in particular").last.wait_for()
        box = page.get_by_label("Your message")
        assert box.get_attribute("maxlength") == "2000"  # what this question takes on the server
        box.fill("My attendance records")
        page.get_by_role("button", name="Send", exact=True).click()
        page.get_by_text("How would you like to get it?").last.wait_for()

        page.reload()

        page.get_by_text("How would you like to get it?").wait_for()
        assert page.locator(".msg.mine", has_text="My attendance records").count() == 1
        assert page.get_by_text("Kia ora!").count() == 1  # shown again, not said again
        assert page.get_by_role("button", name="Mine").is_disabled()
        assert page.get_by_role("button", name="Both CCSS and the agency").is_disabled()
        shot = screenshot(page, "webchat-after-a-reload")
        page.get_by_role("button", name="A copy here in the chat").click()
        page.get_by_role("button", name="No", exact=True).last.click()
        page.get_by_text("full name").last.wait_for()
        assert box.get_attribute("maxlength") == "200"
        box.focus()
        page.keyboard.insert_text("H" * 250)  # a paste too long for the box is cut, and the page says so
        assert len(box.input_value()) == 200
        page.get_by_text("That is as much as I can take here: 200 characters.").wait_for()
        box.fill("Hemi Walker")
        page.keyboard.press("Enter")
        page.get_by_text("My attendance records").last.wait_for()
        page.get_by_role("button", name="Send my request").last.click()
        page.get_by_text("Your request is sent").wait_for()

    assert shot.stat().st_size > 10_000
