"""The web chat held under abuse (issue 17): drawing copies and pictures stalls nobody (items 3), new chats and
requests for a worker are bounded per client and hour (item 4), and every /chat/ answer carries security
headers and is never cached (item 8)."""

from __future__ import annotations

import asyncio
import re
import time

import pytest
from sqlmodel import select

import bot.chat.conversation as conversation
from bot.copies.drawing import Drawing
from bot.models import ChatLink, ContactRequest, Request
from bot.people.welcome_limits import WelcomeLimits
from tests.bot.test_webchat import HEADERS, _press, _turn, web  # noqa: F401
from tests.bot.test_webchat_pictures import _submitted

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
PICTURE = "/chat/pictures/BFF-2026-000001-en-adult.png"


def _slow_pictures(monkeypatch, seconds: float) -> None:
    """Drawing a picture takes `seconds` of CPU-bound work (time.sleep holds its thread, as drawing does)."""
    real = conversation.picture_of

    def slow(*args):
        time.sleep(seconds)
        return real(*args)

    monkeypatch.setattr(conversation, "picture_of", slow)


async def test_healthz_answers_at_once_while_a_picture_is_being_drawn(web, monkeypatch):  # noqa: F811
    client, _app = web
    await _submitted(client)
    _slow_pictures(monkeypatch, 3.0)

    drawing = asyncio.create_task(client.get(PICTURE))
    await asyncio.sleep(0.2)  # the picture is being drawn now (unless the drawing holds the event loop)
    health = await client.get("/healthz")

    # Answered while the picture was still being drawn: an order, not a speed (a timed bound flaked on a loaded
    # machine); a drawing that held the event loop or the database would make /healthz wait for it to finish.
    assert health.status_code == 200 and not drawing.done(), "/healthz waited for the drawing"
    assert (await drawing).status_code == 200


async def test_a_chat_asking_for_a_second_drawing_while_one_is_drawing_is_told_to_wait(web, monkeypatch):  # noqa: F811
    client, _app = web
    await _submitted(client)
    _slow_pictures(monkeypatch, 0.8)

    first = asyncio.create_task(client.get(PICTURE))
    await asyncio.sleep(0.2)
    second = await client.get(PICTURE)

    assert (await first).status_code == 200
    assert second.status_code == 429 and int(second.headers["retry-after"]) >= 1
    assert second.text == "Your picture is still being drawn. Please wait a few seconds, then try again."


async def test_a_drawing_is_remembered_until_what_it_shows_changes(web):  # noqa: F811
    client, app = web
    await _submitted(client)
    app.state.conversations.drawing = drawing = Drawing()

    first, again = (await client.get(PICTURE)).content, (await client.get(PICTURE)).content
    assert (drawing.drawn, drawing.served_from_cache, first == again) == (1, 1, True)

    async with app.state.sessions.begin() as session:  # staff move the request on: the picture must change
        request = (await session.exec(select(Request))).one()
        request.state = "approved"
        session.add(request)
    changed = (await client.get(PICTURE)).content

    assert drawing.drawn == 2 and changed != first


async def test_a_chat_downloading_too_often_is_told_to_wait_before_the_database_is_asked(web, monkeypatch):  # noqa: F811
    client, app = web
    await _submitted(client)
    app.state.conversations.drawing = Drawing(per_minute=2)
    asked = []
    real_link_of = app.state.conversations.link_of
    monkeypatch.setattr(app.state.conversations, "link_of", lambda *a: asked.append(1) or real_link_of(*a))

    answers = [await client.get(PICTURE) for _n in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429] and len(asked) == 2
    assert 1 <= int(answers[2].headers["retry-after"]) <= 60


async def test_new_web_chats_from_one_address_are_limited_per_hour(web):  # noqa: F811
    client, app = web
    app.state.conversations.welcome = WelcomeLimits(new_chats=2)
    said = []
    for _n in range(3):
        client.cookies.clear()
        await client.get("/chat/")
        said.append(await _turn(client, kind="command", command="start"))

    assert "Many new chats have been started from here" in said[2]["messages"][0]["html"]
    async with app.state.sessions() as session:
        assert len((await session.exec(select(ChatLink))).all()) == 2


async def test_requests_for_a_worker_are_limited_per_chat_and_hour_and_the_family_is_told_kindly(web):  # noqa: F811
    client, app = web
    app.state.conversations.welcome = WelcomeLimits(contacts_per_chat=1)
    await client.get("/chat/")
    said = await _turn(client, kind="command", command="start")
    said = await _press(client, said, "Not now")
    answers = []
    for note in ("Please ring me", "Buy cheap pills at spam.example"):
        said = await _press(client, await _turn(client, kind="command", command="menu"), "Talk to a person")
        answers.append(await _turn(client, kind="text", text=note))

    assert "will get in touch with you within 2 working days" in answers[0]["messages"][0]["html"]
    assert "so I have not added another one" in answers[1]["messages"][0]["html"]
    async with app.state.sessions() as session:
        assert [c.note for c in (await session.exec(select(ContactRequest))).all()] == ["Please ring me"]


async def test_the_chat_page_runs_only_its_own_script_and_style_and_cannot_be_framed(web):  # noqa: F811
    client, _app = web

    page = await client.get("/chat/?start=SECRETCODE")

    policy = page.headers["content-security-policy"]
    [nonce] = set(re.findall(r'<(?:script|style) nonce="([^"]+)"', page.text))
    assert f"script-src 'nonce-{nonce}'" in policy and f"style-src 'nonce-{nonce}'" in policy
    assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "no-referrer"  # the code in ?start= never leaves in a Referer
    assert page.headers["x-content-type-options"] == "nosniff"
    assert nonce not in (await client.get("/chat/")).text  # a new nonce for every page


async def test_news_and_turns_are_never_kept_in_a_cache(web):  # noqa: F811
    client, _app = web
    await client.get("/chat/")

    turn = await client.post("/chat/turn", json={"kind": "command", "command": "start"}, headers=HEADERS)
    news = await client.get("/chat/updates", headers=HEADERS)

    assert turn.headers["cache-control"] == "no-store" and news.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in news.headers["content-security-policy"]
