"""The web chat shows the picture of a request's steps inline with its words, only to the chat it belongs to;
speaks its own page words in the chat's language; and marks the buttons whose turn is slow."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlmodel import select

from bot.flows.status_picture import SIZE
from bot.models import Request
from bot.requests import delivery
from tests.bot.test_webchat import HEADERS, _at_the_summary, _press, _turn, web  # noqa: F401

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


async def _submitted(client) -> dict:
    said = await _at_the_summary(client)
    await _press(client, said, "Send my request")
    return await _turn(client, kind="command", command="status")


async def test_the_status_picture_is_shown_inline_with_its_words(web):  # noqa: F811
    client, _app = web
    said = await _submitted(client)

    said = await _press(client, said, "Show it as a picture")

    [message] = said["messages"]
    assert message["html"] == "Request BFF-2026-000001, step by step"
    assert message["picture"] == "pictures/BFF-2026-000001-en-adult.png"
    assert message["alt"].startswith("A picture of the steps of request BFF-2026-000001. Sent: done on ")
    assert "Checked by CCSS: happening now." in message["alt"]
    picture = await client.get(f"/chat/{message['picture']}")
    assert picture.status_code == 200
    assert picture.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(picture.content)).size == SIZE


@pytest.mark.parametrize("name", ["BFF-2026-000001-en-adult.png", "BFF-2026-000001-fr-adult.png",
                                  "../BFF-2026-000001-en-adult.png", "BFF-2026-000001-en-adult.pdf"])
async def test_a_picture_of_another_chats_request_is_not_found(web, name):  # noqa: F811
    client, app = web
    await _submitted(client)
    client.cookies.clear()
    await client.get("/chat/")  # a new chat, with a cookie of its own

    response = await client.get(f"/chat/pictures/{name}")

    assert response.status_code == 404


async def test_the_page_words_follow_the_chats_language_and_the_buttons_of_this_screen_stay_usable(web):  # noqa: F811
    client, _app = web
    await client.get("/chat/")
    said = await _turn(client, kind="command", command="start")
    said = await _press(client, said, "Not now")
    assert said["words"]["send"] == "Send"
    assert all(b["token"].startswith(f"{said['screen']}:") for m in said["messages"] for row in m["buttons"]
               for b in row)

    said = await _press(client, said, "English / te reo Māori")
    said = await _press(client, said, "Te reo Māori")

    assert said["language"] == "mi"
    assert said["words"]["send"] == "Tukuna"
    assert said["words"]["typing"] == "Kei te patopato a Tono…"


async def test_the_button_that_makes_the_copies_says_it_is_slow_work(web):  # noqa: F811
    client, app = web
    await _submitted(client)
    async with app.state.sessions.begin() as session:
        request = (await session.exec(select(Request))).one()
        request.state = "preparing"
        await delivery.deliver(session, request, "kaimahi")

    news = (await client.get("/chat/updates", headers=HEADERS)).json()

    buttons = {b["label"]: b["work"] for m in news["messages"] for row in m["buttons"] for b in row}
    assert buttons == {"Send me the copies": "copies", "Read them with a worker": None}
