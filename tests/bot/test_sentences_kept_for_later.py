"""A sentence waiting in the outbox (JSON in the database) is said exactly as it would have been said at once:
the Telegram channel sends every reply that way."""

from __future__ import annotations

from datetime import date

import pytest

from bot.language.i18n import Plain, Rendered, _, from_json, say, to_json


@pytest.mark.parametrize("language", ["en", "mi"])
@pytest.mark.parametrize("register", ["adult", "child"])
def test_a_list_already_said_inside_a_sentence_comes_back_as_it_was_said(language, register):
    lines = Rendered("• <b>CCSS</b> opened it on 3 March 2026\n• Aroha &amp; Mere")
    sentence = _("<b>Who has opened your information</b>\n{lines}", lines=lines)

    kept = say(from_json(to_json(sentence)), language, register)

    assert kept == say(sentence, language, register)
    assert "Rendered(" not in kept and "&amp;amp;" not in kept


def test_names_dates_and_sentences_inside_a_sentence_come_back_as_they_were():
    sentence = _("Request {ref} is due by {due}.", ref=Plain("CCSS-<1>"), due=date(2027, 1, 19))

    assert from_json(to_json(sentence)) == sentence
