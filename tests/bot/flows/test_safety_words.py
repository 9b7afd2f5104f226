"""Words of danger or distress (bot/flows/safety.py), from the side of the family who types them: which words
raise the safety answer, which ordinary sentences must not, and that every place a family types is heard."""

from __future__ import annotations

import pytest

from bot.flows import STEPS
from bot.flows.safety import phrases, sounds_unsafe, words_of
from protocol.agreement import load_agreement
from tests.bot.chat_driver import TODAY, FamilyChat
from tests.fakes.family_port import FakeFamily, FakePerson, MemoryConversations

# As people type them: curly and straight apostrophes, none at all, capitals, punctuation, no macrons.
DANGER = [
    "I don't feel safe at home",
    "i dont feel safe",
    "I DON’T FEEL SAFE!!",
    "He hits me when he drinks",
    "my partner is hurting me",
    "I want to die",
    "sometimes I think about suicide",
    "i want to kill myself",
    "I'm scared to go home tonight",
    "we are not safe. please ring",
    "self-harm",
    "my kids are in danger",
    "Kāore au i te haumaru",
    "kaore au i te haumaru",  # no macron key
    "KEI TE PATU IA I A AU",
    "e tukinotia ana au",
    "kei te hiahia au ki te mate",
]

# Ordinary sentences a family writes to Tono. Deliberately NOT matched: "safe" on its own ("my son is safe
# now"), "hit" in "it hit me", "beats me" (I don't know), "hurt" in a meeting's name, a record that names
# family violence as a topic, "help me" asking for help with the file, danger that is about the information
# ("not safe to email"), and te reo "ka mate" (the haka) and "āwhinatia mai" (help me) with a file.
ORDINARY = [
    "I want to see my file",
    "my son is safe now",
    "Please keep my information safe",
    "is it safe to send my details here?",
    "It is not safe to email my file, please post it",
    "it hit me how late the report was",
    "Beats me why they wrote that",
    "The Hurts Meeting notes have my name wrong",
    "the report says there was family violence in 2019 but that is wrong",
    "please help me understand my records",
    "My daughter's school report is wrong",
    "My name is spelled wrong: it should be Ngāire",
    "Hemi Walker",
    "I'd like to talk about my son's attendance",
    "Please ring me after 3pm",
    "Ka mate, ka mate, ka ora, ka ora",
    "Āwhinatia mai ki te kimi i taku kōnae",
    "Kei te hē te ingoa o taku tamaiti",
    "Kei te pai ahau, kei te haumaru mātou ināianei",
]


@pytest.mark.parametrize("typed", DANGER)
def test_words_of_danger_are_heard_whatever_the_case_punctuation_apostrophes_or_macrons(typed):
    assert sounds_unsafe(typed)


@pytest.mark.parametrize("typed", ORDINARY)
def test_an_ordinary_sentence_raises_no_alarm(typed):
    assert not sounds_unsafe(typed)


def test_every_phrase_in_the_lists_is_heard_and_alone_no_ordinary_sentence_holds_one():
    for phrase in phrases():
        assert sounds_unsafe(phrase.strip())
        assert not any(phrase in words_of(sentence) for sentence in ORDINARY), phrase


def test_a_phrase_matches_whole_words_only():
    assert sounds_unsafe("suicide") and not sounds_unsafe("suicideprevention.nz")
    assert words_of("Don’t  feel—safe…") == " dont feel safe "


@pytest.fixture
def new_chat():
    family = FakeFamily(load_agreement(), TODAY, [FakePerson(1, "Aroha", code="aroha-code")])
    conversations = MemoryConversations(family)
    counter = iter(range(1, 1000))
    return family, lambda: FamilyChat(conversations, f"memory-{next(counter)}", "en")


FREE_TEXT_STEPS = sorted(name for name, step in STEPS.items() if step.on_text is not None)


@pytest.mark.parametrize("step", [*FREE_TEXT_STEPS, "menu"])
async def test_words_of_danger_typed_at_any_step_are_answered_first_and_raised_with_staff(new_chat, step):
    family, make = new_chat
    chat = make()
    await chat.command("start", "aroha-code")
    _chat, state = chat.conversations.chats[f"test:{chat.key}"]
    state.step, state.data = step, {"kind": "access", "subject": "self"}  # as if the family had walked there

    await chat.send("I don't feel safe at home")

    assert chat.texts[0].startswith("If you or someone with you is in danger now, call 111.")
    assert family.concerns == ["I don't feel safe at home"]


async def test_a_danger_phrase_in_the_note_for_a_worker_still_keeps_the_note(new_chat):
    family, make = new_chat
    chat = make()
    await chat.command("start", "aroha-code")
    await chat.press("Not now")
    await chat.press("Talk to a person")

    await chat.send("He hits me. Please call")

    assert "call 111" in chat.texts[0] and "within 2 working days" in chat.all_text
    assert family.notes == ["He hits me. Please call"]
