"""After delivery, from the family's chat and the staff member's desk: a family asks for the answer in another
language or register, staff are asked in words (never codes), write it on the prepare page (which still works),
and the family is told once when it is ready and gets it with one press; a family asks for it on paper, and
staff download the copies to print."""

from __future__ import annotations

import html

import pytest
from sqlmodel import select

from bot.copies.items import answer_items
from bot.language.i18n import from_json, say
from bot.models import ContactRequest, Notification, Request, RequestEvent
from bot.outbound.notify import NOTICE_SCREEN
from tests.bot.chat_driver import FamilyChat
from tests.bot.desk.provider_desk_support import HTML, answered_by_both_units, post_form

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


async def _delivered(app, client) -> tuple[str, str]:
    """Both units answered; staff prepared the answer and delivered it (the family reads adult English)."""
    ref, csrf = await answered_by_both_units(app, client, withhold=False)
    for step in ("prepare", "deliver"):
        done = await post_form(client, f"/provider/requests/{ref}/steps/{step}", csrf)
        assert done.status_code == 303, done.text[:1500]
    return ref, csrf


async def _notes(app) -> list[str]:
    async with app.state.sessions() as session:
        return [c.note for c in await session.exec(select(ContactRequest).order_by(ContactRequest.id))]


async def _ready_notices(app, ref: str) -> list[Notification]:
    async with app.state.sessions() as session:
        request = (await session.exec(select(Request).where(Request.ref == ref))).one()
        rows = await session.exec(select(Notification).where(Notification.request_id == request.id))
        return [n for n in rows if "Another version" in say(from_json(n.text), "en", "adult")]


async def test_a_version_asked_for_after_delivery_is_written_on_the_prepare_page_and_the_family_told_once(
        app, client):
    ref, csrf = await _delivered(app, client)
    chat = FamilyChat(app.state.conversations, "aroha")

    await chat.press_action(f"copy:{ref}:mi:child", screen=NOTICE_SCREEN)
    told_first = chat.all_text
    asked = await _notes(app)
    async with app.state.sessions() as session:
        request = (await session.exec(select(Request).where(Request.ref == ref))).one()
        items = [item for item in await answer_items(session, request) if item.given]
    page = await client.get(f"/provider/requests/{ref}/prepare", headers=HTML)
    saved = []
    for item in items:
        saved.append(await post_form(client, f"/provider/requests/{ref}/prepare/{item.key}/mi/child", csrf,
                                     title="He pūkete", text="Kua tae koe ki te rōpū."))
    last = html.unescape((await client.get(saved[-1].headers["location"], headers=HTML)).text)
    again = await post_form(client, f"/provider/requests/{ref}/prepare/{items[0].key}/mi/child", csrf,
                            title="He pūkete", text="Kua tae koe ki te rōpū i ia wiki.")
    notices = await _ready_notices(app, ref)
    got = await chat.press_action(f"copy:{ref}:mi:child", screen=NOTICE_SCREEN)

    assert "Sorry, that version is not written yet." in told_first
    assert asked[-1] == (f"Please write the young person's version in te reo Māori of {ref}: the family asked for "
                         "it in the chat. They are told when it is ready.")
    assert page.status_code == 200  # the prepare page works after delivery
    assert all(s.status_code == 303 for s in saved) and again.status_code == 303
    assert "Every item now has it: the family is told it is ready." in last
    assert len(notices) == 1  # told once, however often a version is rewritten
    assert notices[0].buttons == [[[notices[0].buttons[0][0][0], f"copy:{ref}:mi:child"]]]
    assert any(reply.document is not None for reply in got.replies)  # the copies, in te reo for a young person
    async with app.state.sessions() as session:
        ready = (await session.exec(select(RequestEvent).where(RequestEvent.trigger == "version_ready"))).all()
    assert [e.detail for e in ready] == [{"language": "mi", "register": "child"}]


async def test_a_family_asks_for_copies_on_paper_and_staff_download_them_to_print(app, client):
    ref, _csrf = await _delivered(app, client)
    chat = FamilyChat(app.state.conversations, "aroha")

    await chat.press_action(f"print:{ref}:en:adult", screen=NOTICE_SCREEN)
    told = chat.all_text
    request_page = await client.get(f"/provider/requests/{ref}", headers=HTML)
    printed = await client.get(f"/provider/requests/{ref}/copies/en/adult")
    not_written = await client.get(f"/provider/requests/{ref}/copies/mi/child", headers=HTML)
    forged = await chat.press_action("print:BFF-2026-999999:en:adult", screen=NOTICE_SCREEN)

    assert (await _notes(app))[-1] == (f"Please print the adult copies in English of {ref} (download them from the "
                                       "request's page) and give or post them to the family.")
    assert "Thank you. CCSS will print your copies" in told
    assert f"/provider/requests/{ref}/copies/en/adult" in request_page.text
    assert printed.status_code == 200 and printed.headers["content-type"] == "application/pdf"
    assert printed.content.startswith(b"%PDF")
    assert not_written.status_code == 409 and "not written yet" in not_written.text
    assert len(await _notes(app)) == 1  # a press naming someone else's request asks nobody for anything
    assert say(forged.notice, "en", "adult") == "Those copies are not ready for this chat."
    async with app.state.sessions() as session:
        opened = (await session.exec(select(RequestEvent).where(RequestEvent.trigger == "opened"))).all()
    assert any((e.detail or {}).get("what") == "copies to print" for e in opened)
