"""Words of danger typed on Telegram: the safety answer reaches the family's chat at once, in their language
and register, through the real client libraries talking to the fake Bot API (tests/bot/telegram_channels.py),
and the normal next step still follows."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.models import ContactRequest
from tests.bot.telegram_channels import read_until

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


async def _urgent_notes(sessions) -> list[str]:
    async with sessions() as session:
        return [c.note for c in await session.exec(select(ContactRequest).where(ContactRequest.urgent))]


async def _until_button(user, label: str) -> None:
    for _ in range(12):
        message = await user.next_message()
        if any(b["text"] == label for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row):
            return
    raise AssertionError(f"no button {label!r}")


async def test_an_adult_typing_danger_in_the_note_for_a_worker_gets_111_and_adult_help_lines(telegram, sessions):
    fake, _channel = telegram
    aroha = fake.user(701, "Aroha")
    await aroha.send_command("/start")
    await read_until(aroha, "what happens to your information")
    await aroha.press_button("Not now")
    await read_until(aroha, "What would you like to do?")
    await aroha.press_button("Talk to a person")
    await read_until(aroha, "type what it is about")

    await aroha.send("I don’t feel safe at home")
    said = await read_until(aroha, "within 2 working days")

    texts = [m["text"] for m in said]
    safety = next(t for t in texts if "111" in t)
    assert texts.index(safety) < len(texts) - 1, "the safety answer comes first, then the usual thanks"
    assert "1737" in safety and "0800 733 843" in safety and "Youthline" not in safety
    assert await _urgent_notes(sessions) == ["I don’t feel safe at home"]


async def test_a_young_person_in_te_reo_typing_danger_at_the_menu_gets_youthline_in_te_reo(telegram, sessions):
    fake, _channel = telegram
    mere = fake.user(702, "Mere", language_code="mi")
    await mere.send_command("/start")
    for button in ("Kāore i tēnei wā", "He pakeke, he rangatahi rānei", "He rangatahi"):
        await _until_button(mere, button)
        await mere.press_button(button)
    await read_until(mere, "Ka pērā taku kōrero ki a koe")  # "I'll talk with you that way"

    await mere.send("kei te patu ia i a au")
    said = await read_until(mere, "111")

    safety = said[-1]["text"]
    assert safety.startswith("Mēnā kāore koe i te haumaru ināianei, waea atu ki 111.")
    assert "0800 376 633" in safety and "1737" not in safety
    assert await _urgent_notes(sessions) == ["kei te patu ia i a au"]
