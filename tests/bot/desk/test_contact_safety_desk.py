"""A family in danger, from the web chat to the provider desk and back: the family is answered at once, staff
see the request urgent and first with how to reach the family, and a reply written on the desk reaches the
family's web chat through the outbox. An empty or over-long reply, or one without the form's token, is
refused and sends nothing."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.desk.people import REPLY_LIMIT
from bot.models import ChatLink, ContactReply, ContactRequest, Notification
from tests.bot.desk.provider_desk_support import HTML, post_form, sign_in

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
CHAT = {"X-Tono-Chat": "1"}


async def _turn(family: httpx.AsyncClient, **body) -> dict:
    response = await family.post("/chat/turn", json=body, headers=CHAT)
    assert response.status_code == 200, response.text
    return response.json()


async def _press(family: httpx.AsyncClient, said: dict, label: str) -> dict:
    for message in said["messages"]:
        for button in (b for row in message["buttons"] for b in row):
            if label in button["label"]:
                screen, action = button["token"].split(":", 1)
                return await _turn(family, kind="button", screen=int(screen), action=action)
    raise AssertionError(f"no button {label!r}")


@pytest.fixture
async def family(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tono.test") as chat:
        await chat.get("/chat/")
        yield chat


async def _asks_for_a_person(family: httpx.AsyncClient, note: str) -> dict:
    said = await _turn(family, kind="command", command="start")
    said = await _press(family, said, "Not now")
    said = await _press(family, said, "Talk to a person")
    return await _turn(family, kind="text", text=note)


async def _an_ordinary_request_waiting_already(app) -> None:
    async with app.state.sessions.begin() as session:
        chat = ChatLink(channel="telegram", chat_key="earlier-family")
        session.add(chat)
        await session.flush()
        session.add(ContactRequest(chat_link_id=chat.id, note="Please ring me after 3pm"))


async def _urgent_contact(app) -> ContactRequest:
    async with app.state.sessions() as session:
        return (await session.exec(select(ContactRequest).where(ContactRequest.urgent))).one()


async def _notifications(app) -> int:
    async with app.state.sessions() as session:
        return (await session.exec(select(func.count()).select_from(Notification))).one()


async def test_a_family_in_danger_in_the_web_chat_is_answered_at_once_and_comes_first_on_the_desk(app, client,
                                                                                               family):
    await _an_ordinary_request_waiting_already(app)

    said = await _asks_for_a_person(family, "I don't feel safe at home. Please help")
    await sign_in(client)
    page = (await client.get("/provider/", headers=HTML)).text

    first = said["messages"][0]["html"]
    assert first.startswith("If you or someone with you is in danger now, call 111.")
    assert "1737" in first and "0800 733 843" in first
    assert "within 2 working days" in said["messages"][1]["html"], "the usual thanks still follows"
    assert "1 urgent." in page and "Urgent: words of danger" in page
    assert page.index("I don&#39;t feel safe at home") < page.index("Please ring me after 3pm"), "urgent first"
    assert "How to reach them:" in page and "the web chat (they see a reply while it is open" in page
    assert "their Telegram chat (a reply arrives at once)" in page  # the earlier family's way


async def test_staff_reply_from_the_desk_reaches_the_familys_web_chat_through_the_outbox(app, client, family):
    await _asks_for_a_person(family, "I want to die")
    contact = await _urgent_contact(app)
    csrf = await sign_in(client)

    sent = await post_form(client, f"/provider/contacts/{contact.id}/reply", csrf,
                           reply="Kia ora, this is Hana from CCSS. I will ring you at 2pm today.")
    queue = (await client.get("/provider/", headers=HTML)).text
    updates = (await family.get("/chat/updates", headers=CHAT)).json()

    assert sent.status_code == 303 and "Your reply is on its way to the family&#39;s chat." in queue
    assert "I will ring you at 2pm today." in queue.split("Replied", 1)[1]
    [message] = updates["messages"]
    assert message["html"].startswith("A worker at CCSS has written to you:")
    assert "this is Hana from CCSS. I will ring you at 2pm today." in message["html"]
    async with app.state.sessions() as session:
        [kept] = await session.exec(select(ContactReply))
    assert kept.contact_request_id == contact.id


@pytest.mark.parametrize(("reply", "sentence"), [
    ("", "The reply was empty, so nothing was sent."),
    ("   \n ", "The reply was empty, so nothing was sent."),
    ("x" * (REPLY_LIMIT + 1), f"The reply is {REPLY_LIMIT + 1} characters long"),
])
async def test_an_empty_or_over_long_reply_is_refused_with_a_sentence_and_nothing_is_sent(app, client, family,
                                                                                         reply, sentence):
    await _asks_for_a_person(family, "he hits me")
    contact = await _urgent_contact(app)
    csrf = await sign_in(client)
    before = await _notifications(app)

    refused = await post_form(client, f"/provider/contacts/{contact.id}/reply", csrf, reply=reply)
    queue = (await client.get("/provider/", headers=HTML)).text

    assert refused.status_code == 303 and sentence in queue
    assert await _notifications(app) == before
    assert (await family.get("/chat/updates", headers=CHAT)).json()["messages"] == []


async def test_a_reply_without_the_forms_token_is_refused(app, client, family):
    await _asks_for_a_person(family, "he hits me")
    contact = await _urgent_contact(app)
    await sign_in(client)

    forged = await client.post(f"/provider/contacts/{contact.id}/reply", headers=HTML, data={"reply": "Hello"})

    assert forged.status_code == 403
    assert (await family.get("/chat/updates", headers=CHAT)).json()["messages"] == []


async def test_a_reply_to_a_request_already_marked_done_is_refused_and_sends_nothing(app, client, family):
    await _asks_for_a_person(family, "he hits me")
    contact = await _urgent_contact(app)
    csrf = await sign_in(client)
    await post_form(client, f"/provider/contacts/{contact.id}/done", csrf)

    late = await post_form(client, f"/provider/contacts/{contact.id}/reply", csrf, reply="Hello")

    assert late.status_code == 303
    assert "already marked done, so nothing was sent" in (await client.get("/provider/", headers=HTML)).text
    assert (await family.get("/chat/updates", headers=CHAT)).json()["messages"] == []


async def test_the_api_lists_the_urgent_request_first_and_says_it_is_urgent(app, client, family):
    await _an_ordinary_request_waiting_already(app)
    await _asks_for_a_person(family, "I want to kill myself")
    await sign_in(client)

    listed = (await client.get("/provider/api/contacts", headers={"Accept": "application/json"})).json()

    assert [(c["note"], c["urgent"]) for c in listed] == [("I want to kill myself", True),
                                                          ("Please ring me after 3pm", False)]
