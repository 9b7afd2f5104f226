"""Deadlines under the Privacy Act 2020, checked against dates worked out by hand."""

from datetime import date, datetime, timedelta

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocol.deadlines import (
    DeadlineError,
    add_working_days,
    check_extension,
    check_urgency,
    decision_due,
    is_overdue,
    is_working_day,
    transfer_due,
    working_days_between,
    working_days_left,
)
from protocol.grounds import EXTENSION_GROUNDS, ExtensionGround

# ---- The examples the design names ----


def test_a_request_received_on_friday_18_december_2026_is_due_on_9_february_2027():
    received = date(2026, 12, 18)

    due = decision_due(received)

    # 21–24 Dec are days 1–4; 25 Dec–15 Jan is closed; 18 Jan–5 Feb are days 5–19
    # (1 Feb, Auckland's anniversary, counts); Mon 8 Feb is Waitangi Day moved from Saturday.
    assert due == date(2027, 2, 9)


def test_a_request_received_on_thursday_24_december_2026_is_due_on_15_february_2027():
    received = date(2026, 12, 24)

    due = decision_due(received)

    # Day 1 is Mon 18 Jan; 18 Jan–12 Feb less Mon 8 Feb gives 19 days; day 20 is Mon 15 Feb.
    assert due == date(2027, 2, 15)


def test_monday_8_february_2027_is_not_a_working_day_because_waitangi_day_falls_on_a_saturday():
    assert date(2027, 2, 6).weekday() == 5
    assert not is_working_day(date(2027, 2, 8))


def test_monday_27_april_2026_is_not_a_working_day_because_anzac_day_falls_on_a_saturday():
    assert date(2026, 4, 25).weekday() == 5
    assert not is_working_day(date(2026, 4, 27))


# ---- Hand-checked tables ----

NOT_WORKING_DAYS = [
    # Waitangi Day and its Monday when it falls on a weekend
    (date(2026, 2, 6), "Waitangi Day, a Friday"),
    (date(2022, 2, 7), "Monday after Waitangi Day on Sunday 6 Feb 2022"),
    (date(2027, 2, 8), "Monday after Waitangi Day on Saturday 6 Feb 2027"),
    (date(2028, 2, 7), "Monday after Waitangi Day on Sunday 6 Feb 2028"),
    # Anzac Day and its Monday when it falls on a weekend
    (date(2023, 4, 25), "Anzac Day, a Tuesday"),
    (date(2025, 4, 25), "Anzac Day, a Friday"),
    (date(2026, 4, 27), "Monday after Anzac Day on Saturday 25 Apr 2026"),
    (date(2027, 4, 26), "Monday after Anzac Day on Sunday 25 Apr 2027"),
    # Good Friday and Easter Monday
    (date(2023, 4, 7), "Good Friday 2023"),
    (date(2023, 4, 10), "Easter Monday 2023"),
    (date(2024, 3, 29), "Good Friday 2024"),
    (date(2024, 4, 1), "Easter Monday 2024"),
    (date(2025, 4, 18), "Good Friday 2025"),
    (date(2025, 4, 21), "Easter Monday 2025"),
    (date(2026, 4, 3), "Good Friday 2026"),
    (date(2026, 4, 6), "Easter Monday 2026"),
    (date(2027, 3, 26), "Good Friday 2027"),
    (date(2027, 3, 29), "Easter Monday 2027"),
    (date(2028, 4, 14), "Good Friday 2028 (Easter Sunday is 16 April)"),
    (date(2028, 4, 17), "Easter Monday 2028"),
    # The Sovereign's birthday: first Monday in June
    (date(2022, 6, 6), "Queen's Birthday 2022"),
    (date(2023, 6, 5), "King's Birthday 2023"),
    (date(2024, 6, 3), "King's Birthday 2024"),
    (date(2025, 6, 2), "King's Birthday 2025"),
    (date(2026, 6, 1), "King's Birthday 2026 (1 June is itself a Monday)"),
    (date(2027, 6, 7), "King's Birthday 2027"),
    (date(2028, 6, 5), "King's Birthday 2028"),
    # Matariki: dates set by the schedule to the Matariki Act
    (date(2022, 6, 24), "Matariki 2022"),
    (date(2023, 7, 14), "Matariki 2023"),
    (date(2024, 6, 28), "Matariki 2024"),
    (date(2025, 6, 20), "Matariki 2025"),
    (date(2026, 7, 10), "Matariki 2026"),
    (date(2027, 6, 25), "Matariki 2027"),
    (date(2028, 7, 14), "Matariki 2028"),
    # Labour Day: fourth Monday in October
    (date(2023, 10, 23), "Labour Day 2023 (1 Oct is a Sunday; Mondays 2, 9, 16, 23)"),
    (date(2024, 10, 28), "Labour Day 2024 (Mondays 7, 14, 21, 28)"),
    (date(2025, 10, 27), "Labour Day 2025 (Mondays 6, 13, 20, 27)"),
    (date(2026, 10, 26), "Labour Day 2026 (Mondays 5, 12, 19, 26)"),
    (date(2027, 10, 25), "Labour Day 2027 (Mondays 4, 11, 18, 25)"),
    (date(2028, 10, 23), "Labour Day 2028 (1 Oct is a Sunday; Mondays 2, 9, 16, 23)"),
    # The summer closure, 25 December to 15 January
    (date(2026, 12, 25), "Christmas Day, first day of the closure"),
    (date(2026, 12, 28), "Boxing Day moved to Monday, inside the closure anyway"),
    (date(2026, 12, 29), "an ordinary Tuesday inside the closure"),
    (date(2024, 12, 31), "New Year's Eve, inside the closure"),
    (date(2027, 1, 4), "2 January moved to Monday, inside the closure anyway"),
    (date(2025, 1, 15), "a Wednesday, last day of the closure"),
    (date(2027, 1, 15), "a Friday, last day of the closure"),
    # Weekends
    (date(2027, 1, 16), "a Saturday just after the closure"),
    (date(2026, 3, 15), "an ordinary Sunday"),
]

