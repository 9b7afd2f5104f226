"""The Telegram channel contract: every test here runs on aiogram and on python-telegram-bot (the `telegram`
fixture, tests/bot/telegram_channels.py), each library's real client talking HTTP to the fake Bot API, and
both must behave the same on every journey."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import select

from bot.channels.telegram_api import TelegramRefused, TelegramUnreachable
from bot.chat.conversation import Conversations
from bot.flows import COMMAND_DESCRIPTIONS
from bot.models import Request, SeenUpdate
from protocol.agreement import load_agreement
from tests.bot.chat_driver import TODAY
from tests.bot.telegram_channels import LIBRARY_SETTING, enrolment_code, read_until
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegram
from tests.linkqueue.servers import free_port

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


async def _to_the_menu(user) -> dict:
    """/start, "Not now", and the menu; then the offer's buttons taken off (an edit, after the replies).
    Returns the offer as it was, with its buttons."""
    await user.send_command("/start")
    [*_, offer] = await read_until(user, "what happens to your information")
    await user.press_button("Not now")
    await read_until(user, "What would you like to do?")
    while "edit_date" not in await user.next_message():
        pass
    return offer


async def test_a_family_enrols_by_deep_link_makes_an_access_request_and_sees_its_status(telegram, sessions):
    fake, _channel = telegram
    aroha = fake.user(501, "Aroha")

    await aroha.send_command("/start", await enrolment_code(sessions, "P-0001"))
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


async def test_the_menu_commands_are_set_in_english_and_te_reo_maori(telegram):
    fake, _channel = telegram

    languages = {language for (_scope, language) in fake.commands}

    assert languages == {"", "mi"}
    assert all(len(commands) == len(COMMAND_DESCRIPTIONS) == 7 for commands in fake.commands.values())
    assert fake.commands[("default", "mi")][0]["description"] != fake.commands[("default", "")][0]["description"]


async def test_a_used_buttons_message_loses_its_buttons_once_the_answer_is_sent(telegram):
    fake, _channel = telegram
    aroha = fake.user(502, "Aroha")
    await aroha.send_command("/start")
    await read_until(aroha, "what happens to your information")
    offer = aroha.messages[-1]

    await aroha.press_button("Not now")
    await read_until(aroha, "What would you like to do?")
    for _ in range(100):  # cleared after the replies are sent
        if "reply_markup" not in aroha.find(offer["message_id"]):
            break
        await asyncio.sleep(0.05)

    assert "reply_markup" in offer
    assert "reply_markup" not in aroha.find(offer["message_id"]), "the pressed message's buttons were taken off"
    assert fake.callback_answers[-1].get("text") is None, "a press that moved on is answered without a note"


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
    assert answer.get("show_alert") is True
    await aroha.press_button("Not now")
    await read_until(aroha, "You can read it any time")


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


async def test_a_button_from_an_earlier_screen_does_nothing_and_keeps_its_message(telegram):
    fake, _channel = telegram
    aroha = fake.user(702, "Aroha")
    offer = await _to_the_menu(aroha)
    menu = next(m for m in reversed(aroha.messages) if "What would you like to do?" in m.get("text", ""))

    await aroha.press(offer, offer["reply_markup"]["inline_keyboard"][0][0]["callback_data"])

    await aroha.no_message()
    assert "earlier message" in fake.callback_answers[-1].get("text", "")
    assert aroha.find(menu["message_id"]).get("reply_markup"), "the menu's buttons stay"


async def test_a_button_on_a_message_telegram_no_longer_shows_says_it_is_from_an_earlier_message(telegram):
    fake, _channel = telegram
    aroha = fake.user(703, "Aroha")
    await aroha.send_command("/start")
    await read_until(aroha, "what happens to your information")
    data = aroha.messages[-1]["reply_markup"]["inline_keyboard"][0][0]["callback_data"]

    # Telegram sends an InaccessibleMessage (date 0) in place of a message older than 48 hours.
    fake.queue_update(callback_query={"id": fake.open_callback_query(), "from": aroha.user, "chat_instance": "1",
                                      "data": data, "message": {"chat": aroha.chat, "message_id": 1, "date": 0}})

    await aroha.no_message()
    assert "earlier message" in fake.callback_answers[-1].get("text", "")


async def test_a_message_in_a_group_gets_no_answer(telegram, sessions):
    fake, _channel = telegram
    aroha = fake.user(704, "Aroha")
    group = {"id": -100704, "type": "group", "title": "Whānau"}

    fake.queue_update(message={"message_id": 1, "date": 0, "chat": group, "from": aroha.user, "text": "/start"})
    await aroha.send_command("/help")  # given after the group's, so answered once the group's was handled
    await aroha.next_message()

    assert {params["chat_id"] for params in fake.requests_for("sendMessage")} == {704}
    async with sessions() as session:
        assert [seen.key for seen in await session.exec(select(SeenUpdate))] == [f"tg:{fake.last_update_id}"]


async def test_stickers_photos_voice_notes_and_documents_get_a_clear_reply(telegram):
    fake, _channel = telegram
    aroha = fake.user(801, "Aroha")

    for send in (aroha.send_sticker, aroha.send_photo, aroha.send_voice, aroha.send_document):
        await send()
        await read_until(aroha, "I can't open photos")


async def test_what_a_family_types_is_shown_as_typed_never_read_as_html(telegram):
    fake, _channel = telegram
    aroha = fake.user(802, "Aroha")
    await _to_the_menu(aroha)
    for button, then in [("What do you hold about me?", "Whose information"), ("Mine", "Whose records"),
                         ("Both CCSS and the agency", "anything in particular")]:
        await aroha.press_button(button)
        await read_until(aroha, then)

    await aroha.send("<b>my file</b> & <script>x</script>")
    await read_until(aroha, "How would you like")
    await aroha.press_button("A copy here in the chat")
    await read_until(aroha, "urgently")
    await aroha.press_button("No")
    await read_until(aroha, "full name")
    await aroha.send("Aroha <Tester>")
    [*_, summary] = await read_until(aroha, "Please check your request")

    assert "What: <b>my file</b> & <script>x</script>" in summary["text"]
    assert not any(e.get("url") for e in summary.get("entities", []))


async def test_a_text_longer_than_the_step_takes_is_refused_kindly_and_the_step_asked_again(telegram):
    fake, _channel = telegram
    aroha = fake.user(803, "Aroha")
    await _to_the_menu(aroha)
    for button, then in [("What do you hold about me?", "Whose information"), ("Mine", "Whose records"),
                         ("Both CCSS and the agency", "anything in particular")]:
        await aroha.press_button(button)
        await read_until(aroha, then)

    await aroha.send("word " * 800)
    said = await read_until(aroha, "anything in particular")

    assert any("I can take up to 2000" in m["text"] for m in said)


async def test_a_long_reply_is_split_under_telegrams_limit(telegram):
    fake, _channel = telegram
    aroha = fake.user(901, "Aroha")
    await aroha.send_command("/start")
    await read_until(aroha, "what happens to your information")

    await aroha.press_button("Yes, tell me")
    messages = await read_until(aroha, "What would you like to do?")

    assert len(messages) >= 4
    assert all(len(m["text"]) <= 4096 for m in messages)


async def test_an_update_given_twice_is_answered_once(sessions, new_telegram_channel):
    async with FakeTelegram() as fake:
        channel = new_telegram_channel(fake.token, Conversations(sessions, load_agreement(), today=lambda: TODAY),
                                       api_base=fake.base_url)
        fake.user(904, "Aroha")
        update = {"update_id": 77, "message": {"message_id": 1, "date": 0, "text": "/help",
                                               "chat": {"id": 904, "type": "private", "first_name": "Aroha"},
                                               "from": {"id": 904, "is_bot": False, "first_name": "Aroha"}}}
        try:
            await channel.feed(update)
            await channel.flush()
            first = len(fake.requests_for("sendMessage"))
            await channel.feed(update)
            await channel.flush()
        finally:
            await channel.stop()

    assert first > 0
    assert len(fake.requests_for("sendMessage")) == first


async def test_an_update_whose_turn_always_fails_is_given_up_after_three_tries_and_the_rest_go_on(telegram):
    fake, channel = telegram
    aroha, hemi = fake.user(905, "Aroha"), fake.user(906, "Hemi")
    handle, tries = channel.conversations.handle, []

    async def fails_for_aroha(channel_name, key, *args, **kwargs):
        if key == "905":
            tries.append(kwargs.get("once"))
            raise ConnectionError("this update breaks every turn")
        return await handle(channel_name, key, *args, **kwargs)

    channel.conversations.handle = fails_for_aroha
    await aroha.send_command("/help")
    await hemi.send_command("/help")
    await hemi.next_message(timeout=10)
    for _ in range(100):
        if len(tries) >= 3 and not fake._updates:
            break
        await asyncio.sleep(0.05)

    assert len(tries) == 3 and len(set(tries)) == 1, "the same update, three times"
    assert fake._updates == [], "then confirmed, so Telegram stops giving it"
    await aroha.no_message()


async def test_a_token_telegram_refuses_stops_the_start_with_telegrams_words_and_never_the_token(
        sessions, new_telegram_channel):
    async with FakeTelegram() as fake:
        wrong = DEFAULT_TOKEN.replace("TEST", "WRONG")
        channel = new_telegram_channel(wrong, Conversations(sessions, load_agreement()), api_base=fake.base_url)
        try:
            with pytest.raises(TelegramRefused) as refused:
                await channel.start_polling()
        finally:
            await channel.stop()

    assert "Unauthorized" in str(refused.value)
    assert wrong not in str(refused.value) and "WRONG" not in repr(refused.value)


async def test_a_bot_api_server_that_does_not_answer_is_unreachable_not_a_refusal(sessions, new_telegram_channel):
    channel = new_telegram_channel(DEFAULT_TOKEN, Conversations(sessions, load_agreement()),
                                   api_base=f"http://127.0.0.1:{free_port()}")
    try:
        with pytest.raises(TelegramUnreachable):
            await channel.start_polling()
    finally:
        await channel.stop()


async def test_webhook_mode_takes_updates_only_with_the_secret_token(seeded_url, tmp_path, telegram_library):
    import httpx

    from bot.channels.telegram_api import webhook_secret
    from tono.app import create_app
    from tono.settings import load_settings

    async with FakeTelegram() as fake:
        settings = load_settings(TONO_DATABASE_URL=seeded_url, TELEGRAM_BOT_TOKEN=fake.token,
                                 TELEGRAM_API_BASE=fake.base_url, TONO_PUBLIC_URL="https://tono.example",
                                 TONO_SECRET_KEY="a-long-random-secret-for-the-webhook-test-0123",
                                 TELEGRAM_LIBRARY=LIBRARY_SETTING[telegram_library],
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

    assert type(app.state.telegram).__name__ == {"aiogram": "TelegramChannel", "ptb": "PtbTelegramChannel"}[
        telegram_library]
    assert forged.status_code == 403
    assert real.status_code == 200
    assert any("Kia ora" in params.get("text", "") for params in fake.requests_for("sendMessage"))


async def test_webhook_mode_tells_telegram_the_address_the_secret_and_the_updates_it_wants(sessions,
                                                                                          new_telegram_channel):
    async with FakeTelegram() as fake:
        channel = new_telegram_channel(fake.token, Conversations(sessions, load_agreement()), api_base=fake.base_url)
        try:
            await channel.start_webhook("https://tono.example/telegram/webhook", "s3cret_-")
        finally:
            await channel.stop()

    assert fake.webhook["url"] == "https://tono.example/telegram/webhook"
    assert fake.webhook["secret_token"] == "s3cret_-"
    assert fake.webhook["allowed_updates"] == ["message", "callback_query"]


async def test_the_bots_username_for_enrolment_links_is_asked_of_telegram_once(telegram):
    fake, channel = telegram
    asked = len(fake.requests_for("getMe"))

    names = [await channel.username(), await channel.username()]

    assert names == ["tono_test_bot"] * 2
    assert len(fake.requests_for("getMe")) <= asked + 1
