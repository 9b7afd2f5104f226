""""How was my information used?" in the chat, on the in-memory provider: each outcome a unit reported against
reports that carried the family's information, in the family's language and register (a template from the
catalogues with the unit's name from the agreement, or the version the unit wrote for that reader), with what it
used and, for a parent, which children's information. The database side is tests/tono/test_outcomes_journey.py."""

from __future__ import annotations

from datetime import date

import pytest

from bot.flows.ports import Use
from protocol.agreement import load_agreement
from tests.bot.chat_driver import TODAY, FamilyChat
from tests.fakes.family_port import FakeFamily, FakePerson, MemoryConversations

AGREEMENT = load_agreement()
WRITTEN = {"en": {"adult": "Home visits were well used.", "child": "Families liked home visits."},
           "mi": {"adult": "He nui te whakamahinga o ngā toronga ā-kāinga.",
                  "child": "I pai ngā whānau ki ngā toronga."}}
TEMPLATED = Use(date(2026, 12, 14), "decision", "evaluation", "evaluation-changed-programme", None,
                ("survey-answers",), ("Mere",), mine=True)
OWN_WORDS = Use(date(2026, 12, 1), "report", "service-reporting", None, WRITTEN, ("attendance",))


@pytest.fixture
def family():
    aroha = FakePerson(1, "Aroha", may_ask_for=[2], code="aroha-code")
    made = FakeFamily(AGREEMENT, TODAY, [aroha, FakePerson(2, "Mere")])
    made.uses = [TEMPLATED, OWN_WORDS]
    return made


@pytest.fixture
def new_chat(family):
    conversations = MemoryConversations(family)
    counter = iter(range(1, 1000))
    return lambda hint="en": FamilyChat(conversations, f"memory-{next(counter)}", hint)


@pytest.mark.parametrize(("language", "register", "template_words", "whose"), [
    ("en", "adult", "used what the evaluation found to make changes to how Best foot forward is run",
     "It used information about you and Mere."),
    ("en", "child", "looked at what the study found. Then they changed how Best foot forward works",
     "It used information about you and Mere."),
    ("mi", "adult", "ngā kitenga o te aromatawai hei whakarerekē i te whakahaere o", "mōu, mō Mere hoki"),
    ("mi", "child", "ngā kitenga o te rangahau", "mōu, mō Mere hoki"),
])
async def test_each_outcome_is_told_in_the_family_s_language_and_register(new_chat, language, register,
                                                                          template_words, whose):
    chat = new_chat()
    await chat.command("start", "aroha-code")
    await chat.press("Not now")
    await chat.press_action("language")
    await chat.press_action(f"lang:{language}")
    await chat.press_action("register")
    await chat.press_action(f"reg:{register}")

    await chat.press_action("information")
    await chat.press_action("uses")

    text = chat.all_text
    assert template_words in text
    assert AGREEMENT.text(AGREEMENT.unit("evaluation").name, language, register) in text
    assert WRITTEN[language][register] in text  # the unit's own words for this reader, never another version
    assert all(WRITTEN[lang][reg] not in text for lang in WRITTEN for reg in WRITTEN[lang]
               if (lang, reg) != (language, register))
    assert AGREEMENT.text(AGREEMENT.flow("attendance").what, language, register) in text
    assert whose in text


async def test_with_no_outcome_the_family_is_told_none_was_reported(new_chat, family):
    family.uses = []
    chat = new_chat()
    await chat.command("start", "aroha-code")
    await chat.press("Not now")
    await chat.press("My information")
    await chat.press("How was my information used?")

    assert "The agency has not told us of any." in chat.all_text