WORKING_DAYS = [
    (date(2026, 12, 24), "Thursday before the closure begins"),
    (date(2027, 12, 24), "Friday before the closure begins"),
    (date(2026, 1, 16), "Friday after the closure ends"),
    (date(2027, 1, 18), "Monday, first weekday after the closure ends"),
    (date(2027, 2, 5), "Friday before Waitangi Day on a Saturday"),
    (date(2027, 2, 9), "Tuesday after the Monday that replaces Waitangi Day"),
    (date(2025, 2, 10), "Monday after Waitangi Day on a Thursday: nothing is moved"),
    (date(2023, 4, 26), "day after Anzac Day"),
    (date(2025, 4, 22), "Tuesday after Easter Monday"),
    (date(2028, 10, 30), "Monday after Labour Day"),
    (date(2027, 1, 25), "Wellington Anniversary Day: regional, not in the Act"),
    (date(2026, 1, 19), "Wellington Anniversary Day 2026: regional, not in the Act"),
    (date(2027, 2, 1), "Auckland Anniversary Day: regional, not in the Act"),
    (date(2026, 11, 13), "Canterbury Anniversary Day (show day): regional, not in the Act"),
    (date(2022, 9, 26), "Queen Elizabeth II memorial day: a one-off holiday, not in the Act"),
]


@pytest.mark.parametrize(("day", "why"), NOT_WORKING_DAYS, ids=[why for _, why in NOT_WORKING_DAYS])
def test_these_days_are_not_working_days(day, why):
    assert not is_working_day(day), why


@pytest.mark.parametrize(("day", "why"), WORKING_DAYS, ids=[why for _, why in WORKING_DAYS])
def test_these_days_are_working_days(day, why):
    assert day.weekday() < 5
    assert is_working_day(day), why


def test_before_2022_there_was_no_matariki_so_only_the_queens_birthday_is_off_in_june_and_july_2021():
    weekdays = [date(2021, 6, 1) + timedelta(days=k) for k in range(61)]
    weekdays = [d for d in weekdays if d.weekday() < 5]

    days_off = [d for d in weekdays if not is_working_day(d)]

    assert days_off == [date(2021, 6, 7)]


DUE_DATES = [
    # (received, decision due, why)
    (date(2026, 3, 20), date(2026, 4, 21), "Good Friday 3 Apr and Easter Monday 6 Apr are skipped"),
    (date(2026, 4, 10), date(2026, 5, 11), "Mon 27 Apr (Anzac Day moved from Saturday) is skipped"),
    (date(2026, 6, 27), date(2026, 7, 27), "received on a Saturday; Matariki Fri 10 Jul is skipped"),
    (date(2027, 1, 5), date(2027, 2, 15), "received in the closure: counting starts on Mon 18 Jan"),
    (date(2028, 10, 2), date(2028, 10, 31), "Labour Day Mon 23 Oct is skipped"),
    (date(2025, 12, 1), date(2026, 1, 20), "17 days before the closure; then 16, 19 and 20 Jan"),
]


