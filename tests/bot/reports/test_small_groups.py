"""The small-group check: generalise quasi-identifying values step by step, then hold back rows still in groups
smaller than k, and say exactly what was done. k is measured again here by code of its own.

pycanon (anonymity.k_anonymity) was the library in mind to measure k, but it pins exact versions of numpy,
pandas, scipy and typing_extensions, and installing it would downgrade typing_extensions in .venv (4.16 to
4.15) and bring pandas and scipy in only for this; so k is measured below by independent code: group the rows
as sent by their quasi-identifying values and count the people in the smallest group.
"""

from __future__ import annotations

from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.reports.small_groups import QuasiField, check, generalise, step_up
from protocol.agreement import load_agreement

AGREEMENT = load_agreement()
TABLES = AGREEMENT.generalisations
SUBURB = QuasiField("suburb", "Suburb", ("suburb-to-city", "city-to-region"))
AGE = QuasiField("age_group", "Age group", ())
ETHNICITY = QuasiField("ethnicity", "Ethnicity", ())


def measured_k(rows, result) -> int:
    """Independent: the fewest distinct people sharing one combination of values among the rows sent."""
    groups = defaultdict(set)
    for (subject, _), values, held in zip(rows, result.values, result.held_back, strict=True):
        if not held:
            groups[tuple(values)].add(subject)
    return min((len(people) for people in groups.values()), default=10**9)


def people(n: int, start: int, suburb: str, age: str, ethnicity: str):
    return [(f"S-{start + i}", (suburb, age, ethnicity)) for i in range(n)]


def test_suburbs_are_made_coarser_to_cities_when_that_keeps_the_rows():
    rows = (people(3, 0, "Newtown", "25 to 34", "Māori") + people(3, 10, "Kilbirnie", "25 to 34", "Māori")
            + people(6, 20, "Naenae", "35 to 44", "European"))

    result = check(rows, [SUBURB, AGE, ETHNICITY], 5, TABLES)

    assert result.levels == {"suburb": 1, "age_group": 0, "ethnicity": 0}
    assert not any(result.held_back)
    assert result.said == ["Suburb made coarser to city: 6 rows were in groups smaller than 5."]
    assert measured_k(rows, result) >= 5


def test_a_group_smaller_than_k_that_no_step_can_merge_is_held_back_and_said_in_words():
    rows = (people(6, 0, "Newtown", "25 to 34", "Māori") + people(3, 10, "Miramar", "45 and over", "Asian"))

    result = check(rows, [SUBURB, AGE, ETHNICITY], 5, TABLES)

    assert result.held_back == [False] * 6 + [True] * 3
    assert "3 rows held back: their group (Miramar, 45 and over, Asian) had 3 people, fewer than 5." in result.said
    assert result.levels["suburb"] == 0  # coarser suburbs would merge nothing, so they stay as they are
    assert measured_k(rows, result) >= 5


def test_two_rows_of_one_person_count_as_one_person():
    rows = [("S-1", ("Newtown", "25 to 34", "Māori"))] * 2 + people(3, 10, "Newtown", "25 to 34", "Māori")

    result = check(rows, [SUBURB, AGE, ETHNICITY], 5, TABLES)

    assert all(result.held_back)


def test_a_suburb_the_table_does_not_list_becomes_a_star_not_a_guess():
    assert step_up("Karori West", "suburb-to-city", TABLES) == "*"
    assert generalise("Newtown", SUBURB.steps, 2, TABLES) == "Wellington Region"


def test_built_in_steps_make_dates_and_numbers_coarser():
    assert generalise("2026-03-14", ("month", "year"), 1, {}) == "2026-03"
    assert generalise("2026-03-14", ("month", "year"), 2, {}) == "2026"
    assert generalise(37, ("band-5", "band-10"), 1, {}) == "35-39"
    assert generalise(37, ("band-5", "band-10"), 2, {}) == "30-39"
    assert generalise(1987, ("decade",), 1, {}) == "1980-1989"


SUBURBS = sorted(TABLES["suburb-to-city"]) + ["Karori West"]
ROW = st.tuples(st.integers(0, 40), st.sampled_from(SUBURBS),
                st.sampled_from(["under 25", "25 to 34", "35 to 44", "45 and over"]),
                st.sampled_from(["Māori", "Pacific peoples", "Asian", "European", "Other"]))


@settings(max_examples=150, deadline=None)
@given(st.lists(ROW, max_size=120), st.integers(2, 8))
def test_no_group_smaller_than_k_is_ever_sent(raw, k):
    rows = [(f"S-{person}", (suburb, age, ethnicity)) for person, suburb, age, ethnicity in raw]

    result = check(rows, [SUBURB, AGE, ETHNICITY], k, TABLES)

    assert measured_k(rows, result) >= k
    assert len(result.said) >= (1 if any(result.held_back) else 0)


@settings(max_examples=50, deadline=None)
@given(st.lists(ROW, max_size=80))
def test_the_same_rows_always_give_the_same_result(raw):
    rows = [(f"S-{person}", (suburb, age, ethnicity)) for person, suburb, age, ethnicity in raw]

    first = check(rows, [SUBURB, AGE, ETHNICITY], 5, TABLES)
    again = check(list(rows), [SUBURB, AGE, ETHNICITY], 5, TABLES)

    assert (first.values, first.held_back, first.said) == (again.values, again.held_back, again.said)
