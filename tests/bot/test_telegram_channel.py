"""The Telegram channel with the real aiogram client, talking HTTP to a fake Bot API on loopback."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.channels.telegram import TelegramChannel
from bot.conversation import Conversations
from bot.enrolment import issue_code
from bot.models import Person, Request
from protocol.agreement import load_agreement
from tests.bot.chat_driver import TODAY
from tests.fakes.telegram_api import FakeTelegram


@pytest.fixture
async def telegram(sessions):
    async with FakeTelegram() as fake:
        channel = TelegramChannel(fake.token, Conversations(sessions, load_agreement(), today=lambda: TODAY),
                                  api_base=fake.base_url)
        await channel.start_polling()
        try:
            yield fake, channel
        finally:
            await channel.stop()


async def read_until(user, text: str, limit: int = 12) -> list[dict]:
    """The bot's new messages to `user`, up to and including the first that contains `text`."""
    got = []
    for _ in range(limit):
        message = await user.next_message()
        if "edit_date" in message:
            continue
        got.append(message)
        if text in message.get("text", ""):
            return got
    raise AssertionError(f"no message with {text!r}; got {[m.get('text') for m in got]}")


async def _code(sessions, ref: str) -> str:
    async with sessions.begin() as session:
        return await issue_code(session, (await session.exec(select(Person).where(Person.ref == ref))).one())


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_family_enrols_by_deep_link_makes_an_access_request_and_sees_its_status(telegram, sessions):
    fake, _channel = telegram
    aroha = fake.user(501, "Aroha")

    await aroha.send_command("/start", await _code(sessions, "P-0001"))
    await read_until(aroha, "Kia ora Aroha")
    await read_until(aroha, "what happens to your information")
    await aroha.press_button("Not now")
    await read_until(aroha, "What would you like to do?")
    for button, then in [("What do you hold about me?", "Whose information"), ("Mine", "Whose records"),
                         ("Both CCSS and the agency", "anything in particular"), ("Skip", "How would you like"),
                         ("A copy here in the chat", "urgently"), ("No", "Please check your request")]:
        await aroha.press_button(button)
        await read_until(aroha, then)
    await aroha.press_button("Send my request")
    sent = await read_until(aroha, "Your request is sent")
    await aroha.send_command("/status")
    status = await read_until(aroha, "BFF-2026-000001")

    assert "<b>" not in sent[-1]["text"]  # HTML was parsed by Telegram, not shown
    assert "CCSS has your request and is checking who you are." in status[-1]["text"]
    async with sessions() as session:
        [request] = await session.exec(select(Request))
    assert request.state == "submitted"
    assert fake.callback_answers, "every button press is answered"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_the_menu_commands_are_set_in_english_and_te_reo_maori(telegram):
    fake, _channel = telegram

    languages = {language for (_scope, language) in fake.commands}

    assert languages == {"", "mi"} or languages == {None, "mi"}
    assert all(len(commands) == 6 for commands in fake.commands.values())


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_someone_else_pressing_a_familys_button_changes_nothing_and_is_told_so(telegram, sessions):
    fake, _channel = telegram
    aroha, stranger = fake.user(601, "Aroha"), fake.user(602, "Stranger")
    await aroha.send_command("/start")
    await read_until(aroha, "what happens to your information")
    offer = aroha.messages[-1]

    await stranger.press(offer, offer["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    await stranger.no_message()

    answer = fake.callback_answers[-1]
    assert "someone else's chat" in answer.get("text", "")
    await aroha.press_button("Not now")
    await read_until(aroha, "You can read it any time")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("data", ["", "x" * 64, "999:access", "1:person:1; DROP TABLE", "not-a-token"])
async def test_forged_callback_data_does_nothing_but_say_so(telegram, sessions, data):
    fake, _channel = telegram
    aroha = fake.user(701, "Aroha")
    await aroha.send_command("/start")
    await read_until(aroha, "what happens to your information")

    await aroha.press(aroha.messages[-1], data)

    await aroha.no_message()
    assert "does nothing" in fake.callback_answers[-1].get("text", "")
    async with sessions() as session:
        assert list(await session.exec(select(Request))) == []


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_stickers_photos_and_voice_notes_get_a_clear_reply(telegram):
    fake, _channel = telegram
    aroha = fake.user(801, "Aroha")

    for send in (aroha.send_sticker, aroha.send_photo, aroha.send_voice):
        await send()
        await read_until(aroha, "I can't open photos")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_long_reply_is_split_under_telegrams_limit(telegram):
    fake, _channel = telegram
    aroha = fake.user(901, "Aroha")
    await aroha.send_command("/start")
    await read_until(aroha, "what happens to your information")

    await aroha.press_button("Yes, tell me")
    messages = await read_until(aroha, "What would you like to do?")

    assert len(messages) >= 4
    assert all(len(m["text"]) <= 4096 for m in messages)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_webhook_mode_takes_updates_only_with_the_secret_token(seeded_url, tmp_path):
    import httpx

    from bot.channels.telegram import webhook_secret
    from tono.app import create_app
    from tono.settings import load_settings

    async with FakeTelegram() as fake:
        settings = load_settings(TONO_DATABASE_URL=seeded_url, TELEGRAM_BOT_TOKEN=fake.token,
                                 TELEGRAM_API_BASE=fake.base_url, TONO_PUBLIC_URL="https://tono.example",
                                 TONO_SECRET_KEY="a-long-random-secret-for-the-webhook-test-0123",
                                 TONO_KEYS_DIR=str(tmp_path / "keys"))
        app = create_app(settings, load_agreement(), start_telegram=False, run_loops=False)
        fake.user(42, "Aroha")
        update = {"update_id": 7, "message": {"message_id": 1, "date": 0, "text": "/start",
                                              "chat": {"id": 42, "type": "private", "first_name": "Aroha"},
                                              "from": {"id": 42, "is_bot": False, "first_name": "Aroha"}}}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tono.test") as client:
            forged = await client.post("/telegram/webhook", json=update,
                                       headers={"X-Telegram-Bot-Api-Secret-Token": "guess"})
            secret = webhook_secret("a-long-random-secret-for-the-webhook-test-0123")
            real = await client.post("/telegram/webhook", json=update,
                                     headers={"X-Telegram-Bot-Api-Secret-Token": secret})
        await app.state.telegram.flush()  # the turn's replies go out after the update is answered
        await app.state.telegram.stop()
        await app.state.engine.dispose()

    assert forged.status_code == 403
    assert real.status_code == 200
    assert any("Kia ora" in params.get("text", "") for params in fake.requests_for("sendMessage"))
