"""A family's press that Telegram counts as delivered must not die with the bot.

With long polling, the bot confirms updates by asking for the next ones (getUpdates with a higher
offset); Telegram then forgets them. aiogram's own polling hands each update to a task and asks for the
next ones at once (python-telegram-bot's Updater too), so the confirmation reached Telegram before the turn
was saved, and a SIGKILL in between lost the press for good (the crash tests found it). Tono's polling
confirms a batch only once every turn in it is committed, on either library (TELEGRAM_LIBRARY). Here the bot
is killed at the exact moment its confirmation reaches the fake Telegram: whatever Telegram has forgotten by
then must be in the bot's database.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from tests.crash.harness import RecordingTelegram, Server, build_template
from tests.crash.journey import CHAT_ID, actions_of

pytestmark = pytest.mark.slow


class KillOnConfirm(RecordingTelegram):
    """Kills the server the moment a getUpdates confirms (offset past) the update it watches."""

    server: Server | None = None
    watched: int | None = None

    async def _m_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.watched is not None and (params.get("offset") or 0) > self.watched and self.server.running:
            self.watched = None
            self.server.kill()
        return await super()._m_getUpdates(params)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return build_template(tmp_path_factory.mktemp("updates") / "template")


async def _until(check, server: Server, what: str, limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while not check():
        server.check_alive()
        assert time.monotonic() < deadline, f"{what} never happened\n{server.log_tail()}"
        await asyncio.sleep(0.05)


def _buttons_after(family, seen: int, action: str) -> bool:
    return any(a.endswith(f":{action}") for m in family.messages[seen:] for a in actions_of(m))


@pytest.mark.parametrize("library", ["aiogram", "python-telegram-bot"])
async def test_a_press_confirmed_to_telegram_is_applied_after_the_bot_is_killed_at_that_moment(template, tmp_path,
                                                                                             library):
    async with KillOnConfirm() as telegram:
        server = telegram.server = Server(tmp_path / "run", template, telegram)
        server.env["TELEGRAM_LIBRARY"] = library
        family = telegram.user(CHAT_ID, "Aroha", language_code="mi")
        server.start()
        try:
            await family.send_command("/start", template.code)
            await _until(lambda: _buttons_after(family, 0, "no"), server, "the first question")
            seen = len(family.messages)
            question = next(m for m in reversed(family.messages) if any(a.endswith(":no") for a in actions_of(m)))
            await family.press(question, next(a for a in actions_of(question) if a.endswith(":no")))
            press = telegram.watched = telegram.queued[-1]
            await _until(lambda: not server.running, server, "the kill at the confirmation")

            # Telegram has forgotten the press; only the bot's database can still have it.
            saved = bool(server.query("SELECT 1 FROM provider_seen_update WHERE key = ?", f"tg:{press}"))
            assert saved or press in telegram.pending(), "the press died with the bot"
            server.start()
            await _until(lambda: _buttons_after(family, seen, "access"), server, "the answer to the press")
        finally:
            await server.stop()

    assert server.kills == 1
