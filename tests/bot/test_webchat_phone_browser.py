"""The web chat on a phone-sized screen (360×640) in a real headless Chromium: a family walks the whole way,
from the first visit to a request sent and its steps shown as a picture, with the keyboard where a person
would use it. At every stop: nothing scrolls sideways, every control has a name, text is WCAG AA contrast,
and focus is where a person would look next."""

from __future__ import annotations

import re
import shutil

import pytest

from tests.browser_support import chromium_page, running_tono, screenshot

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
PHONE = {"width": 360, "height": 640}

# What a person would notice first, measured in the page: each problem as one line.
PROBLEMS = """() => {
  const problems = [];
  const page = document.documentElement, log = document.getElementById("log");
  if (page.scrollWidth > page.clientWidth) problems.push(`the page scrolls sideways (${page.scrollWidth}px)`);
  if (log.scrollWidth > log.clientWidth) problems.push(`the chat scrolls sideways (${log.scrollWidth}px)`);
  for (const el of document.querySelectorAll("button, input, img, a")) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > window.innerWidth + 0.5) problems.push(`${el.outerHTML.slice(0, 60)} sticks out`);
  }
  const rgba = (css) => (css.match(/[\\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || c[3] > 0) return c;
    }
    return [255, 255, 255];
  };
  const ratio = (a, b) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const texts = [...document.querySelectorAll("h1, .msg, .notice, .working, button:not(:disabled), input, .msg a")];
  for (const el of texts) {
    if (!el.getClientRects().length || !el.textContent.trim() && el.tagName !== "INPUT") continue;
    const r = ratio(rgba(getComputedStyle(el).color), background(el));
    if (r < 4.5) problems.push(`contrast ${r.toFixed(2)} on ${el.outerHTML.slice(0, 60)}`);
  }
  const input = document.getElementById("text");
  const hint = ratio(rgba(getComputedStyle(input, "::placeholder").color), background(input));
  if (hint < 4.5) problems.push(`placeholder contrast ${hint.toFixed(2)}`);
  return problems;
}"""
UNNAMED = re.compile(r"^\s*- (button|textbox|img|link)(\s*\[[^\]]*\])*:?\s*$", re.MULTILINE)


def _check(page) -> None:
    assert page.evaluate(PROBLEMS) == []
    tree = page.locator("body").aria_snapshot()
    assert not UNNAMED.findall(tree), tree


def _focus_on(page, label: str) -> None:
    """Wait until the keyboard's focus is on the button `label` (it moves there once the turn is shown)."""
    page.wait_for_function("(label) => document.activeElement?.textContent === label", arg=label)


def test_a_family_goes_from_first_visit_to_the_picture_of_their_request_on_a_phone(seeded_url, tmp_path):
    database = tmp_path / "phone.db"
    shutil.copyfile(seeded_url.split("///", 1)[1], database)

    with running_tono(database, tmp_path) as base, chromium_page(PHONE) as page:
        page.emulate_media(reduced_motion="reduce")
        page.goto(f"{base}/chat/")
        _focus_on(page, "Yes, tell me")
        assert page.evaluate("document.documentElement.lang") == "en"
        assert page.locator("#log").get_attribute("role") == "log"
        assert page.locator("#log").get_attribute("aria-live") == "polite"
        assert page.locator("#working").get_attribute("aria-live") == "polite"
        _check(page)
        screenshot(page, "webchat-phone-start")

        page.get_by_role("button", name="Not now").click()
        _focus_on(page, "What do you hold about me?")
        page.keyboard.press("Enter")  # the focused button, pressed from the keyboard
        _focus_on(page, "Mine")
        page.keyboard.press("Enter")
        page.get_by_role("button", name="Both CCSS and the agency").last.click()
        page.get_by_text("anything in particular").last.wait_for()
        page.get_by_label("Your message").fill("My attendance records")
        page.keyboard.press("Enter")
        page.get_by_role("button", name="A copy here in the chat").last.wait_for()
        assert page.evaluate("document.activeElement.id") == "text"  # after typing, focus stays to type more
        page.get_by_role("button", name="A copy here in the chat").last.click()
        page.get_by_role("button", name="No", exact=True).last.click()
        page.get_by_text("full name").last.wait_for()
        page.get_by_label("Your message").fill("Hemi Walker")
        page.keyboard.press("Enter")
        page.get_by_role("button", name="Send my request").last.click()
        page.get_by_text("Your request is sent").wait_for()
        _focus_on(page, "What do you hold about me?")
        _check(page)
        screenshot(page, "webchat-phone-request-sent")

        page.get_by_role("button", name="Where is my request?").last.click()
        page.get_by_text("CCSS has your request and is checking who you are.").last.wait_for()
        page.get_by_role("button", name="Show it as a picture").last.click()
        words = re.compile(r"^A picture of the steps of request BFF-\d{4}-\d{6}\. Sent: done on ")
        picture = page.get_by_role("img", name=words)
        picture.wait_for()
        page.wait_for_function("() => [...document.images].every((i) => i.complete && i.naturalWidth === 640)")
        assert picture.evaluate("(img) => img.closest('.msg') === document.activeElement")
        assert picture.bounding_box()["width"] <= PHONE["width"]
        _check(page)
        screenshot(page, "webchat-phone-status-picture")

        # Each press waits for the new question first: a button of the one before is there, but does nothing now.
        page.get_by_role("button", name="← Back").last.click()
        _focus_on(page, "What do you hold about me?")
        page.get_by_role("button", name="English / te reo Māori").last.click()
        _focus_on(page, "English")
        page.get_by_role("button", name="Te reo Māori", exact=True).last.click()
        page.wait_for_function("() => document.documentElement.lang === 'mi'")
        assert page.get_by_label("Tō karere").count() == 1
        _check(page)
        page.keyboard.press("Tab")
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline == "solid", "the keyboard's focus is visible"
        screenshot(page, "webchat-phone-te-reo")

        page.evaluate("document.getElementById('working').textContent = 'Kei te patopato a Tono…'")
        calm = page.evaluate("getComputedStyle(document.getElementById('working'), '::after').animationName")
        page.emulate_media(reduced_motion="no-preference")
        lively = page.evaluate("getComputedStyle(document.getElementById('working'), '::after').animationName")
        assert (calm, lively) == ("none", "pulse")
