"""The notification outbox and its sender: in order per chat, paced under Telegram's limits, waiting out
429s, backing off from 502s and dropped connections, never sending a message or a part of one twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select

from bot.chat.conversation import Conversations
from bot.language.i18n import Plain, from_json, say, to_json
from bot.models import ChatLink, Notification
from bot.outbound.notifier import Notifier
from bot.outbound.pacing import Pacer
from bot.outbound.push import RetryAfter, Undeliverable
from protocol.agreement import load_agreement
from protocol.clock import utcnow
from tests.bot.chat_driver import TODAY
from tests.fakes.telegram_api import FakeTelegram

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


async def queue(sessions, messages: dict[str, list[str]], channel: str = "telegram") -> dict[str, int]:
    """Chats (by key) with the texts queued for each, oldest first; returns each chat's link id."""
    links = {}
    async with sessions.begin() as session:
        for key, texts in messages.items():
            link = ChatLink(channel=channel, chat_key=key, language="en")
            session.add(link)
            await session.flush()
            links[key] = link.id
            session.add_all(Notification(chat_link_id=link.id, text=to_json(Plain(text))) for text in texts)
    return links


async def until_all_sent(notifier: Notifier, sessions, rounds: int = 60) -> None:
    """Deliver, and again after each back-off, until nothing is left to send."""
    for _ in range(rounds):
        await notifier.deliver()
        async with sessions() as session:
            left = (await session.exec(select(Notification).where(
                Notification.sent_at.is_(None), Notification.failed_at.is_(None)))).all()
        if not left:
            return
        async with sessions.begin() as session:  # skip the back-off's wait: the test is about what arrives
            for row in left:
                row.next_attempt_at = utcnow()
                session.add(row)
        await asyncio.sleep(0.05)
    raise AssertionError("messages were still waiting after every round")


class Recorder:
    """A push target that records what it was given and fails when told to."""

    channel = "telegram"
    text_limit = 20

    def __init__(self):
        self.sent: list[tuple[str, str]] = []
        self.failures: dict[str, list[Exception]] = {}

    def fail(self, chat_key: str, error: Exception) -> None:
        self.failures.setdefault(chat_key, []).append(error)

    async def send_text(self, chat_key, text, keyboard):
        if self.failures.get(chat_key):
            raise self.failures[chat_key].pop(0)
        self.sent.append((chat_key, text))

    async def send_document(self, chat_key, filename, content, caption, keyboard):
        await self.send_text(chat_key, f"[{filename}] {caption}", keyboard)


def quick_pacer() -> Pacer:
    return Pacer(per_chat=1000, burst=1000, overall=1000)


async def test_messages_reach_each_chat_once_and_in_the_order_they_were_decided(sessions):
    target = Recorder()
    await queue(sessions, {"1": ["one", "two", "three"], "2": ["uno", "dos"]})

    await Notifier(sessions, target, quick_pacer()).deliver()

    assert [text for key, text in target.sent if key == "1"] == ["one", "two", "three"]
    assert [text for key, text in target.sent if key == "2"] == ["uno", "dos"]
    assert len(target.sent) == 5


async def test_a_failing_message_holds_back_the_later_ones_in_its_chat_but_not_other_chats(sessions):
    target = Recorder()
    await queue(sessions, {"1": ["first", "second"]})
    await queue(sessions, {"2": ["other chat"]})
    target.fail("1", ConnectionError("dropped"))
    notifier = Notifier(sessions, target, quick_pacer())

    await notifier.deliver()
    held = list(target.sent)
    await until_all_sent(notifier, sessions)

    assert ("1", "second") not in held, "a later message never overtakes an earlier one in the same chat"
    assert [text for key, text in target.sent if key == "1"] == ["first", "second"]
    async with sessions() as session:
        first = (await session.exec(select(Notification).where(Notification.id == 1))).one()
    assert first.attempts == 1 and "ConnectionError" in first.last_error


