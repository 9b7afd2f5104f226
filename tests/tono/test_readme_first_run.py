"""The README's guided first run, followed step by step in a real headless Chromium on a server started the
way `make run` starts it. Each step checks what the README says the person will see and saves the
screenshot the README shows (docs/screenshots/NN-step.png), so those pictures are never stale."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from pypdf import PdfReader

from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, _free_port, chromium_or_skip

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"
PHONE = {"width": 390, "height": 780}
DESK = {"width": 1000, "height": 700}
# What `make run` runs after installing, in this order (checked against the Makefile below); the test gives
# `run` a free port of its own, as `make run PORT=…` does.
MAKE_RUN = (("db", "upgrade"), ("seed-demo",), ("run", "--host", "$(HOST)", "--port", "$(PORT)"))
# The demo's records about Aroha that the walk-through names: they came in CCSS's reports (tono/demo_programme.py).
CONSENT = "Evaluation consent: 4 September 2026"
PLAN = "Family plan: 27 November 2026"
WAIT = 60  # seconds the link loop, the chat's news or a busy two-core machine may take for one step
DEMO_LOGINS = {"kaimahi": "demo-kaimahi-2026", "officer-evaluation": "demo-evaluation-2026",
               "evaluator": "demo-evaluator-2026", "officer-service-reporting": "demo-service-reporting-2026"}


def _make_run_recipe() -> list[str]:
    """The commands of the Makefile's `run` target, in order."""
    recipe = (ROOT / "Makefile").read_text(encoding="utf-8").split("\nrun:", 1)[1]
    lines = []
    for line in recipe.splitlines()[1:]:
        if not line.startswith("\t"):
            break
        lines.append(line.strip())
    return lines


def test_make_run_runs_the_commands_this_test_runs_in_the_same_order():
    assert _make_run_recipe() == [f"$(BIN)/tono {' '.join(command)}" for command in MAKE_RUN]


class Tono:
    """The `tono` command of this environment, run in a fresh folder as a newcomer would after `make run`
    installed it: no settings but the database file, no Telegram."""

    def __init__(self, folder: Path) -> None:
        script = Path(sys.executable).with_name("tono")  # what `make install` put in .venv/bin
        self.command = [str(script)] if script.exists() else [sys.executable, "-m", "tono.cli"]
        self.folder = folder
        self.env = {name: value for name, value in os.environ.items() if not name.startswith(("TONO_", "TELEGRAM_"))}
        self.env["TONO_DATABASE_URL"] = f"sqlite:///{folder / 'tono.db'}"
        self.log = folder / "tono-run.log"

    def __call__(self, *args: str) -> str:
        done = subprocess.run([*self.command, *args], env=self.env, cwd=self.folder, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, f"tono {' '.join(args)} failed:\n{done.stdout}{done.stderr}"
        return done.stdout

    def serve(self, port: int) -> subprocess.Popen:
        with self.log.open("w") as log:
            return subprocess.Popen([*self.command, "run", "--host", "127.0.0.1", "--port", str(port)], env=self.env,
                                    cwd=self.folder, stdout=log, stderr=subprocess.STDOUT)

    def log_tail(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-3000:]


def _wait_until_healthy(server: subprocess.Popen, base: str, tono: Tono) -> None:
    deadline = time.monotonic() + WAIT  # a busy two-core machine can take a while to import everything
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).json().get("status") == "ok":
                return
        except (httpx.TransportError, ValueError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"tono run never answered ok on /healthz:\n{tono.log_tail()}")


def shot(page, name: str, top=None) -> Path:
    """A screenshot of what the person sees, with `top` scrolled to the top of its scrolling box."""
    if top is not None:
        top.evaluate("element => element.scrollIntoView({block: 'start'})")
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def reload_until(page, state: str, what: str, tono: Tono) -> None:
    """Reload a desk page until it shows `state`: tono run's link loop moves the request in the background."""
    deadline = time.monotonic() + WAIT
    while not page.get_by_text(state, exact=True).count():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {WAIT}s; the page says:\n"
                                 f"{page.locator('main').inner_text()[:2000]}\n--- tono run:\n{tono.log_tail()}")
        page.wait_for_timeout(250)
        page.reload()


