"""The web chat at /chat/: the same flows over one JSON endpoint, guarded against other sites."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import select

from bot.models import Request
from protocol.agreement import load_agreement
from tono.app import create_app
from tono.settings import load_settings

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
HEADERS = {"X-Tono-Chat": "1"}


@pytest.fixture
async def web(seeded_url, tmp_path):
    settings = load_settings(TONO_DATABASE_URL=seeded_url, TONO_KEYS_DIR=str(tmp_path / "keys"))
    app = create_app(settings, load_agreement(), run_loops=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tono.test") as client:
        yield client, app
    await app.state.engine.dispose()


async def _turn(client, **body) -> dict:
    response = await client.post("/chat/turn", json=body, headers=HEADERS)
    assert response.status_code == 200, response.text
    return response.json()


def _token(said: dict, label: str) -> tuple[int, str]:
    for message in said["messages"]:
        for row in message["buttons"]:
            for button in row:
                if label in button["label"]:
                    screen, action = button["token"].split(":", 1)
                    return int(screen), action
    raise AssertionError(f"no button {label!r}")


async def _press(client, said: dict, label: str) -> dict:
    screen, action = _token(said, label)
    return await _turn(client, kind="button", screen=screen, action=action)


async def test_the_chat_page_sets_a_private_cookie_and_speaks_the_browsers_language(web):
    client, _app = web

    page = await client.get("/chat/", headers={"Accept-Language": "mi-NZ,mi;q=0.9"})

    assert page.status_code == 200
    assert '<html lang="mi">' in page.text
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


async def _at_the_summary(client) -> dict:
    """A new web chat taken through an access request about CCSS to its summary, ready to send."""
    await client.get("/chat/")
    said = await _turn(client, kind="command", command="start")
    said = await _press(client, said, "Not now")
    for label in ("What do you hold about me?", "Mine", "CCSS", "Skip", "A copy here", "No"):
        said = await _press(client, said, label)
    return await _turn(client, kind="text", text="Hemi Walker")


async def test_a_family_makes_a_request_in_the_web_chat(web, seeded_url):
    client, app = web
    said = await _at_the_summary(client)
    said = await _press(client, said, "Send my request")

    assert "Your request is sent" in said["messages"][0]["html"]
    async with app.state.sessions() as session:
        [request] = await session.exec(select(Request))
    assert (request.state, request.requester_name) == ("submitted", "Hemi Walker")


async def test_a_turn_without_the_chat_header_is_refused_as_cross_site(web):
    client, _app = web
    await client.get("/chat/")

    response = await client.post("/chat/turn", json={"kind": "command", "command": "start"})

    assert response.status_code == 403


async def test_a_turn_without_the_chat_cookie_is_refused(web):
    client, _app = web

    response = await client.post("/chat/turn", json={"kind": "command", "command": "start"}, headers=HEADERS)

    assert response.status_code == 403
    assert "open /chat/ first" in response.text


@pytest.mark.parametrize("body", [
    {"kind": "shout"},
    {"kind": "text", "text": "x" * 20_001},
    {"kind": "button", "screen": "one", "action": "menu"},
    {"kind": "button", "screen": 1, "action": "a" * 65},
    {"kind": "command", "command": "start; rm -rf"},
])
async def test_malformed_turns_get_a_clear_422(web, body):
    client, _app = web
    await client.get("/chat/")

    response = await client.post("/chat/turn", json=body, headers=HEADERS)

    assert response.status_code == 422
    assert response.json()["detail"]


async def test_the_telegram_webhook_is_closed_without_a_public_url(web):
    client, _app = web

    response = await client.post("/telegram/webhook", json={"update_id": 1})

    assert response.status_code == 404


async def test_news_from_tono_waits_for_the_page_and_is_handed_over_once(web):
    from bot.language.i18n import _, to_json
    from bot.models import ChatLink, Notification

    client, app = web
    await client.get("/chat/")
    await _turn(client, kind="command", command="start")
    async with app.state.sessions.begin() as session:
        link = (await session.exec(select(ChatLink))).one()
        session.add(Notification(chat_link_id=link.id, text=to_json(_("Your statement is now attached to the "
                                                                        "record, so it is always read with it."))))

    first = (await client.get("/chat/updates", headers=HEADERS)).json()
    second = (await client.get("/chat/updates", headers=HEADERS)).json()

    assert [m["html"] for m in first["messages"]] == [
        "Your statement is now attached to the record, so it is always read with it."]
    assert second["messages"] == []


@pytest.mark.parametrize("name", ["../../etc/passwd", "BFF-2026-000001-fr-adult.pdf", "x.pdf",
                                  "BFF-2026-000001-en-adult.pdf"])
async def test_a_copy_that_is_not_this_chats_is_not_found(web, name):
    client, _app = web
    await client.get("/chat/")

    response = await client.get(f"/chat/copies/{name}")

    assert response.status_code == 404


async def test_a_repeated_web_chat_post_changes_nothing_the_second_time(web):
    client, app = web
    said = await _at_the_summary(client)
    screen, action = _token(said, "Send my request")
    body = {"kind": "button", "screen": screen, "action": action, "turn": "a-repeated-turn-0001"}

    first = await client.post("/chat/turn", json=body, headers=HEADERS)
    again = await client.post("/chat/turn", json=body, headers=HEADERS)

    assert "Your request is sent" in first.json()["messages"][0]["html"]
    assert again.json()["messages"] == []
    async with app.state.sessions() as session:
        assert len((await session.exec(select(Request))).all()) == 1
