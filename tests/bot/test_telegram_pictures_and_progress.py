"""On Telegram, through each library's real client and the fake Bot API (the channel contract, on aiogram and on
python-telegram-bot): the picture of a request's steps arrives as a photo, and slow work shows in the chat
("sending a document…") while it is done, fast turns cost nothing."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlmodel import select

from bot.channels import telegram_common
from bot.flows.status_picture import SIZE
from bot.models import ChatLink, Person, Request
from bot.requests import delivery
from bot.requests.moves import move
from tests.bot.telegram_channels import enrolment_code, read_until

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


async def _enrolled(fake, sessions, user_id: int):
    aroha = fake.user(user_id, "Aroha")
    await aroha.send_command("/start", await enrolment_code(sessions, "P-0001"))
    await read_until(aroha, "what happens to your information")
    await aroha.press_button("Not now")
    await read_until(aroha, "What would you like to do?")
    return aroha


async def _request(sessions, user_id: int, scope: str = "both", *moves: tuple[str, str, dict]) -> Request:
    """A request made from this Telegram chat about the person themselves, moved along the lifecycle."""
    async with sessions.begin() as session:
        link = (await session.exec(select(ChatLink).where(ChatLink.chat_key == str(user_id)))).one()
        person = await session.get(Person, link.person_id)
        request = Request(ref="BFF-2026-000001", kind="access", requester_id=person.id, subject_id=person.id,
                          chat_link_id=link.id, scope=scope)
        session.add(request)
        await session.flush()
        for trigger, role, context in (("submit", "family", {}), *moves):
            await move(session, request, trigger, role, actor_label="test", **context)
        return request


async def _told_the_answer_is_ready(fake, sessions, user_id: int):
    """A family whose request about CCSS's own records was delivered, and who has read the news of it."""
    family = await _enrolled(fake, sessions, user_id)
    request = await _request(sessions, user_id, "provider",
                             ("approve", "staff", {"identity_checked": "known_in_person"}),
                             ("prepare_locally", "staff", {"scope": "provider"}))
    async with sessions.begin() as session:
        await delivery.deliver(session, await session.get(Request, request.id), "kaimahi")
    await read_until(family, "The answer to your request BFF-2026-000001 is ready")
    return family


async def _next_with(user, key: str, limit: int = 12) -> dict:
    for _ in range(limit):
        message = await user.next_message()
        if key in message and "edit_date" not in message:
            return message
    raise AssertionError(f"no message with {key!r}")


async def test_the_picture_of_a_request_arrives_as_a_telegram_photo(telegram, sessions):
    fake, _channel = telegram
    aroha = await _enrolled(fake, sessions, 1501)
    await _request(sessions, 1501)
    await aroha.send_command("/status")
    await read_until(aroha, "That's all your requests")

    await aroha.press_button("Show it as a picture")
    photo = await _next_with(aroha, "photo")

    assert photo["caption"] == "Request BFF-2026-000001, step by step"
    assert len(fake.requests_for("sendPhoto")) == 1
    upload = fake.uploads[-1]
    assert upload.filename == "BFF-2026-000001-en-adult.png"
    assert Image.open(io.BytesIO(upload.data)).size == SIZE
    assert (photo["photo"][0]["width"], photo["photo"][0]["height"]) == SIZE


async def test_sending_a_document_shows_while_the_copies_are_made_before_the_document_arrives(telegram, sessions):
    fake, _channel = telegram
    aroha = await _told_the_answer_is_ready(fake, sessions, 1502)
    start = len(fake.requests)

    await aroha.press_button("Send me the copies")
    await _next_with(aroha, "document")

    calls = [(method, params.get("action")) for method, params in fake.requests[start:]]
    made = calls.index(("sendChatAction", "upload_document"))
    assert made < calls.index(("answerCallbackQuery", None)), "shown while the copies are made, not after"
    assert made < calls.index(("sendDocument", None))


async def test_where_is_my_request_offers_a_delivered_answers_copies_again_and_sends_them(telegram, sessions):
    fake, _channel = telegram
    aroha = await _told_the_answer_is_ready(fake, sessions, 1504)

    await aroha.send_command("/status")  # the news with its button is long gone from the family's screen
    await read_until(aroha, "That's all your requests")
    await aroha.press_button("Send me the copies")
    document = await _next_with(aroha, "document")

    assert document["document"]["file_name"].startswith("BFF-2026-000001")


async def test_a_quick_turn_makes_no_chat_action_call_and_a_slow_one_shows_typing(telegram, sessions, monkeypatch):
    fake, _channel = telegram
    aroha = fake.user(1503, "Aroha")
    await aroha.send_command("/start")
    await read_until(aroha, "what happens to your information")
    assert fake.requests_for("sendChatAction") == []
    monkeypatch.setattr(telegram_common, "SLOW_TURN", 0.0)
    start = len(fake.requests)

    await aroha.press_button("Not now")
    await read_until(aroha, "What would you like to do?")

    calls = [(method, params.get("action")) for method, params in fake.requests[start:]]
    assert calls.index(("sendChatAction", "typing")) < calls.index(("sendMessage", None))