@pytest.mark.parametrize(("received", "due", "why"), DUE_DATES, ids=[why for *_, why in DUE_DATES])
def test_a_decision_is_due_20_working_days_after_the_request_is_received(received, due, why):
    assert decision_due(received) == due, why
    assert working_days_between(received, due) == 20


def test_a_request_received_on_18_december_2026_must_be_transferred_by_25_january_2027():
    # 21–24 Dec are days 1–4; 18–22 Jan are days 5–9; Mon 25 Jan is day 10.
    assert transfer_due(date(2026, 12, 18)) == date(2027, 1, 25)


# ---- Counting ----


def test_adding_no_working_days_gives_back_the_same_day_even_when_it_is_not_a_working_day():
    assert add_working_days(date(2026, 12, 25), 0) == date(2026, 12, 25)


def test_adding_a_negative_number_of_working_days_is_refused_with_a_clear_sentence():
    refusal = r"^The number of working days to add must be zero or more, not -1\.$"

    with pytest.raises(DeadlineError, match=refusal):
        add_working_days(date(2026, 3, 2), -1)


def test_no_working_days_lie_between_a_day_and_itself_or_an_earlier_day():
    assert working_days_between(date(2026, 3, 2), date(2026, 3, 2)) == 0
    assert working_days_between(date(2026, 3, 9), date(2026, 3, 2)) == 0


def test_a_date_and_time_is_refused_because_its_calendar_day_depends_on_the_time_zone():
    with pytest.raises(TypeError, match="give a date"):
        is_working_day(datetime(2026, 3, 2, 9, 30))


def test_a_year_without_a_known_matariki_date_is_refused_rather_than_counted_a_day_early():
    with pytest.raises(DeadlineError, match=r"^Tono cannot count working days in 2053: the Matariki date"):
        is_working_day(date(2053, 6, 20))


# ---- Agreement with the holidays package, and where the Act differs from it ----


def _in_the_closure(d):
    return (d.month == 12 and d.day >= 25) or (d.month == 1 and d.day <= 15)


def test_every_national_public_holiday_outside_the_closure_is_a_day_off_from_2023_to_2040():
    # From 2023 on, holidays' national list (no subdivision) holds only days the Act also names, so
    # the two must agree on every weekday outside the closure; 2022 differs by the memorial day.
    for year in range(2023, 2041):
        weekdays = [date(year, 1, 1) + timedelta(days=k) for k in range(365)]
        weekdays = [d for d in weekdays if d.weekday() < 5 and not _in_the_closure(d)]

        ours = {d for d in weekdays if not is_working_day(d)}
        theirs = set(weekdays) & set(holidays.country_holidays("NZ", years=year))

        assert ours == theirs, year


def test_the_one_off_memorial_day_and_regional_days_are_public_holidays_but_working_days():
    assert date(2022, 9, 26) in holidays.country_holidays("NZ", years=2022)
    assert date(2027, 2, 1) in holidays.country_holidays("NZ", subdiv="AUK", years=2027)
    assert date(2027, 1, 25) in holidays.country_holidays("NZ", subdiv="WGN", years=2027)

    assert is_working_day(date(2022, 9, 26))
    assert is_working_day(date(2027, 2, 1))
    assert is_working_day(date(2027, 1, 25))


# ---- Overdue (computed, never stored) ----


def test_a_request_is_overdue_from_the_day_after_its_due_date():
    due = date(2027, 2, 9)

    assert not is_overdue(due, today=date(2027, 2, 8))
    assert not is_overdue(due, today=due)
    assert is_overdue(due, today=date(2027, 2, 10))


def test_working_days_left_counts_down_to_zero_on_the_due_date_and_stays_there():
    due = date(2027, 2, 9)

    assert working_days_left(due, today=date(2027, 2, 4)) == 2  # Fri 5 and Tue 9; Mon 8 is off
    assert working_days_left(due, today=due) == 0
    assert working_days_left(due, today=date(2027, 2, 12)) == 0


# ---- Extensions (s 48, s 65) ----

