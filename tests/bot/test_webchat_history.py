"""The web chat's conversation, kept on the server: a reload shows this chat's own newest messages (and no one
else's), where it is now, and the text box takes what the server takes."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlmodel import select

from bot.channels.webchat import TurnIn
from bot.chat.chat_limits import ChatLimits
from bot.chat.conversation import Conversations
from bot.chat.history import SHOWN
from bot.flows.chat import TYPED_LIMIT, Incoming
from bot.flows.requests import REQUEST_STEPS
from bot.language.i18n import _, say
from bot.models import ChatLink, Notification
from protocol.agreement import load_agreement
from tests.bot.chat_driver import TODAY
from tests.bot.test_webchat import HEADERS, _press, _token, _turn
from tono.app import create_app
from tono.settings import load_settings

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
SPECIFIC = _("Is there anything in particular you want to see? Type it in your own words, or press Skip.")


@pytest.fixture
async def web(seeded_url, tmp_path):
    settings = load_settings(TONO_DATABASE_URL=seeded_url, TONO_KEYS_DIR=str(tmp_path / "keys"))
    app = create_app(settings, load_agreement(), run_loops=False)
    async with _browser(app) as client:
        yield client, app
    await app.state.engine.dispose()


def _browser(app) -> httpx.AsyncClient:
    """Another browser on the same Tono: its own cookie, so its own chat."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tono.test")


async def _asking(client, typed: str) -> dict:
    """A new web chat that asks what CCSS holds, types what in particular, and is now asked how to get it."""
    await client.get("/chat/")
    said = await _turn(client, kind="command", command="start")
    for label in ("Not now", "What do you hold about me?", "Mine", "CCSS"):
        said = await _press(client, said, label)
    return await _turn(client, kind="text", text=typed)


async def _history(client) -> dict:
    response = await client.get("/chat/history", headers=HEADERS)
    assert response.status_code == 200, response.text
    return response.json()


def _screens(message: dict) -> set[int]:
    return {int(button["token"].split(":")[0]) for row in message["buttons"] for button in row}


async def test_the_history_is_this_chats_own_words_and_no_other_familys(web):
    client, app = web
    async with _browser(app) as other:
        await _asking(client, "My attendance records")
        await _asking(other, "Mere's school reports")

        mine, theirs = await _history(client), await _history(other)

    said = "\n".join(m["html"] for m in mine["messages"])
    assert "My attendance records" in said and "Mere" not in said
    assert "Mere's school reports" in "\n".join(m["html"] for m in theirs["messages"])
    assert "My attendance records" not in "\n".join(m["html"] for m in theirs["messages"])


async def test_a_browser_tono_does_not_know_gets_no_history_and_one_without_the_chat_header_is_refused(web):
    client, app = web
    await _asking(client, "My attendance records")

    async with _browser(app) as stranger:
        await stranger.get("/chat/")
        unknown = await _history(stranger)
        cross_site = await stranger.get("/chat/history")

    assert unknown["messages"] == [] and unknown["screen"] == 0
    assert cross_site.status_code == 403


async def test_the_history_shows_the_familys_words_as_theirs_and_only_the_current_questions_buttons_work(web):
    client, _app = web
    said = await _asking(client, "My attendance records")

    kept = await _history(client)

    messages = kept["messages"]
    assert [m["html"] for m in messages if m["mine"]] == [
        "Not now", "What do you hold about me?", "Mine", "CCSS", "My attendance records"]
    assert messages[-1]["html"] == said["messages"][-1]["html"]  # "How would you like to get it?"
    assert kept["screen"] == said["screen"] and _screens(messages[-1]) == {said["screen"]}
    assert all(old < said["screen"] for m in messages[:-1] for old in _screens(m))  # shown, but do nothing
    screen, action = _token({"messages": messages[-1:]}, "A copy here")
    went_on = await _turn(client, kind="button", screen=screen, action=action)
    assert "urgently" in went_on["messages"][-1]["html"]


async def test_a_reload_does_not_lose_a_request_half_made(web):
    client, _app = web
    await _asking(client, "My attendance records")

    await client.get("/chat/")  # the page again: it asks for the history, and sends nothing
    kept = await _history(client)
    said = await _press(client, {"messages": kept["messages"][-1:]}, "A copy here")
    said = await _press(client, said, "No")
    said = await _turn(client, kind="text", text="Hemi Walker")

    assert "My attendance records" in said["messages"][-1]["html"]
    said = await _press(client, said, "Send my request")
    assert "Your request is sent" in said["messages"][0]["html"]


