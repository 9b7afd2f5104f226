"""Every sentence the code says exists in English and te reo Māori, for adults and young people."""

from __future__ import annotations

import re

import pytest
from babel.messages.catalog import Message
from babel.messages.pofile import read_po

from bot import catalogues
from bot.catalogues import extracted, problems
from bot.language.i18n import LANGUAGES, REGISTERS, _, po_path, say
from bot.language.names import PLACEHOLDERS as NAMES

PLACEHOLDER = re.compile(r"\{(\w+)\}")
TAG = re.compile(r"</?\w+>")


def test_no_sentence_lacks_a_translation_or_a_register_variant_and_the_compiled_catalogues_are_fresh():
    assert problems() == []


def _values(sentence: str) -> list[str]:
    """The sentence's own values; the programme's names ({provider}, {agency}...) a translation may add or leave."""
    return sorted(name for name in PLACEHOLDER.findall(sentence) if name not in NAMES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_translation_keeps_the_placeholders_and_tags_of_its_sentence(language):
    with po_path(language).open("rb") as handle:
        catalog = read_po(handle)

    for message in catalog:
        if message.id and message.string:
            where = f"{language} [{message.context}] {message.id!r}"
            assert _values(message.string) == _values(message.id), where
            assert sorted(TAG.findall(message.string)) == sorted(TAG.findall(message.id)), where


def test_a_translation_saying_a_placeholder_that_nothing_fills_is_reported_by_the_check():
    misspelt = Message("The agency has it", "Kei {agnecy}", context="adult")
    named = Message("The agency has it", "Kei {agency} · {Agency}", context="adult")

    assert catalogues._unknown_placeholders(misspelt) == ["agnecy"]
    assert catalogues._unknown_placeholders(named) == []


def test_the_te_reo_maori_catalogue_says_it_is_a_draft_for_a_translator():
    text = po_path("mi").read_text(encoding="utf-8")

    assert "DRAFT" in text.splitlines()[0]
    assert "Plural-Forms: nplurals=1; plural=0;" in text


def test_the_code_has_sentences_in_both_registers():
    contexts = {m.context for m in extracted() if m.id}

    assert contexts == set(REGISTERS)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("register", REGISTERS)
def test_a_sentence_is_said_in_each_language_and_register_with_values_escaped(language, register):
    text = _("Kia ora {name}!", name="<Aroha & co>")

    said = say(text, language, register)

    assert "&lt;Aroha &amp; co&gt;" in said


def test_a_new_sentence_waits_untranslated_in_te_reo_maori_not_filled_in_with_english(tmp_path, monkeypatch):
    copies = {}
    for language in LANGUAGES:
        copies[language] = tmp_path / language / "tono.po"
        copies[language].parent.mkdir()
        copies[language].write_bytes(po_path(language).read_bytes())
    real = catalogues.extracted

    def with_a_new_sentence():
        template = real()
        for register in REGISTERS:
            template.add("A sentence nobody has translated yet.", context=register)
        return template

    monkeypatch.setattr(catalogues, "po_path", copies.get)
    monkeypatch.setattr(catalogues, "extracted", with_a_new_sentence)

    catalogues.update()

    english, maori = catalogues.read("en"), catalogues.read("mi")
    new = "A sentence nobody has translated yet."
    assert english.get(new, context="adult").string == new
    assert maori.get(new, context="adult").string == "" and maori.get(new, context="child").string == ""
