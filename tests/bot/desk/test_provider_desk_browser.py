"""The provider desk in a real headless Chromium against a real `tono run`: staff sign in, open a request a
family made in the chat, approve it with "ID seen" and relay it. Screenshots go to test-artifacts/."""

from __future__ import annotations

import asyncio
import re
import shutil

import pytest

from protocol.agreement import load_agreement
from tests.bot.desk.provider_desk_support import STAFF_LOGIN, STAFF_PASSWORD, family_asks
from tests.browser_support import chromium_page, running_tono, screenshot

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


class _ChatOnly:
    """Just enough of the app for family_asks: the family's conversations on the copied database."""

    def __init__(self, database) -> None:
        from bot.chat.conversation import Conversations
        from tono.database import make_engine, make_sessionmaker

        self.engine = make_engine(f"sqlite+aiosqlite:///{database}")
        self.state = self
        self.sessions = make_sessionmaker(self.engine)
        self.conversations = Conversations(self.sessions, load_agreement())


async def _a_family_asks(database) -> str:
    app = _ChatOnly(database)
    try:
        await family_asks(app, kind="correction")
        return await family_asks(app, enrolled=False, key="walk-in")
    finally:
        await app.engine.dispose()


def test_staff_approve_and_relay_a_request_in_a_browser(seeded_url, tmp_path):
    database = tmp_path / "browser.db"
    shutil.copyfile(seeded_url.split("///", 1)[1], database)
    ref = asyncio.run(_a_family_asks(database))
    first_ref = ref.rsplit("-", 1)[0] + f"-{int(ref.rsplit('-', 1)[1]) - 1:06d}"

    with running_tono(database, tmp_path) as base, chromium_page({"width": 1180, "height": 900}) as page:
        page.goto(f"{base}/provider/")
        page.get_by_label("Login").fill(STAFF_LOGIN)
        page.get_by_label("Password").fill(STAFF_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Requests", exact=True).wait_for()
        queue_shot = screenshot(page, "provider-queue")

        page.get_by_role("link", name=first_ref).click()
        page.get_by_role("heading", name=f"Request {first_ref}").wait_for()
        page.get_by_label("ID seen").check()
        page.get_by_role("button", name="Approve").click()
        page.get_by_text("identity and authority checked by: ID seen").wait_for()
        page.get_by_role("button", name="Relay to the agency").click()
        page.get_by_text("Relayed: the request is on its way").wait_for()
        for _ in range(40):  # tono run moves the queue in the background, every half second
            if page.get_by_text("Received by the agency").count():
                break
            page.wait_for_timeout(250)
            page.reload()
        page.get_by_text("Received by the agency").first.wait_for()
        request_shot = screenshot(page, "provider-request")

        page.goto(f"{base}/provider/requests/{ref}")
        page.get_by_role("heading", name="Link to the people it is from and about").wait_for()
        unlinked_shot = screenshot(page, "provider-request-unlinked")
        page.goto(f"{base}/provider/people/P-0001")
        page.get_by_role("button", name="Issue an enrolment link").click()
        qr = page.get_by_role("img", name="QR code of the web chat link for Aroha")
        qr.wait_for()
        page.wait_for_function("document.querySelector('.enrolment img').naturalWidth > 0")
        person_shot = screenshot(page, "provider-person-enrolment")
        page.set_viewport_size({"width": 820, "height": 1180})  # a tablet, upright
        page.goto(f"{base}/provider/")
        tablet_shot = screenshot(page, "provider-queue-tablet")

    assert re.match(r"^[A-Z]+-\d{4}-\d{6}$", ref)
    for shot in (queue_shot, request_shot, unlinked_shot, person_shot, tablet_shot):
        assert shot.stat().st_size > 10_000