async def test_a_server_error_backs_off_before_trying_again(sessions):
    target = Recorder()
    await queue(sessions, {"1": ["hello"]})
    target.fail("1", RuntimeError("502 Bad Gateway"))

    await Notifier(sessions, target, quick_pacer()).deliver()

    async with sessions() as session:
        row = (await session.exec(select(Notification))).one()
    assert row.sent_at is None and row.claimed_until is None
    assert row.next_attempt_at - utcnow() > timedelta(milliseconds=500), "the retry waits"


async def test_a_refusal_for_good_is_recorded_and_the_chat_moves_on(sessions):
    target = Recorder()
    await queue(sessions, {"1": ["blocked one", "next"]})
    target.fail("1", Undeliverable("Forbidden: bot was blocked by the user"))

    await Notifier(sessions, target, quick_pacer()).deliver()

    async with sessions() as session:
        rows = (await session.exec(select(Notification).order_by(Notification.id))).all()
    assert rows[0].failed_at is not None and "blocked" in rows[0].last_error
    assert rows[1].sent_at is not None
    assert target.sent == [("1", "next")]


async def test_a_429_pauses_all_sending_for_its_retry_after_and_costs_no_attempt(sessions):
    target = Recorder()
    await queue(sessions, {"1": ["hello"]})
    target.fail("1", RetryAfter(0.3))
    pacer = quick_pacer()
    notifier = Notifier(sessions, target, pacer)

    started = asyncio.get_running_loop().time()
    await notifier.deliver()
    waited = asyncio.get_running_loop().time() - started

    assert target.sent == [("1", "hello")]
    assert waited >= 0.29
    async with sessions() as session:
        assert (await session.exec(select(Notification))).one().attempts == 0


async def test_a_long_text_sent_in_parts_never_sends_a_part_twice_when_a_later_part_fails(sessions):
    target = Recorder()  # text_limit 20: this text goes in three parts
    await queue(sessions, {"1": ["alpha bravo charlie delta echo foxtrot golf hotel india"]})
    notifier = Notifier(sessions, target, quick_pacer())

    calls = 0
    original = target.send_text

    async def send_text(chat_key, text, keyboard):
        nonlocal calls
        calls += 1
        if calls == 2:
            raise ConnectionError("dropped")
        await original(chat_key, text, keyboard)

    target.send_text = send_text
    await until_all_sent(notifier, sessions)

    texts = [text for _key, text in target.sent]
    assert " ".join(texts) == "alpha bravo charlie delta echo foxtrot golf hotel india"
    assert len(texts) == len(set(texts)) == 3


async def test_a_message_whose_sender_died_mid_send_is_sent_again_and_counted_in_doubt(sessions):
    target = Recorder()
    await queue(sessions, {"1": ["hello"]})
    async with sessions.begin() as session:  # a sender claimed it and then died (its lease ran out)
        row = (await session.exec(select(Notification))).one()
        row.claimed_until = utcnow() - timedelta(seconds=1)
        session.add(row)

    await Notifier(sessions, target, quick_pacer()).deliver()

    async with sessions() as session:
        row = (await session.exec(select(Notification))).one()
    assert target.sent == [("1", "hello")]
    assert row.in_doubt == 1 and row.sent_at is not None


async def test_a_message_another_sender_holds_is_left_alone_until_its_lease_runs_out(sessions):
    target = Recorder()
    await queue(sessions, {"1": ["hello"]})
    async with sessions.begin() as session:
        row = (await session.exec(select(Notification))).one()
        row.claimed_until = utcnow() + timedelta(seconds=30)
        session.add(row)

    await Notifier(sessions, target, quick_pacer()).deliver()

    assert target.sent == []


async def test_two_senders_on_one_database_send_each_message_once(sessions):
    target = Recorder()
    await queue(sessions, {str(chat): [f"m{chat}-{n}" for n in range(3)] for chat in range(8)})

    await asyncio.gather(Notifier(sessions, target, quick_pacer()).deliver(),
                         Notifier(sessions, target, quick_pacer()).deliver())

    assert sorted(text for _key, text in target.sent) == sorted(f"m{c}-{n}" for c in range(8) for n in range(3))
    for chat in range(8):
        assert [t for k, t in target.sent if k == str(chat)] == [f"m{chat}-{n}" for n in range(3)]