async def test_a_chat_keeps_only_its_newest_messages(sessions):
    conversations = Conversations(sessions, load_agreement(), today=lambda: TODAY)
    conversations.keep_history("web")
    conversations.chat_limits = ChatLimits(turns=10_000)
    said = await conversations.handle("web", "many-turns", Incoming("command", command="start"))
    said = await conversations.handle("web", "many-turns", Incoming("button", action="no", screen=said.screen))
    for _n in range(SHOWN):  # each press says something and shows the question again
        said = await conversations.handle("web", "many-turns", Incoming("button", action="help",
                                                                         screen=said.screen))

    kept = await conversations.history("web", "many-turns")

    assert len(kept.messages) == SHOWN
    assert kept.messages[-1][1].screen == said.screen
    async with sessions() as session:
        link = (await session.exec(select(ChatLink).where(ChatLink.chat_key == "many-turns"))).one()
        rows = (await session.exec(select(Notification).where(Notification.chat_link_id == link.id))).all()
    assert len(rows) == SHOWN


async def test_an_enrolment_code_is_never_kept_as_the_familys_words(web):
    client, app = web
    await client.get("/chat/")

    await _turn(client, kind="command", command="start", text="a-code-from-ccss")
    await _turn(client, kind="command", command="menu")

    async with app.state.sessions() as session:
        kept = (await session.exec(select(Notification.text))).all()
    assert "a-code-from-ccss" not in str(kept) and {"plain": "/menu"} in kept


async def test_the_text_box_takes_what_the_server_takes(web):
    client, _app = web

    page = await client.get("/chat/")
    said = await _asking(client, "My attendance records")
    said = await _press(client, said, "Back")

    box = int(re.search(r'<input id="text"[^>]* maxlength="(\d+)"', page.text).group(1))
    assert box == TYPED_LIMIT == TurnIn.model_fields["text"].metadata[0].max_length
    assert said["text_limit"] == REQUEST_STEPS["access.specific"].text_limit == 2000
    assert max(step.text_limit for step in REQUEST_STEPS.values()) <= TYPED_LIMIT
    assert said["words"]["full"] == "That is as much as I can take here: 2000 characters."


async def test_text_over_the_limit_is_refused_with_a_sentence_in_te_reo(web):
    client, _app = web
    said = await _asking(client, "My attendance records")
    said = await _turn(client, kind="command", command="language")
    said = await _press(client, said, "Te reo Māori")
    said = await _press(client, said, "Hoki")  # back to "anything in particular?", in te reo

    refused = await _turn(client, kind="text", text="x" * (said["text_limit"] + 1))
    too_long = await client.post("/chat/turn", json={"kind": "text", "text": "x" * (TYPED_LIMIT + 1)},
                                 headers=HEADERS)

    assert refused["messages"][0]["html"] == say(_(
        "That is {length} characters long; I can take up to {limit}. Please make it shorter.",
        length=2001, limit=2000), "mi", "adult")
    assert refused["messages"][-1]["html"] == say(SPECIFIC, "mi", "adult")
    assert refused["words"]["full"] == say(_("That is as much as I can take here: {limit} characters.",
                                             limit=2000), "mi", "adult")
    assert too_long.status_code == 422


async def test_news_the_page_was_handed_is_shown_again_after_a_reload_and_waiting_news_is_left_for_the_page(web):
    from bot.language.i18n import to_json

    client, app = web
    await _asking(client, "My attendance records")
    statement = _("Your statement is now attached to the record, so it is always read with it.")
    async with app.state.sessions.begin() as session:
        link = (await session.exec(select(ChatLink))).one()
        session.add(Notification(chat_link_id=link.id, text=to_json(statement)))

    before = await _history(client)
    await client.get("/chat/updates", headers=HEADERS)
    after = await _history(client)

    assert say(statement, "en", "adult") not in [m["html"] for m in before["messages"]]
    assert after["messages"][-1]["html"] == say(statement, "en", "adult")
    assert after["screen"] == before["screen"]  # news does not move the chat: its question's buttons still work


async def test_what_a_family_typed_comes_back_as_text_never_as_markup(web):
    client, _app = web
    await _asking(client, "<img src=x onerror=alert(1)> my records")

    kept = await _history(client)

    assert "&lt;img src=x onerror=alert(1)&gt; my records" in [m["html"] for m in kept["messages"] if m["mine"]]
    assert "<img" not in "".join(m["html"] for m in kept["messages"])
