"""Pacing at Telegram's limit: N notifications to N chats through a fake Bot API that answers 429 past
30 messages a second per bot and 1 a second per chat. Tono's outbox sender (bot/outbound/notifier.py with the
default pacer, bot/outbound/pacing.py) should get close to the allowed rate without ever being told to slow down.

    python -m benchmarks.pacing --notifications 1000 --json

`fraction_of_allowed` is the achieved rate (messages between the first and the last send, over that
time) divided by 30 a second; `rate_limited` counts the 429s the server answered.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks.chat_load import drop_database, fresh_database, run_from_command_line
from bot.chat.conversation import Conversations
from bot.language.i18n import Plain, to_json
from bot.models import ChatLink, Notification
from protocol.agreement import load_agreement
from tests.fakes.telegram_api import FakeTelegram
from tono.app import telegram_channel
from tono.database import make_engine, make_sessionmaker

ALLOWED_PER_S = 30


async def measure(notifications: int, database: str = "sqlite") -> dict:
    with tempfile.TemporaryDirectory() as workdir:
        url, dropped = fresh_database(database, Path(workdir))
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        async with FakeTelegram(per_chat_limit=1, global_limit=ALLOWED_PER_S) as fake:
            async with sessions.begin() as session:
                for n in range(notifications):
                    fake.user(50_000 + n)
                    link = ChatLink(channel="telegram", chat_key=str(50_000 + n), language="en")
                    session.add(link)
                    await session.flush()
                    session.add(Notification(chat_link_id=link.id, text=to_json(Plain(f"News number {n}."))))
            channel = telegram_channel("aiogram", fake.token, Conversations(sessions, load_agreement()),
                                       api_base=fake.base_url)
            try:
                while await channel.notifier.deliver():
                    pass
            finally:
                await channel.stop()
            times = sorted(when for _chat, when in fake.paced)
            arrived = sum(len(user.messages) for user in fake.users.values())
        await engine.dispose()
        drop_database(dropped)
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    rate = (len(times) - 1) / span if span else 0.0
    return {
        "notifications": notifications, "arrived": arrived, "seconds": round(span, 2),
        "messages_per_s": round(rate, 2), "fraction_of_allowed": round(rate / ALLOWED_PER_S, 3),
        "rate_limited": fake.stats.rate_limited, "database": database,
    }


def main() -> None:
    run_from_command_line(__doc__, "notifications", 1000, measure)


if __name__ == "__main__":
    main()
