"""The safety answer in the web chat, in a real headless Chromium: a family who types that they are not safe
reads 111 and free help lines at once, above the usual thanks."""

from __future__ import annotations

import shutil

import pytest

from tests.browser_support import chromium_page, running_tono, screenshot

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def test_a_family_typing_that_they_are_not_safe_reads_111_and_help_lines_in_the_web_chat(seeded_url, tmp_path):
    database = tmp_path / "browser.db"
    shutil.copyfile(seeded_url.split("///", 1)[1], database)

    with running_tono(database, tmp_path) as base, chromium_page({"width": 390, "height": 844}) as page:
        page.goto(f"{base}/chat/")
        page.get_by_role("button", name="Not now").click()
        page.get_by_role("button", name="Talk to a person").last.click()
        page.get_by_text("type what it is about").last.wait_for()
        page.get_by_label("Your message").fill("I don’t feel safe at home")
        page.keyboard.press("Enter")
        page.get_by_text("within 2 working days").last.wait_for()
        safety = page.get_by_text("call 111").last
        safety.wait_for()
        body = page.locator("body").inner_text()
        shot = screenshot(page, "webchat-safety-answer")

    assert safety_first(body, "call 111", "within 2 working days")
    for line in ("Need to talk? Call or text 1737.", "Women's Refuge: 0800 733 843."):
        assert line in body
    assert "Youthline" not in body
    assert shot.stat().st_size > 10_000


def safety_first(body: str, safety: str, thanks: str) -> bool:
    typed = body.rindex("I don’t feel safe at home")
    return typed < body.index(safety, typed) < body.index(thanks, typed)