async def test_a_document_is_not_kept_in_the_outbox_once_sent(sessions):
    target = Recorder()
    links = await queue(sessions, {"1": []})
    async with sessions.begin() as session:
        session.add(Notification(chat_link_id=links["1"], text=to_json(Plain("Your copies")),
                                 document_name="BFF-1.pdf", document=b"%PDF-1.7 ..."))

    await Notifier(sessions, target, quick_pacer()).deliver()

    async with sessions() as session:
        row = (await session.exec(select(Notification))).one()
    assert target.sent == [("1", "[BFF-1.pdf] Your copies")]
    assert row.document is None and row.sent_at is not None


# --- each library's real client (aiogram, python-telegram-bot) against a fake Bot API that misbehaves -------


@pytest.fixture
async def flooding_telegram(sessions, new_telegram_channel):
    """Telegram's limits enforced with 429s: about 1 a second in one chat (short bursts of 3 tolerated)
    and 30 a second overall."""
    async with FakeTelegram(per_chat_limit=1, per_chat_burst=3, global_limit=30) as fake:
        channel = new_telegram_channel(fake.token, Conversations(sessions, load_agreement(), today=lambda: TODAY),
                                       api_base=fake.base_url)
        try:
            yield fake, channel
        finally:
            await channel.stop()


def texts_received(fake: FakeTelegram, user_id: int) -> list[str]:
    return [m["text"] for m in fake.users[user_id].messages if "edit_date" not in m]


async def test_every_message_arrives_once_through_429s_502s_and_dropped_connections(flooding_telegram, sessions):
    fake, channel = flooding_telegram
    chats = {str(1000 + n): [f"chat {n} message {i}" for i in range(5)] for n in range(6)}
    for key in chats:
        fake.user(int(key))
    await queue(sessions, chats)
    fake.fail_next("sendMessage", 429, retry_after=1)
    fake.fail_next("sendMessage", 502, times=2)
    fake.fail_next("sendMessage", drop_connection=True)

    await until_all_sent(channel.notifier, sessions)

    for key, expected in chats.items():
        assert texts_received(fake, int(key)) == expected, f"chat {key} got each message once, in order"
    assert fake.stats.faults == 4
    assert fake.stats.rate_limited == 1, "the only 429 was the injected one: pacing kept within the limits"


async def test_a_family_who_blocked_the_bot_and_a_chat_telegram_does_not_know_are_refusals_for_good(
        flooding_telegram, sessions):
    fake, channel = flooding_telegram
    fake.user(3001).blocked = True  # 403; chat 3002 never started the bot: 400 "chat not found"
    await queue(sessions, {"3001": ["one", "two"], "3002": ["to nobody"]})

    await channel.notifier.deliver()

    async with sessions() as session:
        rows = (await session.exec(select(Notification).order_by(Notification.id))).all()
    assert all(row.failed_at is not None and row.attempts == 0 for row in rows), "recorded, not retried"
    assert ["blocked" in row.last_error for row in rows] == [True, True, False]
    assert "chat not found" in rows[2].last_error.lower()  # python-telegram-bot drops "Bad Request: "
    assert len(fake.requests_for("sendMessage")) == 3, "each tried once"


async def test_sixty_chats_at_once_stay_under_thirty_messages_a_second(flooding_telegram, sessions):
    fake, channel = flooding_telegram
    chats = {str(2000 + n): [f"news for {n}"] for n in range(60)}
    for key in chats:
        fake.user(int(key))
    await queue(sessions, chats)

    await until_all_sent(channel.notifier, sessions)

    assert all(texts_received(fake, int(key)) == texts for key, texts in chats.items())
    assert fake.stats.rate_limited == 0
    times = sorted(when for _chat, when in fake.paced)
    busiest = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
    assert busiest <= 30


def help_update(update_id: int, chat_id: int = 501) -> dict:
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": 0, "text": "/help", "chat": {"id": chat_id, "type": "private",
                                                                     "first_name": "Aroha"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "Aroha"}}}


