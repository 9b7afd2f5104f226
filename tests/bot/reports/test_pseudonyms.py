"""Study numbers only the provider can undo: keyed, stable, different for each unit, never built from a name."""

from __future__ import annotations

import re
import secrets

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.reports import pseudonyms
from protocol.messages import IDENTIFIER

KEY = bytes(range(32))


def test_a_persons_study_number_is_the_same_each_time_for_one_unit():
    unit = pseudonyms.unit_key(KEY, "evaluation", False)

    assert pseudonyms.study_number(unit, 7) == pseudonyms.study_number(pseudonyms.unit_key(KEY, "evaluation", False), 7)


def test_two_units_get_different_study_numbers_and_row_ids_for_the_same_person_and_row():
    evaluation = pseudonyms.unit_key(KEY, "evaluation", False)
    reporting = pseudonyms.unit_key(KEY, "service-reporting", False)

    assert pseudonyms.study_number(evaluation, 7) != pseudonyms.study_number(reporting, 7)
    assert pseudonyms.row_id(evaluation, 70) != pseudonyms.row_id(reporting, 70)


def test_units_the_agreement_lets_link_share_study_numbers():
    evaluation = pseudonyms.unit_key(KEY, "evaluation", True)
    reporting = pseudonyms.unit_key(KEY, "service-reporting", True)

    assert pseudonyms.study_number(evaluation, 7) == pseudonyms.study_number(reporting, 7)


def test_another_providers_key_gives_other_numbers():
    mine = pseudonyms.unit_key(KEY, "evaluation", False)
    theirs = pseudonyms.unit_key(secrets.token_bytes(32), "evaluation", False)

    assert pseudonyms.study_number(mine, 7) != pseudonyms.study_number(theirs, 7)


def test_a_key_that_is_not_32_bytes_is_refused():
    with pytest.raises(pseudonyms.StudyNumberKeyError, match="32 random bytes"):
        pseudonyms.unit_key(b"", "evaluation", False)


@given(st.integers(1, 2**40), st.sampled_from(["evaluation", "service-reporting"]))
def test_study_numbers_and_row_ids_are_codes_the_protocol_accepts(person_id, unit):
    key = pseudonyms.unit_key(KEY, unit, False)

    number, row = pseudonyms.study_number(key, person_id), pseudonyms.row_id(key, person_id)

    assert re.fullmatch(r"S-[A-Z2-7]{16}", number) and re.match(IDENTIFIER, number)
    assert re.fullmatch(r"row-[0-9a-f]{20}", row) and re.match(IDENTIFIER, row)


def test_a_study_number_is_not_made_from_a_name_or_a_birth_date():
    # The only input is the provider's own record number: the function takes nothing else, so knowing a
    # family's name and birthday gives no way to rebuild its number.
    import inspect

    assert list(inspect.signature(pseudonyms.study_number).parameters) == ["key", "person_id"]
