"""Hostile input, surface by surface: one row for each thing an attacker (or a broken client) sends, with
the clear refusal they get back and proof that nothing was stored or changed.

Surfaces: the family chat (the flows, and the web chat over HTTP), the provider desk's forms and
/provider/api, the agency desk's forms and /agency/api, and the protocol's receiver. Kinds of input:
oversized, malformed JSON, wrong signatures, replays, SQL and HTML injection, path tricks in file names,
forged buttons, session fixation, CSRF, enrolment-code guessing, floods, and control characters (a NUL
is refused by PostgreSQL, so those rows run on both databases).

Deeper suites for some rows live beside their code: tests/bot/test_family_flows.py (typed answers),
tests/bot/test_telegram_channel.py (forged callback data over real aiogram), tests/deskkit (CSRF,
sessions, sign-in throttle), tests/*/desk/*_bad_input.py, tests/protocol/test_receiving.py.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import delete, func, update
from sqlmodel import select

from agency.models import AgencyEvent, AgencyRequest
from bot.chat.chat_limits import SLOW_DOWN, ChatLimits
from bot.language.i18n import say
from bot.models import ChatLink, Person, Request, RequestEvent
from bot.people.enrolment import issue_code
from bot.requests import staff
from deskkit.csrf import REFUSED
from deskkit.login import EXPIRED_FORM, WRONG
from deskkit.middleware import ODD_ADDRESS
from deskkit.throttle import RateLimit
from protocol.clock import nz_today
from protocol.messages import Envelope, canonical_json, new_message
from protocol.queue import ReceiptStatus
from protocol.receiving import MAX_MESSAGE_BYTES
from protocol.signing import sign
from tests.bot.chat_driver import FamilyChat
from tests.security.hostile_support import (
    CHAT_BOOKKEEPING,
    ESCAPED_SCRIPT,
    HTML,
    JSON,
    SCRIPT,
    SQL_INJECTION,
    Desk,
    browser,
    csrf_in,
    fingerprint,
    table_exists,
)
from tono.verify import broken_chains

# Every row runs on SQLite and on PostgreSQL (see conftest.py), against one app per database.
pytestmark = pytest.mark.asyncio(loop_scope="module")


# --- The family chat, through the flows ------------------------------------------------------------------

@dataclass(frozen=True)
class ChatRow:
    hostile: str  # what is sent, in words (the test's id)
    send: Callable[[FamilyChat], Awaitable[object]]
    answer: str  # what the family reads back, in a message or in the note on the button
    at_a_question: bool = False  # sent where Tono waits for typed words ("Which information is wrong?")


CHAT_ROWS = [
    ChatRow("2,001 characters where 2,000 fit", lambda c: c.send("x" * 2001),
            "That is 2001 characters long; I can take up to 2000. Please make it shorter.", at_a_question=True),
    ChatRow("only control characters", lambda c: c.send("\x00\x07\x1b"),
            "That message was empty. Please type your answer, or press Back.", at_a_question=True),
    ChatRow("a photo where words are asked for", lambda c: c.media("photo"),
            "I can only read typed words and button presses here.", at_a_question=True),
    ChatRow("a button from an earlier screen", lambda c: c.press_action("send", screen=c.said.screen - 1),
            "That button is from an earlier message, so it does nothing now."),
    ChatRow("a forged button with a NUL in it", lambda c: c.press_action("clarify:BFF\x00"),
            "That button does nothing here."),
    ChatRow("a forged button longer than Telegram's 64 bytes", lambda c: c.press_action("person:" + "9" * 80),
            "That button does nothing here."),
    ChatRow("a forged notice button for a stranger's question", lambda c: c.press_action("clarify:BFF-2026-000001", 0),
            "That question has already been answered, or it is not for this chat."),
    ChatRow("a forged notice button for a stranger's copies", lambda c: c.press_action("copies:BFF-2026-000001", 0),
            "Those copies are not ready for this chat."),
    ChatRow("a forged notice button with SQL in it", lambda c: c.press_action(f"copies:{SQL_INJECTION}", 0),
            "Those copies are not ready for this chat."),
    ChatRow("a notice button of a kind that does not exist", lambda c: c.press_action("../../etc:passwd", 0),
            "That button does nothing here."),
    ChatRow("an unknown command", lambda c: c.command("drop_table", SQL_INJECTION),
            "I don't know that command. Here is what I can do."),
]


async def _enrolled(new_chat, sessions, person_ref: str = "P-0001") -> FamilyChat:
    async with sessions.begin() as session:
        person = (await session.exec(select(Person).where(Person.ref == person_ref))).one()
        code = await issue_code(session, person)
    chat = new_chat()
    await chat.command("start", code)
    await chat.press("Not now")
    return chat


def _read(chat: FamilyChat) -> str:
    """Everything the family sees after the last turn: the messages and the note on a pressed button."""
    note = say(chat.said.notice, chat.said.language, chat.said.register) if chat.said.notice else ""
    return chat.all_text + "\n" + note


@pytest.mark.parametrize("row", CHAT_ROWS, ids=[r.hostile for r in CHAT_ROWS])
async def test_hostile_input_in_the_family_chat_gets_a_clear_answer_and_changes_nothing(new_chat, sessions, row):
    chat = await _enrolled(new_chat, sessions)
    await chat.press("Something is wrong")
    if row.at_a_question:
        await chat.press("Mine")
        await chat.press("CCSS")
    before = await fingerprint(sessions, skip=CHAT_BOOKKEEPING)

    await row.send(chat)

    assert row.answer in _read(chat)
    assert await fingerprint(sessions, skip=CHAT_BOOKKEEPING) == before


async def test_sql_and_html_typed_in_the_chat_are_kept_as_typed_and_shown_escaped(new_chat, sessions):
    chat = await _enrolled(new_chat, sessions)
    for label in ("Something is wrong", "Mine", "CCSS"):
        await chat.press(label)

    await chat.send(SQL_INJECTION)
    await chat.send(SCRIPT)

    assert "&lt;script&gt;alert('tono')&lt;/script&gt;" in chat.last and SCRIPT not in chat.last
    await chat.press("Send my request")
    async with sessions() as session:
        [request] = (await session.exec(select(Request).join(ChatLink, ChatLink.id == Request.chat_link_id)
                                        .where(ChatLink.chat_key == chat.key))).all()
    assert (request.correction_what, request.correction_should_say) == (SQL_INJECTION, SCRIPT)
    assert await table_exists(sessions, "provider_request")


async def test_guessing_enrolment_codes_is_slowed_down_then_refused_even_for_the_right_code(new_chat, sessions):
    chat = new_chat()
    guesses = ["../../etc/passwd", SQL_INJECTION, "x" * 65, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "\x00"]
    answers = []
    for guess in guesses:
        await chat.command("start", guess)
        answers.append(chat.all_text)
    async with sessions.begin() as session:
        code = await issue_code(session, (await session.exec(select(Person).where(Person.ref == "P-0001"))).one())

    await chat.command("start", code)

    assert all("Sorry, I don't recognise that link." in answer for answer in answers)
    assert "Too many codes were tried from this chat. Please wait 1 minutes" in chat.all_text
    async with sessions() as session:
        link = (await session.exec(select(ChatLink).where(ChatLink.chat_key == chat.key))).one()
    assert link.person_id is None


async def test_a_chat_sending_too_fast_is_told_once_to_slow_down_and_its_turns_wait(tono, new_chat, sessions):
    clock, conversations = FakeClock(), tono.state.conversations
    conversations.chat_limits = ChatLimits(turns=20, seconds=10, clock=clock)
    try:
        chat = await _enrolled(new_chat, sessions)  # 2 turns
        for _ in range(18):
            await chat.command("menu")
        screen, action = chat.said.screen, chat.action("Something is wrong")

        told = await chat.press("Something is wrong")
        again = await chat.send("hello?")
        clock.now += 10
        served = await chat.press_action(action, screen=screen)
    finally:
        conversations.chat_limits = ChatLimits()

    assert [say(r.text, "en", "adult") for r in told.replies] == [say(SLOW_DOWN, "en", "adult")]
    assert say(told.notice, "en", "adult") == say(SLOW_DOWN, "en", "adult")  # the button's note: buttons stay
    assert (again.replies, again.notice) == ([], None)
    assert "Whose information is wrong?" in chat.all_text and served.screen == screen + 1


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- The web chat over HTTP ------------------------------------------------------------------------------

CHAT_HEADERS = {"X-Tono-Chat": "1", **JSON}


@dataclass(frozen=True)
class HttpRow:
    hostile: str
    method: str
    path: str
    status: int
    answer: str  # in the body the caller gets back
    body: bytes | None = None
    headers: dict | None = None


WEB_CHAT_ROWS = [
    HttpRow("a turn that is not JSON", "POST", "/chat/turn", 422, "JSON decode error", b"{nope", CHAT_HEADERS),
    HttpRow("a turn of an unknown kind", "POST", "/chat/turn", 422, "kind", b'{"kind": "sql"}', CHAT_HEADERS),
    HttpRow("5,001 characters of text (the longest any step takes is 5000)", "POST", "/chat/turn", 422,
            "at most 5000 characters", b'{"kind": "text", "text": "' + b"x" * 5_001 + b'"}', CHAT_HEADERS),
    HttpRow("a turn posted by another site (no X-Tono-Chat header)", "POST", "/chat/turn", 403,
            "X-Tono-Chat header missing", b'{"kind": "command", "command": "start"}', JSON),
    HttpRow("a command with shell in it", "POST", "/chat/turn", 422, "command",
            b'{"kind": "command", "command": "start; rm -rf /"}', CHAT_HEADERS),
    HttpRow("a turn id with SQL in it", "POST", "/chat/turn", 422, "turn",
            b'{"kind": "command", "command": "menu", "turn": "1\'; DROP TABLE x; --"}', CHAT_HEADERS),
    HttpRow("a copy name climbing out of its folder", "GET", "/chat/copies/..%2F..%2Fetc%2Fpasswd", 404, "Not Found"),
    HttpRow("a copy name with a NUL and another extension", "GET", "/chat/copies/BFF-2026-000001-en-adult.pdf%00.txt",
            400, "This address has a control character"),
    HttpRow("a copy name that splits the response header", "GET",
            "/chat/copies/BFF-2026-000001-en-adult.pdf%0d%0aSet-Cookie:%20tono_chat=planted", 400,
            "This address has a control character"),
    HttpRow("another family's copy", "GET", "/chat/copies/BFF-2026-000001-en-adult.pdf", 404,
            "There is no such copy for this chat."),
]


async def _send(client, row: HttpRow):
    return await client.request(row.method, row.path, content=row.body, headers=row.headers)


@pytest.mark.parametrize("row", WEB_CHAT_ROWS, ids=[r.hostile for r in WEB_CHAT_ROWS])
async def test_hostile_web_chat_requests_are_refused_clearly_and_change_nothing(tono, sessions, row):
    async with browser(tono) as client:
        await client.get("/chat/")
        before = await fingerprint(sessions)

        response = await _send(client, row)

    assert response.status_code == row.status, response.text
    assert row.answer in response.text
    assert "set-cookie" not in response.headers
    assert await fingerprint(sessions) == before


async def test_a_forged_web_chat_button_gets_the_buttons_note_and_changes_nothing(tono, sessions):
    async with browser(tono) as client:
        await client.get("/chat/")
        await client.post("/chat/turn", json={"kind": "command", "command": "start"}, headers=CHAT_HEADERS)
        before = await fingerprint(sessions, skip=CHAT_BOOKKEEPING)

        response = await client.post("/chat/turn", json={"kind": "button", "screen": 0, "action": "clarify:A\x00"},
                                     headers=CHAT_HEADERS)

    assert response.status_code == 200
    assert response.json()["notice"] == "That button does nothing here."
    assert await fingerprint(sessions, skip=CHAT_BOOKKEEPING) == before


async def test_a_start_code_with_html_is_shown_escaped_on_the_chat_page(tono):
    async with browser(tono) as client:
        page = await client.get("/chat/", params={"start": SCRIPT})

    assert page.status_code == 200
    assert SCRIPT not in page.text


async def test_a_web_chat_body_over_256_kb_is_refused_before_it_is_read(tono):
    async with browser(tono) as client:
        await client.get("/chat/")
        response = await client.post("/chat/turn", content=b" " * (2 * 1024 * 1024), headers=CHAT_HEADERS)

    assert response.status_code == 413


async def test_a_web_chat_cookie_planted_before_enrolment_is_replaced_once_the_chat_is_linked(tono, sessions):
    planted = "planted-by-someone-else-0123456789abcdef"
    async with sessions.begin() as session:
        code = await issue_code(session, (await session.exec(select(Person).where(Person.ref == "P-0001"))).one())
    async with browser(tono) as client:
        client.cookies.set("tono_chat", planted, domain="tono.test", path="/chat")
        await client.get("/chat/")
        linked = await client.post("/chat/turn", json={"kind": "command", "command": "start", "text": code},
                                   headers=CHAT_HEADERS)

    assert "Kia ora Aroha" in linked.text
    assert f"tono_chat={planted}" not in linked.headers.get("set-cookie", f"tono_chat={planted}")


# --- The desks: forms, pages and JSON APIs -----------------------------------------------------------------

@dataclass(frozen=True)
class DeskRow:
    hostile: str
    send: Callable[[Desk], Awaitable[object]]
    status: int
    answer: str | dict[str, str]  # the same at both desks, or by side


def form(path: str, csrf: str | None = None, **fields):
    """A form post from the signed-in browser (with the given token, or none)."""
    data = {**fields, **({"csrf": csrf} if csrf is not None else {})}
    return lambda d: d.client.post(path.format(side=d.side), data=data, headers=HTML)


def token_form(**fields):
    return lambda d: d.client.post(f"/{d.side}/tokens", data={"csrf": d.csrf, **fields}, headers=HTML)


def big_form(megabytes: int, chunked: bool = False):
    async def send(d: Desk):
        body = b"csrf=" + d.csrf.encode() + b"&label=" + b"x" * (megabytes * 1024 * 1024)
        content = _chunks(body) if chunked else body
        return await d.client.post(f"/{d.side}/tokens", content=content, headers={
            **HTML, "Content-Type": "application/x-www-form-urlencoded"})
    return send


async def _chunks(body: bytes):
    for start in range(0, len(body), 256 * 1024):
        yield body[start:start + 256 * 1024]


def sign_in_as(login: str, password: str = "not-the-password", csrf: str | None = None):
    async def send(d: Desk):
        page = await d.anonymous.get(f"/{d.side}/login", headers=HTML)
        token = csrf_in(page) if csrf is None else csrf
        return await d.anonymous.post(f"/{d.side}/login", data={"login": login, "password": password, "csrf": token},
                                      headers=HTML)
    return send


def get(path: str, *, bearer: bool = False):
    return lambda d: d.client.get(path.format(side=d.side), headers=d.bearer if bearer else HTML)


def api(method: str, path: str, *, body: bytes | None = None, bearer: dict | None = None):
    return lambda d: d.anonymous.request(method, path.format(side=d.side), content=body,
                                         headers={**JSON, **(d.bearer if bearer is None else bearer)})


DESK_ROWS = [  # each runs at both desks: "{side}" is provider or agency
    DeskRow("a form without its CSRF token", form("/{side}/tokens", label="tool"), 403, REFUSED),
    DeskRow("a form with a made-up CSRF token", form("/{side}/tokens", "0" * 64, label="tool"), 403, REFUSED),
    DeskRow("a sign-in form without its token", sign_in_as("kaimahi", csrf=""), 403, EXPIRED_FORM),
    DeskRow("a sign-in with SQL for a login", sign_in_as(SQL_INJECTION), 401, WRONG),
    DeskRow("a sign-in with a NUL in the login", sign_in_as("kaimahi\x00"), 401, WRONG),
    DeskRow("a form of 2 MB", big_form(2), 413, "What was sent is too large: at most 1 MB can be sent at a time."),
    DeskRow("a form of 2 MB sent in pieces without its length", big_form(2, chunked=True), 413,
            "What was sent is too large: at most 1 MB can be sent at a time."),
    DeskRow("a token label with a NUL in it", token_form(label="case\x00system"), 422, {
        "provider": "The label has a control character (such as NUL)", "agency": "Name the token in plain words"}),
    DeskRow("a NUL in the address", get("/{side}/tokens%00"), 400, ODD_ADDRESS),
    DeskRow("a NUL in a query", get("/{side}/?page=1%00"), 400, ODD_ADDRESS),
    DeskRow("a stylesheet path climbing out of its folder", get("/{side}/static/deskkit/..%2F..%2Fdesk.py"), 404,
            "Not Found"),
]

PROVIDER_API_ROWS = [
    DeskRow("a change without a token", lambda d: d.client.post("/provider/api/requests/BFF-2026-000001/relay"),
            401, "Changes through the API need an API token"),
    DeskRow("a made-up token", api("GET", "/provider/api/people", bearer={
        "Authorization": "Bearer tono_staff_" + "A" * 43}), 401, "This API token is not valid"),
    DeskRow("SQL for a token", api("GET", "/provider/api/people", bearer={"Authorization": f"Bearer {SQL_INJECTION}"}),
            401, "This API token is not valid"),
    DeskRow("a body that is not JSON", api("POST", "/provider/api/people", body=b"{nope"), 422,
            "The body is not valid JSON."),
    DeskRow("a body of 2 MB", api("POST", "/provider/api/people", body=b" " * (2 * 1024 * 1024)), 413,
            "at most 1 MB can be sent at a time"),
    DeskRow("a name of 101 characters", api("POST", "/provider/api/people", body=(
        b'{"new_family_name": "Ngata", "given_name": "' + b"H" * 101 + b'", "family_name": "Ngata"}')), 422,
            "The given name is too long: at most 100 characters."),
    DeskRow("a NUL in a name", api("POST", "/provider/api/people", body=(
        b'{"new_family_name": "Ngata", "given_name": "Hi\\u0000ne", "family_name": "Ngata"}')), 422,
            "The given name has a control character (such as NUL)"),
    DeskRow("a request reference with SQL in it", api("GET", "/provider/api/requests/x'%20OR%20'1'='1"), 404,
            "There is no request"),
    DeskRow("a NUL in a search", api("GET", "/provider/api/people?q=a%00b"), 400, ODD_ADDRESS),
]

AGENCY_API_ROWS = [
    DeskRow("a call without a token", api("GET", "/agency/api/tasks", bearer={}), 401, "Send your agency API token"),
    DeskRow("a made-up token", api("GET", "/agency/api/tasks", bearer={"Authorization": "Bearer " + "A" * 43}),
            401, "That API token is not valid"),
    DeskRow("SQL for a token", api("GET", "/agency/api/tasks", bearer={"Authorization": f"Bearer {SQL_INJECTION}"}),
            401, "That API token is not valid"),
    DeskRow("a body that is not JSON", api("POST", "/agency/api/tasks/1/clarify", body=b"{nope"), 422,
            "The request body is not valid JSON."),
    DeskRow("a body of 17 MB", api("POST", "/agency/api/tasks/1/clarify", body=b" " * (17 * 1024 * 1024)), 413,
            "at most 16 MB can be sent at a time"),
    DeskRow("a NUL in a question", api("POST", "/agency/api/tasks/1/clarify", body=b'{"question": "Which\\u0000?"}'),
            422, "'question' has a control character (such as NUL)"),
    DeskRow("SQL for a page number", api("GET", "/agency/api/tasks?page=1;DROP%20TABLE%20agency_task"), 422,
            "'page'"),
    DeskRow("a task id that is not a number", api("GET", "/agency/api/tasks/..%2F..%2Fetc"), 404, "Not Found"),
]

async def _refused(sessions, desk: Desk, row: DeskRow) -> None:
    before = await fingerprint(sessions)

    response = await row.send(desk)

    assert response.status_code == row.status, response.text[:500]
    assert (row.answer if isinstance(row.answer, str) else row.answer[desk.side]) in response.text
    assert await fingerprint(sessions) == before


@pytest.mark.parametrize("side", ["provider", "agency"])
@pytest.mark.parametrize("row", DESK_ROWS, ids=[r.hostile for r in DESK_ROWS])
async def test_hostile_desk_requests_are_refused_clearly_and_change_nothing(desks, sessions, side, row):
    await _refused(sessions, desks[side], row)


@pytest.mark.parametrize("row", PROVIDER_API_ROWS, ids=[r.hostile for r in PROVIDER_API_ROWS])
async def test_hostile_provider_api_calls_get_one_clear_sentence_and_change_nothing(desks, sessions, row):
    await _refused(sessions, desks["provider"], row)


@pytest.mark.parametrize("row", AGENCY_API_ROWS, ids=[r.hostile for r in AGENCY_API_ROWS])
async def test_hostile_agency_api_calls_get_one_clear_sentence_and_change_nothing(desks, sessions, row):
    await _refused(sessions, desks["agency"], row)


# --- The desks: floods, session fixation, injection shown on a page ---------------------------------------

@pytest.mark.parametrize("side", ["provider", "agency"])
async def test_an_api_caller_over_the_rate_is_told_when_to_come_back_and_more_tokens_do_not_help(desks, tono, side):
    desk, path = desks[side], f"/{side}/api/{'people' if side == 'provider' else 'tasks'}"
    other = (await _second_token(tono, side))
    kept, tono_desk = getattr(tono.state, f"{side}_desk").api_rate, getattr(tono.state, f"{side}_desk")
    tono_desk.api_rate = RateLimit(3, 60)
    try:
        answers = [await desk.anonymous.get(path, headers=bearer) for bearer in (desk.bearer, other, desk.bearer)]
        refused = await desk.anonymous.get(path, headers=other)
    finally:
        tono_desk.api_rate = kept

    assert [a.status_code for a in answers] == [200, 200, 200]
    wait = int(refused.headers["retry-after"])
    assert refused.status_code == 429 and 55 <= wait <= 60
    assert refused.json() == {"detail": f"Too many requests in a short time. Please wait {wait} seconds, then try "
                                        "again; nothing was changed."}


async def _second_token(app, side: str) -> dict[str, str]:
    from tests.bot.desk.provider_desk_support import staff_token
    from tests.security.hostile_support import officer_token

    return {"Authorization": f"Bearer {await (staff_token(app) if side == 'provider' else officer_token(app))}"}


@pytest.mark.parametrize("side", ["provider", "agency"])
async def test_a_session_posting_forms_too_fast_is_refused_and_nothing_is_saved(desks, tono, sessions, side):
    desk, tono_desk = desks[side], getattr(tono.state, f"{side}_desk")
    kept, tono_desk.form_rate = tono_desk.form_rate, RateLimit(1, 60)
    try:
        await desk.client.post(f"/{side}/tokens", data={"csrf": desk.csrf, "label": "first"}, headers=HTML)
        before = await fingerprint(sessions)
        refused = await desk.client.post(f"/{side}/tokens", data={"csrf": desk.csrf, "label": "second"}, headers=HTML)
    finally:
        tono_desk.form_rate = kept

    wait = int(refused.headers["retry-after"])
    assert refused.status_code == 429 and 55 <= wait <= 60
    assert f"Too many requests in a short time. Please wait {wait} seconds" in refused.text
    assert await fingerprint(sessions) == before


@pytest.mark.parametrize("side", ["provider", "agency"])
async def test_a_session_cookie_planted_before_sign_in_is_not_the_one_after(tono, side):
    from tests.security.hostile_support import sign_in

    planted = "planted.by-an-attacker"
    async with browser(tono) as victim, browser(tono) as attacker:
        victim.cookies.set(f"tono_{side}", planted, domain="tono.test", path=f"/{side}")
        page = await victim.get(f"/{side}/", headers=HTML)
        await sign_in(victim, side)
        attacker.cookies.set(f"tono_{side}", planted, domain="tono.test", path=f"/{side}")
        with_planted = await attacker.get(f"/{side}/", headers=HTML)

    assert page.status_code == 303  # the planted cookie signs no one in
    assert victim.cookies.get(f"tono_{side}", path=f"/{side}") not in (None, planted)
    assert with_planted.status_code == 303 and with_planted.headers["location"].startswith(f"/{side}/login")


async def test_script_in_names_labels_and_family_text_is_shown_escaped_at_the_desks(desks, tono, new_chat, sessions):
    provider, agency = desks["provider"], desks["agency"]
    made = await provider.anonymous.post("/provider/api/people", headers=provider.bearer, json={
        "new_family_name": SCRIPT, "given_name": SCRIPT, "family_name": SQL_INJECTION})
    ref = made.json()["ref"]
    for desk in (provider, agency):
        await desk.client.post(f"/{desk.side}/tokens", data={"csrf": desk.csrf, "label": SCRIPT}, headers=HTML)
    chat = await _enrolled(new_chat, sessions)
    for label in ("Something is wrong", "Mine", "CCSS"):
        await chat.press(label)
    await chat.send(SCRIPT)
    await chat.send("It should say what I wrote.")
    await chat.press("Send my request")
    async with sessions() as session:
        request_ref = (await session.exec(select(Request.ref).join(ChatLink, ChatLink.id == Request.chat_link_id)
                                          .where(ChatLink.chat_key == chat.key))).one()

    paths = (f"/provider/people/{ref}", f"/provider/people?q={ref}", "/provider/tokens",
             f"/provider/requests/{request_ref}")
    pages = [await provider.client.get(path, headers=HTML) for path in paths]
    pages.append(await agency.client.get("/agency/tokens", headers=HTML))

    for page in pages:
        assert page.status_code == 200, page.url
        assert SCRIPT not in page.text and ESCAPED_SCRIPT in page.text, page.url
    assert made.json()["family_name"] == SQL_INJECTION  # kept exactly as typed
    assert await table_exists(sessions, "provider_request")


async def test_sql_in_a_search_finds_nothing_and_drops_nothing(desks, sessions):
    provider = desks["provider"]

    found = await provider.anonymous.get("/provider/api/people", params={"q": SQL_INJECTION}, headers=provider.bearer)
    page = await provider.client.get("/provider/people", params={"q": "' OR '1'='1"}, headers=HTML)

    assert found.status_code == 200 and found.json()["items"] == []
    assert page.status_code == 200
    assert await table_exists(sessions, "provider_request") and await table_exists(sessions, "provider_person")


# --- The protocol's receiver: what arrives from the other organisation --------------------------------------

@dataclass(frozen=True)
class MessageRow:
    hostile: str
    raw: Callable[[Parties], str]  # the text that arrives
    status: ReceiptStatus
    reason: str  # in the receipt's one sentence (and the dead letter's)


@dataclass(frozen=True)
class Parties:
    provider: str
    agency: str
    provider_key: object
    agency_key: object

    def message(self, sequence: int = 1, request: str = "BFF-2026-999001", **body) -> Envelope:
        return new_message("request.withdrawn", self.provider, self.agency, request, sequence,
                           {"withdrawn_on": "2026-11-25", **body})

    def signed(self, key=None, **options) -> str:
        return sign(self.message(**options), key or self.provider_key).to_json()


def _resigned(p: Parties, **changes) -> str:
    """A message changed after signing, then signed again by the genuine sender (what a bug might send)."""
    data = {k: v for k, v in p.message().to_dict().items() if k != "signature"} | changes
    return json.dumps(data | {"signature": base64.b64encode(p.provider_key.sign(canonical_json(data))).decode()})


def _tampered(p: Parties) -> str:
    data = json.loads(p.signed())
    data["body"]["withdrawn_on"] = "2026-11-26"
    return json.dumps(data)


MESSAGE_ROWS = [
    MessageRow("more than 16 MB", lambda p: " " * (MAX_MESSAGE_BYTES + 1), ReceiptStatus.REJECTED, "larger than"),
    MessageRow("text that is not JSON", lambda p: "{nope", ReceiptStatus.REJECTED, "not valid JSON"),
    MessageRow("JSON nested 100,000 deep", lambda p: "[" * 100_000, ReceiptStatus.REJECTED, "nested too deeply"),
    MessageRow("a raw NUL in the text", lambda p: p.signed()[:-2] + "\x00}", ReceiptStatus.REJECTED, "not valid JSON"),
    MessageRow("a field given twice", lambda p: p.signed()[:-1] + ',"sequence":9}', ReceiptStatus.REJECTED,
               "given twice"),
    MessageRow("a message with no signature", lambda p: p.message().to_json(), ReceiptStatus.REJECTED, "not signed"),
    MessageRow("a message signed with the other party's key", lambda p: p.signed(key=p.agency_key),
               ReceiptStatus.REJECTED, "signature does not match"),
    MessageRow("a message changed after signing", _tampered, ReceiptStatus.REJECTED, "signature does not match"),
    MessageRow("a message id with SQL in it", lambda p: _resigned(p, id=SQL_INJECTION), ReceiptStatus.REJECTED,
               "The field id is not a valid uuid4"),
    MessageRow("a NUL in the message id", lambda p: _resigned(p, id="\x00" * 36), ReceiptStatus.REJECTED,
               "The field id is not a valid uuid4"),
    MessageRow("a NUL in the request reference", lambda p: _resigned(p, request="BFF\x00"), ReceiptStatus.REJECTED,
               "The field request must be a code"),
    MessageRow("a lone surrogate in the message id", lambda p: json.dumps(json.loads(p.signed()) | {"id": "\udfff"}),
               ReceiptStatus.REJECTED, "not valid UTF-8"),
    MessageRow("a lone surrogate in the type", lambda p: json.dumps(json.loads(p.signed()) | {"type": "\ud800"}),
               ReceiptStatus.REJECTED, "not valid UTF-8"),
    MessageRow("a message for the other organisation", lambda p: sign(new_message(
        "records.opened", p.agency, p.provider, "BFF-2026-999001", 1, {"unit": "evaluation", "opened_on": "2026-11-25"}
    ), p.agency_key).to_json(), ReceiptStatus.REJECTED, "addressed to"),
    MessageRow("a message ahead of its stream", lambda p: p.signed(sequence=2), ReceiptStatus.RETRY_LATER,
               "Expected sequence 1"),
]


@pytest.fixture
def parties(tono) -> Parties:
    link = tono.state.link
    return Parties(link.provider.party, link.agency.party, link.provider.private_key, link.agency.private_key)


async def _inbox(link) -> tuple[int, int]:
    """(messages the agency accepted, messages it keeps as dead letters)."""
    async with link.agency.sessions() as session:
        connection = await session.connection()
        return tuple([(await connection.execute(select(func.count()).select_from(table))).scalar_one()
                      for table in (link.agency.t.inbox, link.agency.t.dead_letter)])


@pytest.mark.parametrize("row", MESSAGE_ROWS, ids=[r.hostile for r in MESSAGE_ROWS])
async def test_a_hostile_message_is_refused_with_a_reason_kept_or_counted_and_never_applied(tono, parties, row):
    link = tono.state.link
    accepted, kept = await _inbox(link)
    junk = (await link.agency.inbox_watch()).last_hour.junk

    receipt = await link.agency.accept(row.raw(parties))

    assert receipt.status is row.status
    assert row.reason in receipt.reason
    accepted_after, kept_after = await _inbox(link)
    counted = (await link.agency.inbox_watch()).last_hour.junk - junk
    assert accepted_after == accepted
    # A party signed it: kept whole (1, 0). Nobody did: junk, counted, and sampled while the hour's few samples
    # last (1, 1) or only counted (0, 1) (linkqueue/guard.py).
    assert (kept_after - kept, counted) in {(1, 0), (1, 1), (0, 1)}


async def test_a_replayed_message_is_acknowledged_and_stored_once(tono, parties):
    link = tono.state.link
    raw = parties.signed(request="BFF-2026-999002")
    accepted, kept = await _inbox(link)

    first, again = await link.agency.accept(raw), await link.agency.accept(raw)

    assert (first.status, again.status) == (ReceiptStatus.ACCEPTED, ReceiptStatus.DUPLICATE)
    assert await _inbox(link) == (accepted + 1, kept)


# The HTTP inbox (/protocol/inbox) has its own table in tests/linkqueue/test_http_inbox.py: malformed JSON,
# not an envelope, not UTF-8, over the size limit (declared or sent in chunks), a wrong signature, an unknown
# sender, a replay (200 duplicate), out of turn (409), a database failure (503); each with its receipt.


# --- The tamper-evident history: `tono verify-events` -------------------------------------------------------

async def _relayed_request(tono, new_chat, sessions) -> Request:
    """A family's access request, approved and relayed by staff, received by the agency (both sides' events)."""
    chat = await _enrolled(new_chat, sessions)
    for label in ("What do you hold about me?", "Mine", "The agency", "Skip", "A copy here", "No", "Send my request"):
        await chat.press(label)
    async with sessions.begin() as session:
        request = (await session.exec(select(Request).join(ChatLink, ChatLink.id == Request.chat_link_id)
                                      .where(ChatLink.chat_key == chat.key))).one()
        await staff.approve(session, request, "kaimahi", "known_in_person")
        await staff.relay(session, request, tono.state.link.provider, tono.state.agreement, "kaimahi", nz_today())
    await tono.state.link.settle()
    return request


async def _change_words(sessions, request: Request, model) -> str:
    async with sessions.begin() as session:
        event = (await session.exec(select(model).where(model.request_id == request.id).order_by(model.seq))).first()
        await (await session.connection()).execute(update(model.__table__).where(model.__table__.c.id == event.id)
                                                   .values(actor_label="someone else"))
    return f"event {event.seq} ({event.trigger}"


async def _delete(sessions, request: Request, which: int) -> str:
    async with sessions.begin() as session:
        events = list(await session.exec(select(RequestEvent).where(RequestEvent.request_id == request.id)
                                          .order_by(RequestEvent.seq)))
        await (await session.connection()).execute(delete(RequestEvent.__table__).where(
            RequestEvent.__table__.c.id == events[which].id))
    after = events[which + 1] if which + 1 < len(events) else events[which]
    return f"event {after.seq} ({after.trigger}"


async def _agency_copy(sessions, request: Request) -> AgencyRequest:
    async with sessions() as session:
        return (await session.exec(select(AgencyRequest).where(AgencyRequest.provider_ref == request.ref))).one()


async def _broken(tono) -> list[str]:
    return (await broken_chains(tono.state.settings))[1]


async def test_a_provider_event_with_changed_words_is_named_by_verify_events(tono, new_chat, sessions):
    request = await _relayed_request(tono, new_chat, sessions)

    named = await _change_words(sessions, request, RequestEvent)

    assert [p for p in await _broken(tono) if f"provider request {request.ref}:" in p and named in p]


async def test_an_event_deleted_from_the_middle_of_a_history_is_named_by_verify_events(tono, new_chat, sessions):
    request = await _relayed_request(tono, new_chat, sessions)

    named = await _delete(sessions, request, 1)

    assert [p for p in await _broken(tono) if f"provider request {request.ref}:" in p and named in p]


async def test_an_agency_event_with_changed_words_is_named_by_verify_events(tono, new_chat, sessions):
    request = await _relayed_request(tono, new_chat, sessions)
    copy = await _agency_copy(sessions, request)

    named = await _change_words(sessions, copy, AgencyEvent)

    assert [p for p in await _broken(tono) if f"agency request {request.ref} (agency copy)" in p and named in p]


async def test_the_newest_event_deleted_from_a_history_is_named_by_verify_events(tono, new_chat, sessions):
    request = await _relayed_request(tono, new_chat, sessions)

    await _delete(sessions, request, -1)

    assert [p for p in await _broken(tono) if f"provider request {request.ref}:" in p]