RECEIVED = date(2026, 3, 20)  # decision due Tuesday 21 April 2026


@pytest.mark.parametrize("ground", list(ExtensionGround))
def test_an_extension_notified_in_time_on_a_statutory_ground_gives_the_new_due_date(ground):
    new_due = check_extension(RECEIVED, date(2026, 4, 21), date(2026, 5, 19), ground.value)

    assert new_due == date(2026, 5, 19)


def test_each_extension_ground_has_a_plain_description():
    assert set(EXTENSION_GROUNDS) == set(ExtensionGround)
    assert "large quantity" in ExtensionGround.LARGE_QUANTITY.description
    assert "onsultations" in ExtensionGround.CONSULTATIONS.description
    assert "complex" in ExtensionGround.COMPLEXITY.description


def test_an_extension_on_a_ground_the_act_does_not_list_is_refused():
    with pytest.raises(DeadlineError) as refused:
        check_extension(RECEIVED, date(2026, 4, 1), date(2026, 5, 19), "too busy")

    assert str(refused.value) == (
        "'too busy' is not a ground for extending the time limit; "
        "the Act allows only large_quantity, consultations or complexity."
    )


def test_an_extension_notified_after_the_original_due_date_is_refused():
    with pytest.raises(DeadlineError) as refused:
        check_extension(RECEIVED, date(2026, 4, 22), date(2026, 5, 19), "complexity")

    assert str(refused.value) == (
        "Notice of an extension had to be given by Tuesday 21 April 2026, within the original "
        "20 working days, but it was given on Wednesday 22 April 2026."
    )


def test_an_extension_notice_dated_before_the_request_arrived_is_refused():
    refusal = r"^The extension notice \(Thursday 19 March 2026\) cannot come before the request was received"

    with pytest.raises(DeadlineError, match=refusal):
        check_extension(RECEIVED, date(2026, 3, 19), date(2026, 5, 19), "complexity")


@pytest.mark.parametrize("new_due", [date(2026, 4, 21), date(2026, 4, 14)], ids=["same day", "earlier"])
def test_an_extended_due_date_that_is_not_after_the_original_one_is_refused(new_due):
    with pytest.raises(DeadlineError, match=r"^An extended due date must be after the original due date of "):
        check_extension(RECEIVED, date(2026, 4, 1), new_due, "consultations")


def test_an_extended_due_date_on_a_non_working_day_is_refused_and_the_next_working_day_is_named():
    with pytest.raises(DeadlineError) as refused:
        check_extension(RECEIVED, date(2026, 4, 1), date(2026, 6, 1), "large_quantity")

    assert str(refused.value) == (
        "An extended due date must be a working day, and Monday 1 June 2026 is not; "
        "the next working day is Tuesday 2 June 2026."
    )


# ---- Urgency (s 41) ----


@pytest.mark.parametrize("reason", [None, "", "   "], ids=["none", "empty", "blank"])
def test_asking_for_urgency_without_a_reason_is_refused(reason):
    with pytest.raises(DeadlineError, match=r"^A request for urgency must say why the request is urgent\.$"):
        check_urgency(True, reason)


def test_asking_for_urgency_with_a_reason_or_not_asking_at_all_is_fine():
    check_urgency(True, "My child's court hearing is on 3 March.")
    check_urgency(False, None)


# ---- Properties ----

days = st.dates(min_value=date(2020, 12, 1), max_value=date(2050, 6, 30))
counts = st.integers(min_value=0, max_value=300)


@given(days, st.integers(min_value=1, max_value=300))
def test_adding_one_or_more_working_days_always_lands_on_a_working_day(d, n):
    assert is_working_day(add_working_days(d, n))


@given(days, counts)
def test_adding_more_working_days_always_gives_a_later_day(d, n):
    assert add_working_days(d, n + 1) > add_working_days(d, n)


@given(days, counts)
def test_counting_back_the_working_days_added_gives_the_same_number(d, n):
    assert working_days_between(d, add_working_days(d, n)) == n


@given(days, st.integers(min_value=1, max_value=60))
def test_an_extension_notice_after_the_original_due_date_is_always_refused(received, late_by):
    notified_on = decision_due(received) + timedelta(days=late_by)
    new_due = add_working_days(notified_on, 20)

    with pytest.raises(DeadlineError, match="^Notice of an extension had to be given by"):
        check_extension(received, notified_on, new_due, "complexity")