def chat_shows(page, text: str, what: str, tono: Tono):
    """The chat's newest message with `text`, waiting for the page's own look for news (every 10 seconds)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    message = page.locator(".msg").filter(has_text=text).last
    try:
        message.wait_for(timeout=WAIT * 1000)
    except PlaywrightTimeout:
        raise AssertionError(f"{what}: the chat never showed {text!r}; it shows:\n"
                             f"{page.locator('#log').inner_text()[-2000:]}\n--- tono run:\n{tono.log_tail()}") from None
    return message


def sign_in(page, base: str, desk: str, login: str) -> None:
    page.goto(f"{base}/{desk}/")
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(DEMO_LOGINS[login])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()


@pytest.mark.slow
def test_the_readmes_first_run_works_as_written_and_leaves_its_screenshots(tmp_path):
    chromium_or_skip()
    from playwright.sync_api import sync_playwright

    # A real `make run` from a fresh clone would build a new .venv, which a test cannot afford: this runs
    # the exact commands `make run` runs once it has installed Tono and compiled the catalogues (as `make
    # test` has here), checked against the Makefile above, and `tono enrol` as the README's first step says.
    tono = Tono(tmp_path)
    tono(*MAKE_RUN[0])
    seeded = tono(*MAKE_RUN[1])
    for login, password in DEMO_LOGINS.items():
        assert re.search(rf"login {login}\s+password {password}", seeded), seeded
    enrolled = tono("enrol", "P-0001")
    link = re.search(r"Web chat: http://127\.0\.0\.1:8000/chat/\?start=([A-Za-z0-9_-]+)", enrolled)
    assert link and "Aroha Parata" in enrolled, enrolled
    port = _free_port()  # `make run` serves on 8000, which may be taken here
    server = tono.serve(port)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(server, base, tono)
        assert f"Tono is serving on {base}/ (health: /healthz). Stop it with Ctrl+C." in tono.log_tail()
        assert "TONO_SECRET_KEY is not set" in tono.log_tail()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                family = browser.new_context(viewport=PHONE, locale="en-NZ").new_page()
                desk = browser.new_context(viewport=DESK, locale="en-NZ").new_page()
                _follow_the_readme(browser, family, desk, base, link.group(1), tono, tmp_path)
            finally:
                browser.close()
    finally:
        server.terminate()
        server.wait(timeout=15)


def _follow_the_readme(browser, family, desk, base, code, tono, tmp_path) -> None:
    # 1. Open the web chat as Aroha, with the one-time link.
    family.goto(f"{base}/chat/?start={code}")
    greeting = chat_shows(family, "Kia ora Aroha! Your chat is now linked", "the enrolment link", tono)
    family.get_by_role("button", name="Not now").wait_for()
    shot(family, "01-chat-linked", top=greeting)

    # 2. Ask what the agency holds about her.
    family.get_by_role("button", name="Not now").click()
    for label in ("What do you hold about me?", "Mine", "The agency", "Skip", "A copy here in the chat", "No"):
        family.get_by_role("button", name=label, exact=True).last.click()
    summary = chat_shows(family, "Please check your request", "the summary", tono)
    family.get_by_role("button", name="Send my request").last.click()
    sent = chat_shows(family, "Your request is sent. Your reference is", "sending the request", tono)
    ref = re.search(r"[A-Z]+-\d{4}-\d{6}", sent.inner_text()).group(0)
    assert re.fullmatch(r"BFF-\d{4}-000001", ref), ref  # the README's example: the first request of the year
    shot(family, "02-chat-request-sent", top=summary)

    # 3. Approve it on the provider desk.
    sign_in(desk, base, "provider", "kaimahi")
    desk.get_by_text("To check").first.wait_for()
    desk.get_by_role("link", name=ref).click()
    desk.get_by_role("heading", name=f"Request {ref}").wait_for()
    desk.get_by_text("To check", exact=True).wait_for()
    desk.get_by_label("ID seen").check()
    desk.get_by_role("button", name="Approve").click()
    desk.get_by_text("Checked, ready to relay", exact=True).wait_for()
    relay = desk.get_by_role("button", name="Relay to the agency")
    relay.wait_for()
    shot(desk, "03-provider-approved")

    # 4. Relay it: tono run carries it to the agency, which makes one task per unit.
    relay.click()
    reload_until(desk, "Received by the agency", "the agency receiving the request", tono)
    desk.get_by_text("Decision due").first.wait_for()
    for unit in ("Evaluation team", "Service delivery reporting team"):
        desk.get_by_text(unit, exact=True).wait_for()
    shot(desk, "04-provider-relayed")

    # 5. The evaluation team releases the one record that names her (her survey answers are under a study number).
    sign_in(desk, base, "agency", "officer-evaluation")
    desk.get_by_role("heading", name="Evaluation team: tasks to do").wait_for()
    assert desk.get_by_role("button", name="Claim").count() == 1
    desk.get_by_role("button", name="Claim").click()
    desk.get_by_text("You have claimed this task").wait_for()
    assert desk.get_by_role("radiogroup", name=re.compile("^What to do with")).count() == 1
    desk.get_by_role("radiogroup", name=f"What to do with {CONSENT}").get_by_label("Release").check()
    shot(desk, "05-agency-evaluation", top=desk.get_by_role("heading", name=re.compile("Your unit's records")))
    desk.get_by_role("button", name="Send the answer").click()
    desk.get_by_text("Your unit's answer has been sent to the provider.").wait_for()
    desk.get_by_role("button", name="Sign out").click()

    # 5, second part. The evaluator answers the part about her survey answers, which carries a study number only.
    sign_in(desk, base, "agency", "evaluator")
    desk.get_by_role("heading", name="Evaluation team: tasks to do").wait_for()
    assert desk.get_by_role("button", name="Claim").count() == 1
    assert "Aroha" not in desk.locator("main").inner_text()  # a study number, never her name
    desk.get_by_role("button", name="Claim").click()
    desk.get_by_text("You have claimed this task").wait_for()
    answers = desk.get_by_role("radiogroup", name=re.compile("^What to do with"))
    assert answers.count() >= 1  # her survey answers
    for n in range(answers.count()):
        answers.nth(n).get_by_label("Release").check()
    assert "Aroha" not in desk.locator("main").inner_text()
    desk.get_by_role("button", name="Send the answer").click()
    desk.get_by_text("Your unit's answer has been sent to the provider.").wait_for()
    desk.get_by_role("button", name="Sign out").click()

    # 6. Service delivery reporting releases her enrolment and attendance and withholds the family plan, with a ground.
    sign_in(desk, base, "agency", "officer-service-reporting")
    desk.get_by_role("heading", name="Service delivery reporting team: tasks to do").wait_for()
    desk.get_by_role("button", name="Claim").click()
    desk.get_by_text("You have claimed this task").wait_for()
    decisions = desk.get_by_role("radiogroup", name=re.compile("^What to do with"))
    assert decisions.count() >= 3  # her enrolment, her attendance, her family plan
    for n in range(decisions.count()):
        decisions.nth(n).get_by_label("Release").check()
    desk.get_by_role("radiogroup", name=f"What to do with {PLAN}").get_by_label("Withhold").check()
    withheld = desk.locator("fieldset").filter(has=desk.get_by_role("radiogroup", name=f"What to do with {PLAN}"))
    ground = withheld.get_by_label("Ground, if you withhold it")
    ground.select_option("another_persons_affairs")
    assert ground.locator("option:checked").inner_text().startswith("s 53(b)")
    withheld.get_by_label("Explanation for the family, if you withhold it").fill(
        "Most of this note is about your sister's own situation.")
    shot(desk, "06-agency-service-reporting", top=withheld)
    desk.get_by_role("button", name="Send the answer").click()
    desk.get_by_text("Your unit's answer has been sent to the provider.").wait_for()
    desk.get_by_role("button", name="Sign out").click()

    # 7. Back on the provider desk (still signed in there): both answers are in; prepare the answer.
    desk.goto(f"{base}/provider/")
    desk.get_by_role("link", name=ref).click()
    reload_until(desk, "Answered by the agency", "both units' answers reaching CCSS", tono)
    desk.get_by_role("heading", name="The agency's answers").wait_for()
    for unit in ("Evaluation team", "Service delivery reporting team"):
        desk.get_by_text(f"{unit} answered").wait_for()
    desk.get_by_role("button", name="Start preparing the answer").click()
    desk.get_by_role("link", name="Prepare the answer", exact=True).click()
    desk.get_by_text("Ready to deliver", exact=True).wait_for()
    shot(desk, "07-provider-prepare")

    # 8. Deliver it.
    desk.get_by_role("link", name="request page").click()
    desk.get_by_role("button", name="Deliver the answer").click()
    delivered = desk.get_by_text("Delivered: the family is asked whether they want the copies")
    delivered.wait_for()
    shot(desk, "08-provider-delivered")

    # 9. The chat, still open, has told Aroha of each step; the answer is ready.
    news = chat_shows(family, "CCSS has checked who you are", "the news of the approval", tono)
    for said in (f"CCSS has passed your request {ref} to the agency", f"The agency has your request {ref}",
                 f"The agency has answered your request {ref}", f"The answer to your request {ref} is ready"):
        chat_shows(family, said, "the family's news", tono)
    family.get_by_role("button", name="Send me the copies").last.wait_for()
    family.get_by_role("button", name="Read them with a worker").last.wait_for()
    shot(family, "09-chat-answer-ready", top=news)

    # 10. Send me the copies: the explanation, then the PDF.
    family.get_by_role("button", name="Send me the copies").last.click()
    chat_shows(family, "Here is what CCSS and the agency hold", "the explanation", tono)
    chat_shows(family, "Records about you at Evaluation team: 1", "what the evaluation team holds", tono)
    withheld = chat_shows(family, f"Not given to you: {PLAN}", "the withheld record", tono)
    assert "s 53(b)" in withheld.inner_text()
    chat_shows(family, "complain to the Privacy Commissioner", "what Aroha can do next", tono)
    pdf_link = family.get_by_role("link", name="Download the copies (PDF)").last
    pdf_link.wait_for()
    shot(family, "10-chat-copies", top=withheld)

    # 11. Open the PDF.
    with family.expect_download() as download:
        pdf_link.click()
    copy = tmp_path / download.value.suggested_filename
    download.value.save_as(copy)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(copy.read_bytes())).pages)
    for released in (CONSENT, "Enrolment: 2 September 2026", "Attendance: 8 September 2026, group session"):
        assert released in text, f"{released} is not in the PDF:\n{text[:2000]}"
    assert "who shared details of her own situation" not in text  # the withheld record's own words
    assert copy.name == f"{ref}-en-adult.pdf"
    for other_way in ("The simple version", "In te reo Māori"):
        family.get_by_role("button", name=other_way).last.wait_for()
    viewer = browser.new_context(viewport=PHONE).new_page()
    viewer.goto(copy.as_uri())
    _wait_for_the_pdf_viewer(viewer)
    shot(viewer, "11-copy-pdf")


def _wait_for_the_pdf_viewer(page) -> None:
    """Chromium's own PDF viewer shows the page count once it has read the file (#pagelength, in its extension's
    frame); the first page is drawn a moment later, so then wait until two looks in a row are the same."""
    deadline = time.monotonic() + WAIT
    while not _pdf_page_count(page):
        assert time.monotonic() < deadline, "Chromium's PDF viewer never said how many pages the copy has"
        page.wait_for_timeout(100)
    before = page.screenshot()
    while True:
        page.wait_for_timeout(200)
        now = page.screenshot()
        if now == before:
            return
        assert time.monotonic() < deadline, "Chromium's PDF viewer never finished drawing the copy"
        before = now


def _pdf_page_count(page) -> int:
    for frame in page.frames:
        if frame.url.startswith("chrome-extension:") and frame.locator("#pagelength").count():
            shown = frame.locator("#pagelength").inner_text().strip()
            return int(shown) if shown.isdigit() else 0
    return 0