async def test_a_turns_replies_are_saved_with_the_turn_and_sent_straight_away(flooding_telegram, sessions):
    fake, channel = flooding_telegram
    fake.user(501, "Aroha")

    await channel.feed(help_update(1))
    await channel.flush()

    async with sessions() as session:
        rows = (await session.exec(select(Notification))).all()
    assert rows and all(row.sent_at is not None and row.claimed_until is None for row in rows)
    assert len(texts_received(fake, 501)) == len(rows)


async def test_a_turns_replies_wait_behind_older_news_in_the_same_chat(flooding_telegram, sessions):
    fake, channel = flooding_telegram
    fake.user(501, "Aroha")
    await channel.feed(help_update(1))  # the chat exists now
    await channel.flush()
    async with sessions.begin() as session:
        link = (await session.exec(select(ChatLink))).one()
        session.add(Notification(chat_link_id=link.id, text=to_json(Plain("Older news")),
                                 next_attempt_at=utcnow() + timedelta(seconds=1)))  # e.g. backing off

    await channel.feed(help_update(2))
    await channel.flush()
    before = texts_received(fake, 501)
    await asyncio.sleep(1.1)
    await channel.notifier.deliver()
    after = texts_received(fake, 501)

    assert "Older news" not in before
    assert after[len(before)] == "Older news", "the news went first, then the turn's replies"
    assert len(after) > len(before) + 1


async def test_when_a_turns_reply_cannot_go_the_rest_of_the_turn_waits_and_goes_in_order(flooding_telegram,
                                                                                        sessions):
    fake, channel = flooding_telegram
    fake.user(501, "Aroha")
    fake.fail_next("sendMessage", 502)

    await channel.feed(help_update(1))
    await channel.flush()
    first = texts_received(fake, 501)
    await until_all_sent(channel.notifier, sessions)

    async with sessions() as session:
        rows = (await session.exec(select(Notification).order_by(Notification.id))).all()
    assert first == []
    assert texts_received(fake, 501) == [say(from_json(row.text), "en", "adult") for row in rows], "in order, once"
    assert rows[0].attempts == 1 and all(row.in_doubt == 0 for row in rows)


async def test_an_update_whose_turn_failed_is_not_confirmed_so_telegram_gives_it_again(flooding_telegram, sessions):
    fake, channel = flooding_telegram
    aroha = fake.user(501, "Aroha")
    handle, failed = channel.conversations.handle, []

    async def fails_once(*args, **kwargs):
        if not failed:
            failed.append(True)
            raise ConnectionError("the database went away mid-turn")
        return await handle(*args, **kwargs)

    channel.conversations.handle = fails_once
    await channel.start_polling()
    await aroha.send_command("/help")
    reply = await aroha.next_message(timeout=10)

    await asyncio.sleep(0.5)
    await channel.flush()

    assert failed, "the first try failed"
    assert reply["text"], "the same update came again and was answered"
    texts = texts_received(fake, 501)
    assert len(texts) == len(set(texts)), "and answered once"


async def test_on_sqlite_marking_a_message_sent_does_not_wait_for_the_disk_but_every_other_commit_does(sessions):
    statements: list[str] = []

    @event.listens_for(sessions.kw["bind"].sync_engine, "before_cursor_execute")  # gone with the test's engine
    def record(_connection, _cursor, sql, *_rest):
        statements.append(sql)

    await queue(sessions, {"1": ["one"]})
    await Notifier(sessions, Recorder(), quick_pacer()).deliver()
    marks = [i for i, sql in enumerate(statements) if sql.startswith("UPDATE provider_notification SET")
             and "sent_at" in sql]
    assert len(marks) == 1
    setting = [sql for sql in statements[:marks[0]] if sql.startswith("PRAGMA synchronous")][-1]
    assert setting == "PRAGMA synchronous=NORMAL"
    assert statements[0] == "PRAGMA synchronous=FULL", "queueing the message is an ordinary, durable commit"
