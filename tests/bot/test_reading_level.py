"""Plain language, measured: English sentences for young people read at Flesch-Kincaid grade 4 or below,
for adults at grade 8 or below (DESIGN.md §5). Te reo Māori has no such formula; people check it.

Flesch-Kincaid is a formula for running prose: on a button label of three words a single long word swings
it wildly, so texts of fewer than eight words are left to the people who read them."""

from __future__ import annotations

import re

import pytest
import textstat
from babel.messages.pofile import read_po

from bot.language.i18n import po_path

LIMITS = {"child": 4.0, "adult": 8.0}
MIN_WORDS = 8


def _prose(text: str) -> str:
    text = re.sub(r"</?\w+>", "", text)  # chat formatting
    text = re.sub(r"\{\w+\}", "it", text)  # a value to fill in reads as one short word
    return re.sub(r"\s+", " ", text).strip()


def _entries():
    with po_path("en").open("rb") as handle:
        for message in read_po(handle):
            if message.id and message.string and len(_prose(message.string).split()) >= MIN_WORDS:
                yield message.context, _prose(message.string)


@pytest.mark.parametrize("register", ["child", "adult"])
def test_english_sentences_read_at_the_level_of_their_register(register):
    too_hard = [(round(textstat.flesch_kincaid_grade(text), 1), text) for context, text in _entries()
                if context == register and textstat.flesch_kincaid_grade(text) > LIMITS[register]]

    assert not too_hard, "\n".join(f"grade {grade}: {text}" for grade, text in sorted(too_hard, reverse=True))
