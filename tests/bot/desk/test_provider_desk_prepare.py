"""Preparing the answer on the provider desk: each item the family will get, its adult text as released,
the versions staff write beside it with the English reading level, what is still missing for the family's
language and register, and delivery refused until nothing is."""

from __future__ import annotations

import html
import re

import pytest
from sqlmodel import select

from bot.copies.items import answer_items
from bot.models import ChatLink, ItemVersion, Request
from tests.bot.desk.provider_desk_support import (
    HTML,
    answered_by_both_units,
    client_for,
    family_asks,
    post_form,
    request_row,
    sign_in,
)

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

CHILD_TEXT = "You came to the group. You liked it. You came most weeks."
HARD_TEXT = ("Notwithstanding considerable organisational difficulties, participation documentation indicates "
             "substantially consistent attendance throughout the programme's comprehensive intervention period.")


async def _preparing(app, client, *, withhold: bool = True) -> tuple[str, str]:
    """Both agency units answered (one withholding a record), and staff started preparing the answer."""
    ref, csrf = await answered_by_both_units(app, client, withhold=withhold)
    prepared = await post_form(client, f"/provider/requests/{ref}/steps/prepare", csrf)
    assert prepared.status_code == 303, prepared.text[:1500]
    return ref, csrf


async def _reads_in(app, language: str, register: str) -> None:
    async with app.state.sessions.begin() as session:
        for chat in await session.exec(select(ChatLink)):
            chat.language, chat.audience = language, register
            session.add(chat)


async def _given(app, ref: str):
    async with app.state.sessions() as session:
        request = (await session.exec(select(Request).where(Request.ref == ref))).one()
        return [item for item in await answer_items(session, request) if item.given]


async def _versions(app) -> list[ItemVersion]:
    async with app.state.sessions() as session:
        return list(await session.exec(select(ItemVersion).order_by(ItemVersion.id)))


def _save(ref: str, key: str, language: str, register: str) -> str:
    return f"/provider/requests/{ref}/prepare/{key}/{language}/{register}"


async def test_the_request_page_links_to_the_prepare_page_which_shows_each_item_and_its_versions(app, client):
    ref, _csrf = await _preparing(app, client)
    await _reads_in(app, "mi", "child")
    items = await _given(app, ref)

    request_page = await client.get(f"/provider/requests/{ref}", headers=HTML)
    page = await client.get(f"/provider/requests/{ref}/prepare", headers=HTML)
    text = html.unescape(page.text)

    assert f"/provider/requests/{ref}/prepare" in request_page.text
    assert page.status_code == 200
    assert items and all(item.title in text and item.text in text for item in items)
    assert "About your sister." not in text  # what was withheld is not an item the family gets a copy of
    assert "The family reads the <strong>child version in te reo Māori</strong>" in text
    assert "Missing" in text and "Ready to deliver" not in text
    assert "Written by staff or a translator." in text and "Child version in te reo Māori" in text
    # the family's version comes first, then the other three; the released English is not a form
    first = items[0]
    actions = [f"/provider/requests/{ref}/prepare/{first.key.replace(':', '%3A')}/{v}" for v in
               ("mi/child", "en/child", "mi/adult")]
    positions = [page.text.index(a) for a in actions]
    assert positions == sorted(positions)
    assert f"/{first.key.replace(':', '%3A')}/en/adult" not in page.text
    # a new English child version starts from the template, in plain words
    assert "This is a record about you from" in text and "It says: …" in text


async def test_staff_save_a_child_version_and_see_its_reading_level(app, client):
    ref, csrf = await _preparing(app, client)
    await _reads_in(app, "en", "child")
    item = (await _given(app, ref))[0]

    page = await client.get(f"/provider/requests/{ref}/prepare", headers=HTML)
    action = re.search(r'action="([^"]*/en/child)"', page.text).group(1)  # the form's own address
    saved = await post_form(client, action, csrf, title="Coming to group", text=CHILD_TEXT)
    after = await client.get(saved.headers["location"], headers=HTML)
    hard = await post_form(client, _save(ref, item.key, "en", "child"), csrf, title="Coming to group",
                           text=HARD_TEXT)
    after_hard = await client.get(hard.headers["location"], headers=HTML)

    assert saved.status_code == 303 and saved.headers["location"].startswith(f"/provider/requests/{ref}/prepare")
    text = html.unescape(after.text)
    assert "Saved the child version in English" in text
    assert "Reading level: grade" in text and "(aim: 4 or lower): OK." in text  # the flash, in words
    assert "<meter" in after.text and "OK</strong>" in after.text
    assert CHILD_TEXT in text
    assert "Too hard" in html.unescape(after_hard.text)
    rows = await _versions(app)
    assert [(r.item_key, r.language, r.audience, r.title, r.text, r.written_by) for r in rows] == [
        (item.key, "en", "child", "Coming to group", HARD_TEXT, rows[0].written_by)]  # one row, rewritten
    assert rows[0].written_by


