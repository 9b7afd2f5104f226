"""Reading what staff typed for a holding's field (protocol/field_values.py): each type, each mistake said in one
sentence naming the field by its label and quoting what was typed, whole rows, and row keys."""

from __future__ import annotations

import pytest

from protocol.agreement import load_agreement
from protocol.field_values import ValueProblem, read_row, read_value, row_key

AGREEMENT = load_agreement()
ENROLMENT = AGREEMENT.holding("enrolment")
ATTENDANCE = AGREEMENT.holding("attendance")
QUESTIONNAIRE = AGREEMENT.holding("questionnaire")
FAMILY_PLAN = AGREEMENT.holding("family-plan")


def problem_with(field, raw) -> str:
    with pytest.raises(ValueProblem) as wrong:
        read_value(field, raw)
    return str(wrong.value)


@pytest.mark.parametrize("raw", ["", "   ", None, "\t"])
def test_an_empty_value_is_absent(raw):
    assert read_value(ENROLMENT.field("date_of_birth"), raw) is None


def test_a_date_is_kept_as_written():
    assert read_value(ENROLMENT.field("date_of_birth"), " 1988-03-14 ") == "1988-03-14"


@pytest.mark.parametrize("raw", ["2026-13-01", "2026-02-30", "14/03/2026", "20260314", "2026-3-14", "yesterday"])
def test_a_date_that_is_not_yyyy_mm_dd_or_not_a_real_day_is_refused_by_its_label(raw):
    assert problem_with(ENROLMENT.field("date_of_birth"), raw) == (
        f"Date of birth: '{raw}' is not a date; write dates as YYYY-MM-DD.")


@pytest.mark.parametrize(("raw", "kept"), [("3", 3), ("4.0", 4), ("4.5", 4.5), ("-2", -2), (" 12 ", 12), (5, 5),
                                           (2.5, 2.5)])
def test_a_number_is_kept_as_a_whole_number_when_it_is_one(raw, kept):
    value = read_value(QUESTIONNAIRE.field("routines"), raw)

    assert value == kept and type(value) is type(kept)


@pytest.mark.parametrize("raw", ["three", "1,000", "1e5", "nan", "4.", ".5", "1.2.3", float("inf")])
def test_a_number_with_letters_separators_or_exponents_is_refused(raw):
    assert problem_with(QUESTIONNAIRE.field("routines"), raw).startswith(
        f"Confidence with routines (1 to 5): '{raw}' is not a number;")


@pytest.mark.parametrize("raw", ["Group Session", "  group session ", "GROUP   SESSION"])
def test_a_choice_takes_any_capitals_and_spaces_and_keeps_the_option_as_the_agreement_writes_it(raw):
    assert read_value(ATTENDANCE.field("session"), raw) == "group session"


def test_a_choice_that_is_not_an_option_lists_the_options():
    assert problem_with(ATTENDANCE.field("session"), "groop") == (
        "Session: 'groop' is not one of the choices (group session, home visit).")


def test_text_is_trimmed_and_may_have_lines():
    assert read_value(FAMILY_PLAN.field("goal"), "  Bedtime routine\r\nby 8pm  ") == "Bedtime routine\nby 8pm"


def test_text_over_2000_characters_is_refused_and_quoted_briefly():
    problem = problem_with(FAMILY_PLAN.field("goal"), "x" * 2001)

    assert problem.startswith("Goal: 'xxxx") and problem.endswith("is too long; at most 2000 characters.")
    assert len(problem) < 120


def test_text_with_a_control_character_is_refused_with_the_character_shown():
    assert problem_with(FAMILY_PLAN.field("goal"), "a\x00b") == (
        "Goal: 'a\\x00b' has a control character (such as NUL) that cannot be kept; remove it.")


def test_a_value_that_is_neither_text_nor_a_number_is_refused():
    assert problem_with(ATTENDANCE.field("session"), ["group session"]).startswith("Session: ")
    assert problem_with(QUESTIONNAIRE.field("routines"), True).startswith("Confidence with routines")


def test_a_row_keeps_its_values_and_leaves_out_empty_fields():
    values, problems = read_row(ENROLMENT, {"given_name": "Aroha", "family_name": "Parata",
                                            "date_of_birth": "1988-03-14", "start_date": "2026-02-02",
                                            "suburb": "", "referred_by": "School"})

    assert problems == []
    assert values == {"given_name": "Aroha", "family_name": "Parata", "date_of_birth": "1988-03-14",
                      "referred_by": "school", "start_date": "2026-02-02"}


def test_a_row_names_every_problem_unknown_fields_bad_values_and_missing_required_ones():
    values, problems = read_row(ATTENDANCE, {"session_date": "2026-02-30", "session": "", "colour": "red"})

    assert problems == [
        "'colour' is not a field of attendance (its fields are session_date, session, attended).",
        "Date: '2026-02-30' is not a date; write dates as YYYY-MM-DD.",
        "Session: left empty, but it must be filled in.",
        "Came: left empty, but it must be filled in.",
    ]


def test_a_row_key_is_its_key_values_and_empty_for_a_holding_with_one_row_per_person():
    values, _ = read_row(ATTENDANCE, {"session_date": "2026-03-02", "session": "home visit", "attended": "yes"})

    assert row_key(ATTENDANCE, values) == '["2026-03-02","home visit"]'
    assert row_key(ENROLMENT, {"given_name": "Aroha"}) == ""


def test_row_keys_cannot_be_confused_by_values_holding_the_separator():
    one = row_key(FAMILY_PLAN, {"goal": 'a","b'})
    other = row_key(FAMILY_PLAN, {"goal": "a"})

    assert one != other and one == '["a\\",\\"b"]'


def test_a_long_key_is_kept_as_its_hash_within_the_column():
    key = row_key(FAMILY_PLAN, {"goal": "ā" * 2000})

    assert key.startswith("sha256:") and len(key) <= 400
    assert key == row_key(FAMILY_PLAN, {"goal": "ā" * 2000})
