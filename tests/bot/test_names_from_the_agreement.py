"""The provider's, the agency's and the programme's names come from the agreement, never from a sentence: the
family reads the same words as before, and another agreement file is all a second programme needs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from babel.messages.pofile import read_po

from bot.chat.conversation import Conversations
from bot.language.i18n import LANGUAGES, REGISTERS, Text, _, po_path, say, use_agreement_names
from bot.language.names import names_by_language
from protocol.agreement import DEFAULT_AGREEMENT_PATH, load_agreement
from tests.bot.chat_driver import TODAY, FamilyChat

# Every catalogue entry in all four versions, as Tono said it before the names moved into the agreement
# (rendered by say() from the catalogues of commit 01659ad, each sentence's values filled with '[name]'). A
# sentence removed since on purpose is removed from here too; one added since is not in it.
BEFORE = Path(__file__).parent / "fixtures" / "family_words_before_rooms.json"


def _catalogue(language: str):
    with po_path(language).open("rb") as handle:
        return read_po(handle)


# A sentence's own value that was called what a name's placeholder is now, and so was renamed.
RENAMED_VALUES = {"agency": "other_agency"}


def _msgid_today(old: str) -> str:
    """An old sentence with each name it wrote replaced by its placeholder: the sentence as it is now.
    Computed from the agreement's English names, so the test does not write the names itself."""
    for value, renamed in RENAMED_VALUES.items():
        old = old.replace("{" + value + "}", "{" + renamed + "}")
    english = names_by_language(load_agreement())["en"]
    placeholder_of = {english[key]: key for key in ("provider_full", "agency_full", "programme_full")}
    placeholder_of |= {english[key]: key for key in ("provider", "agency", "programme")}  # short wins a tie
    for name in sorted(placeholder_of, key=len, reverse=True):
        old = old.replace(name, "{" + placeholder_of[name] + "}")
    return old


# Sentences retired on purpose since, each with why: no longer said, so not looked for.
RETIRED = {
    "{day}: {summary}": "[reporting]: an outcome now names the reports that informed it, in the reader's version",
}


def test_the_family_reads_the_same_words_as_before_in_all_four_versions():
    before = {old: said for old, said in json.loads(BEFORE.read_text(encoding="utf-8")).items() if old not in RETIRED}
    today = {message.id for message in _catalogue("en") if message.id}
    renamed = 0

    for old, said in before.items():
        msgid = _msgid_today(old)
        assert msgid in today, f"{old!r} is no longer in the catalogues (looked for {msgid!r})"
        renamed += msgid != old
        params = {RENAMED_VALUES.get(name, name): value for name, value in said["params"].items()}
        for language in LANGUAGES:
            for register in REGISTERS:
                version = f"{language}/{register}"
                assert say(Text(msgid, params), language, register) == said[version], (version, msgid)

    assert len(before) > 200 and renamed >= 30  # the fixture is every entry, and the names did move


def _names_a_family_may_read() -> set[str]:
    agreement = load_agreement()
    names = {value for by_name in names_by_language(agreement).values() for value in by_name.values()}
    for unit in agreement.units:
        names |= {unit.name.variant(language, register) for language in LANGUAGES for register in REGISTERS}
    return names


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_catalogue_sentence_names_the_provider_the_agency_a_unit_or_the_programme(language):
    names = _names_a_family_may_read()
    assert {"CCSS", "City Centre Social Services", "Best foot forward", "te Manatū", "Te Manatū"} <= names

    for message in _catalogue(language):
        if message.id:
            for text in (message.id, message.string):
                named = sorted(name for name in names if name in text)
                assert not named, f"{language} [{message.context}] {message.id!r} writes {named} into the sentence"


@pytest.fixture
def other_programme(tmp_path):
    """A copy of the demo agreement for another provider, agency and programme: only the names differ."""
    data = yaml.safe_load(DEFAULT_AGREEMENT_PATH.read_text(encoding="utf-8"))
    data["parties"]["ccss"]["names"] = {language: {"short": "WCFS", "full": "West Coast Family Services"}
                                        for language in LANGUAGES}
    data["parties"]["agency"]["names"]["mi"]["short"] = "te Tari"
    data["programme"]["names"] = {language: {"short": "Step by step", "full": "Step by step"}
                                  for language in LANGUAGES}
    path = tmp_path / "step_by_step.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    agreement = load_agreement(path)
    use_agreement_names(agreement)
    yield agreement
    use_agreement_names(load_agreement())  # the other tests speak for Best foot forward


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("language", LANGUAGES)
async def test_another_agreement_file_is_all_a_second_programme_needs_for_the_family_to_read_its_names(
        other_programme, sessions, language):
    chat = FamilyChat(Conversations(sessions, other_programme, today=lambda: TODAY), "chat-1", language)

    await chat.command("start")

    welcome = chat.history[0]
    assert "West Coast Family Services (WCFS)" in welcome and "Step by step" in welcome
    assert "CCSS" not in welcome and "City Centre" not in welcome and "Best foot forward" not in welcome


def test_the_agencys_te_reo_name_comes_from_the_agreement_with_a_capital_where_a_sentence_starts(
        other_programme):
    from bot.flows.requests import HOLDERS
    from bot.flows.status import STATUS

    said = [say(STATUS["relayed"], "mi", "adult"), say(HOLDERS["agency"], "mi", "adult")]

    assert said == ["Kua tukuna e WCFS tō tono ki te Tari.", "Te Tari"]


def test_a_sentence_naming_a_party_before_tono_was_given_an_agreement_says_how_to_give_it(monkeypatch):
    from bot.flows.status import STATUS
    from bot.language import i18n

    monkeypatch.setattr(i18n, "_names", {})

    with pytest.raises(LookupError, match="use_agreement_names"):
        say(STATUS["relayed"], "en", "adult")


def test_a_sentences_own_value_may_not_take_a_names_placeholder():
    with pytest.raises(ValueError, match="agency"):
        _("The agency sent your request to {agency}.", agency="Oranga Tamariki")