async def test_missing_versions_are_listed_until_every_item_has_one_then_ready_to_deliver(app, client):
    ref, csrf = await _preparing(app, client)
    await _reads_in(app, "mi", "adult")
    items = await _given(app, ref)

    before = html.unescape((await client.get(f"/provider/requests/{ref}/prepare", headers=HTML)).text)
    for item in items[:-1]:
        await post_form(client, _save(ref, item.key, "mi", "adult"), csrf, title=f"{item.title} (reo)",
                        text="Kua tae mai koe ki ngā hui ā-rōpū.")
    partway = html.unescape((await client.get(f"/provider/requests/{ref}/prepare", headers=HTML)).text)
    await post_form(client, _save(ref, items[-1].key, "mi", "adult"), csrf, title="Te rōpū", text="Ā, ka pai.")
    done = html.unescape((await client.get(f"/provider/requests/{ref}/prepare", headers=HTML)).text)

    summary = before.split("Before delivery", 1)[1].split("</section>", 1)[0]
    assert f"{len(items)} item" in summary and all(item.title in summary for item in items)
    part_summary = partway.split("Before delivery", 1)[1].split("</section>", 1)[0]
    assert "Ready to deliver" not in part_summary and items[-1].title in part_summary
    assert all(item.title not in part_summary for item in items[:-1])
    assert "Ready to deliver" in done.split("Before delivery", 1)[1].split("</section>", 1)[0]
    assert "ngā hui ā-rōpū" in done  # macrons kept


async def test_delivery_is_refused_while_a_version_is_missing_then_allowed(app, client):
    ref, csrf = await _preparing(app, client)
    await _reads_in(app, "en", "child")
    items = await _given(app, ref)

    refused = await post_form(client, f"/provider/requests/{ref}/steps/deliver", csrf)
    state_refused = (await request_row(app, ref)).state
    for item in items:
        await post_form(client, _save(ref, item.key, "en", "child"), csrf, title=item.title, text=CHILD_TEXT)
    delivered = await post_form(client, f"/provider/requests/{ref}/steps/deliver", csrf)

    assert refused.status_code == 409
    assert "Write the child version in English" in html.unescape(refused.text)
    assert state_refused == "preparing"
    assert delivered.status_code == 303
    assert (await request_row(app, ref)).state == "delivered"
    after = await client.get(f"/provider/requests/{ref}/prepare", headers=HTML)
    assert after.status_code == 200  # still open after delivery, for another version the family may ask for
    # (tests/bot/desk/test_after_delivery.py); before preparing, it is refused (test_provider_desk_access.py)


async def test_who_may_prepare_and_what_is_refused(app, client):
    ref, csrf = await _preparing(app, client)
    item = (await _given(app, ref))[0]
    waiting = await family_asks(app, key="aroha-2")


    async with client_for(app) as anonymous:
        page = await anonymous.get(f"/provider/requests/{ref}/prepare", headers=HTML)
        post = await anonymous.post(_save(ref, item.key, "en", "child"), headers=HTML,
                                    data={"title": "x", "text": "y"})
    wrong_state_page = await client.get(f"/provider/requests/{waiting}/prepare", headers=HTML)
    wrong_state = await post_form(client, _save(waiting, item.key, "en", "child"), csrf, title="x", text="y")
    unknown_request = await client.get("/provider/requests/BFF-2099-999999/prepare", headers=HTML)
    unknown_item = await post_form(client, _save(ref, "evaluation:999999", "en", "child"), csrf, title="x",
                                   text="y")
    released = await post_form(client, _save(ref, item.key, "en", "adult"), csrf, title="x", text="y")
    other_language = await post_form(client, _save(ref, item.key, "fr", "child"), csrf, title="x", text="y")
    empty = await post_form(client, _save(ref, item.key, "en", "child"), csrf, title="Coming to group", text="  ")
    too_long = await post_form(client, _save(ref, item.key, "mi", "child"), csrf, title="x" * 201, text="y")
    no_csrf = await client.post(_save(ref, item.key, "en", "child"), headers=HTML, data={"title": "x", "text": "y"})

    assert page.status_code == 303 and page.headers["location"].startswith("/provider/login")
    assert post.status_code in (303, 403)
    assert wrong_state_page.status_code == 409 and "being prepared" in wrong_state_page.text
    assert wrong_state.status_code == 409
    assert unknown_request.status_code == 404
    assert unknown_item.status_code == 404
    assert released.status_code == 422 and "record as released" in released.text
    assert other_language.status_code == 404
    assert empty.status_code == 422 and "The text is missing: fill it in." in empty.text
    assert "Coming to group" in empty.text  # what staff typed is still in the form
    assert too_long.status_code == 422 and "at most 200 characters" in too_long.text
    assert no_csrf.status_code == 403
    assert await _versions(app) == []



async def test_the_live_meter_gives_the_reading_level_of_a_text_as_it_is_typed(app, client):
    url = "/provider/requests/BFF-2026-000001/prepare/reading-level"
    anonymous = await client.post(url, json={"text": "You came to the group.", "register": "child"})
    csrf = await sign_in(client)
    typed = "You came to the group on Monday. You liked the games. You want to come back."

    easy = await client.post(url, json={"text": typed, "register": "child"}, headers={"X-CSRF-Token": csrf})
    hard = await client.post(url, json={"text": "Comprehensive documentation regarding participation "
                                                "characteristics necessitates consideration.", "register": "child"},
                             headers={"X-CSRF-Token": csrf})
    forged = await client.post(url, json={"text": typed, "register": "child"})
    wrong = await client.post(url, json={"text": typed, "register": "baby"}, headers={"X-CSRF-Token": csrf})

    assert anonymous.status_code == 401
    assert easy.json()["word"] == "OK" and easy.json()["aim"] == 4
    assert hard.json()["word"] == "Too hard"
    assert (forged.status_code, wrong.status_code) == (403, 422)
