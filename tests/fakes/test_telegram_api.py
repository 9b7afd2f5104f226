"""The fake Bot API server, driven by the real aiogram Bot and Dispatcher over loopback HTTP."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import BotCommand, BotCommandScopeDefault, BufferedInputFile, CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from tests.fakes.telegram_api import FakeTelegram


def echo_router() -> Router:
    """A tiny bot: /start echoes its code, /menu offers two buttons, anything else is echoed back."""
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message, command: CommandObject) -> None:
        await message.answer(f"Kia ora! Code: {command.args}")

    @router.message(F.text == "/menu")
    async def menu(message: Message) -> None:
        keyboard = InlineKeyboardBuilder()
        keyboard.button(text="Yes", callback_data="yes").button(text="No", callback_data="no")
        await message.answer("<b>Ready?</b>", parse_mode="HTML", reply_markup=keyboard.as_markup())

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(message.text)

    @router.callback_query()
    async def pressed(callback: CallbackQuery) -> None:
        await callback.answer(f"Got {callback.data}")
        await callback.message.edit_text(f"You chose {callback.data}")

    return router


class LoopbackSession(AiohttpSession):
    """aiogram's own session, minus the 0.25 s pause in close() that only TLS connections need.

    Saves a quarter second per test; the polling test below keeps the unmodified session.
    """

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


@pytest.fixture
async def tg():
    async with FakeTelegram() as tg:
        yield tg


@pytest.fixture
async def bot(tg):
    bot = Bot(tg.token, session=LoopbackSession(api=TelegramAPIServer.from_base(tg.base_url)))
    yield bot
    await bot.session.close()


@pytest.fixture
async def polling(bot):
    dispatcher = Dispatcher()
    dispatcher.include_router(echo_router())
    task = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False, polling_timeout=1))
    yield dispatcher
    if not task.done():
        await dispatcher.stop_polling()
    await task


async def test_a_text_message_round_trips_through_the_echo_bot(tg, polling):
    aroha = tg.user(1001)
    await aroha.send("Kia ora")
    reply = await aroha.next_message()
    assert reply["text"] == "Kia ora"
    assert reply["chat"]["id"] == 1001 and reply["from"]["is_bot"]
    assert reply["message_id"] == 2  # ids are shared by both sides of a private chat
    assert aroha.messages == [reply]


async def test_a_deep_link_start_command_reaches_the_bot_with_its_code(tg, polling):
    aroha = tg.user(1001)
    await aroha.send_command("/start", "CODE_123")
    assert (await aroha.next_message())["text"] == "Kia ora! Code: CODE_123"


async def test_an_inline_button_press_reaches_the_callback_handler_and_its_answer_is_recorded(tg, polling):
    aroha = tg.user(1001)
    await aroha.send("/menu")
    menu = await aroha.next_message()
    assert menu["text"] == "Ready?"  # what the family sees: HTML parsed into text and entities
    assert menu["entities"] == [{"type": "bold", "offset": 0, "length": 6}]
    assert [b["callback_data"] for b in menu["reply_markup"]["inline_keyboard"][0]] == ["yes", "no"]
    query = await aroha.press_button("Yes")
    edited = await aroha.next_message()
    assert edited["text"] == "You chose yes" and "edit_date" in edited
    assert "reply_markup" not in edited  # an edit without reply_markup removes the keyboard
    assert tg.callback_answers == [{"callback_query_id": query["id"], "text": "Got yes"}]
    assert aroha.messages == [edited]


async def test_another_user_can_press_a_button_on_someone_elses_message(tg, polling):
    aroha, mallory = tg.user(1001), tg.user(2002, "Mallory")
    await aroha.send("/menu")
    menu = await aroha.next_message()
    query = await mallory.press(menu, "no")
    assert query["from"]["id"] == 2002 and query["message"]["chat"]["id"] == 1001
    assert (await aroha.next_message())["text"] == "You chose no"  # this bot trusts any presser: ours must not
    await mallory.no_message(within=0.05)


async def test_a_document_upload_arrives_with_its_bytes(tg, bot):
    tg.user(1001)
    data = bytes(range(256)) * 10
    sent = await bot.send_document(1001, BufferedInputFile(data, "copy.pdf"), caption="Your copy")
    upload = tg.uploads[-1]
    assert (upload.chat_id, upload.filename, upload.data, upload.caption) == (1001, "copy.pdf", data, "Your copy")
    assert sent.document.file_name == "copy.pdf" and sent.document.file_size == len(data)
    assert sent.document.mime_type == "application/pdf"
    assert tg.users[1001].messages[-1]["document"]["file_id"] == sent.document.file_id
    downloaded = await bot.download(sent.document.file_id)
    assert downloaded.read() == data


async def test_a_document_a_family_sends_can_be_downloaded_by_the_bot(tg, bot):
    message = await tg.user(1001).send_document("letter.pdf", b"%PDF-1.4 hello")
    downloaded = await bot.download(message["document"]["file_id"])
    assert downloaded.read() == b"%PDF-1.4 hello"


async def test_commands_are_recorded_per_language(tg, bot):
    await bot.set_my_commands([BotCommand(command="start", description="Start")])
    await bot.set_my_commands([BotCommand(command="start", description="Tīmata")], language_code="mi")
    assert tg.commands[("default", "")] == [{"command": "start", "description": "Start"}]
    assert tg.commands[("default", "mi")] == [{"command": "start", "description": "Tīmata"}]
    mine = await bot.get_my_commands(scope=BotCommandScopeDefault(), language_code="mi")
    assert [command.description for command in mine] == ["Tīmata"]
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Start!", description="no")])


async def test_an_over_long_text_is_refused_with_400(tg, bot):
    tg.user(1001)
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(1001, "a" * 4097)
    await bot.send_message(1001, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")  # tags do not count
    assert tg.users[1001].messages[-1]["text"] == "a" * 4096


async def test_malformed_or_unescaped_html_is_refused_as_telegram_does(tg, bot):
    tg.user(1001)
    for text in ("<b>bold", "<script>x</script>", "1 < 2", "<b><i>x</b></i>"):
        with pytest.raises(TelegramBadRequest, match="can't parse entities"):
            await bot.send_message(1001, text, parse_mode="HTML")
    await bot.send_message(1001, "1 &lt; 2 &amp; <a href='https://x.nz'>link</a>", parse_mode="HTML")
    sent = tg.users[1001].messages[-1]
    assert sent["text"] == "1 < 2 & link"
    assert sent["entities"] == [{"type": "text_link", "url": "https://x.nz", "offset": 8, "length": 4}]


async def test_callback_data_of_65_bytes_is_refused(tg, bot):
    tg.user(1001)
    keyboard = InlineKeyboardBuilder().button(text="Too long", callback_data="x" * 65).as_markup()
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(1001, "Pick", reply_markup=keyboard)
    keyboard = InlineKeyboardBuilder().button(text="Fits", callback_data="ā" * 32).as_markup()  # 64 bytes
    await bot.send_message(1001, "Pick", reply_markup=keyboard)


async def test_messages_to_strangers_or_blockers_are_refused(tg, bot):
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(4242, "Hello?")
    tg.user(1001).blocked = True
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(1001, "Hello?")


async def test_repeated_edits_and_answers_are_refused_as_telegram_refuses_them(tg, bot):
    aroha = tg.user(1001)
    sent = await bot.send_message(1001, "Same")
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("Same", chat_id=1001, message_id=sent.message_id)
    query = await aroha.press(aroha.messages[-1], "anything")
    assert await bot.answer_callback_query(query["id"])
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query["id"])
    assert await bot.delete_message(1001, sent.message_id)
    assert sent.message_id in aroha.deleted
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(1001, sent.message_id)


async def test_an_injected_429_makes_aiogram_raise_retry_after(tg, bot):
    tg.user(1001)
    tg.fail_next("sendMessage", retry_after=7)
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(1001, "Hi")
    assert caught.value.retry_after == 7
    await bot.send_message(1001, "Hi")  # only the next call fails
    assert tg.stats.rate_limited == 1 and tg.stats.faults == 1


async def test_injected_server_errors_and_dropped_connections_reach_aiogram(tg, bot):
    tg.user(1001)
    tg.fail_next("sendMessage", status=502)
    with pytest.raises(TelegramServerError, match="Bad Gateway"):
        await bot.send_message(1001, "Hi")
    tg.fail_next("sendMessage", drop_connection=True)
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(1001, "Hi")


async def test_the_per_chat_flood_limit_answers_429_when_enabled(tg, bot):
    tg.user(1001)
    tg.per_chat_limit = 1
    await bot.send_message(1001, "one")
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(1001, "two")
    assert caught.value.retry_after == 1 and tg.stats.rate_limited == 1


async def test_a_wrong_token_is_unauthorized_and_an_unknown_method_not_found(tg):
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{tg.base_url}/bot1:wrong/getMe") as response:
            assert response.status == 401 and (await response.json())["description"] == "Unauthorized"
        async with http.post(f"{tg.base_url}/bot{tg.token}/launchRocket", json={}) as response:
            body = await response.json()
    assert response.status == 404
    assert body == {"ok": False, "error_code": 404, "description": "Not Found: method not found"}


async def test_polling_stops_cleanly_and_leaves_no_tasks_behind(tg):
    before = asyncio.all_tasks()
    bot = Bot(tg.token, session=AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url)))
    dispatcher = Dispatcher()
    dispatcher.include_router(echo_router())
    task = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False, polling_timeout=1))
    aroha = tg.user(1001)
    await aroha.send("ping")
    await aroha.next_message()  # polling is under way, and probably waiting in a long poll
    await dispatcher.stop_polling()
    await task
    assert asyncio.all_tasks() == before
    assert tg.requests_for("getUpdates")[-1]["timeout"] == 1
