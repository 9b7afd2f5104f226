"""When a flow's report is due: monthly by the Nth working day of the next month, on_event N working days after
each row, on the Privacy Act's working days (the summer break from 25 December to 15 January does not count)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocol import deadlines, schedule
from protocol.agreement import load_agreement
from protocol.flow_checks import fewest_working_days_in_a_month


@dataclass
class Rule:
    kind: str
    working_days: int
    date_field: str = "day"


def test_november_is_due_on_the_tenth_working_day_of_december():
    assert schedule.monthly_due("2026-11", 10) == date(2026, 12, 14)


def test_december_waits_for_the_summer_break_to_end_before_counting():
    # 25 December to 15 January are not working days: the first working day of January 2027 is Monday the 18th.
    assert schedule.monthly_due("2026-12", 1) == date(2027, 1, 18)
    assert schedule.monthly_due("2026-12", 10) == date(2027, 1, 29)


def test_the_bundled_attendance_flow_is_due_by_its_tenth_working_day():
    attendance = load_agreement().flow("attendance")

    due = schedule.report_due(attendance.schedule, "2026-11")

    assert due == date(2026, 12, 14)


def test_an_event_row_is_due_ten_working_days_after_its_date_skipping_weekends():
    # Monday 2 November 2026 + 10 working days = Monday 16 November.
    assert schedule.row_due(date(2026, 11, 2), 10) == date(2026, 11, 16)


def test_an_event_flows_month_is_due_on_its_earliest_rows_due_date():
    rule = Rule("on_event", 10)

    due = schedule.report_due(rule, "2026-11", [date(2026, 11, 20), date(2026, 11, 2), date(2026, 10, 1)])

    assert due == date(2026, 11, 16)


def test_an_event_flow_with_no_rows_in_the_month_has_no_due_date():
    assert schedule.report_due(Rule("on_event", 10), "2026-11", [date(2026, 10, 30)]) is None


@pytest.mark.parametrize("bad", ["2026-13", "2026-00", "2026-1", "26-11", "2026/11", "2026-11-01", "", None,
                                 202611, "November"])
def test_a_bad_period_is_refused_in_one_sentence_with_an_example(bad):
    with pytest.raises(schedule.ScheduleError) as refused:
        schedule.check_period(bad)

    assert "YYYY-MM" in str(refused.value) and "2026-11" in str(refused.value)


def test_a_day_falls_in_its_calendar_month():
    assert schedule.period_of(date(2026, 12, 31)) == "2026-12"
    assert schedule.first_and_last_day("2028-02") == (date(2028, 2, 1), date(2028, 2, 29))


def test_periods_are_due_once_their_month_has_ended_and_overdue_after_the_due_date():
    rule = Rule("monthly", 10)
    rows = {"2026-10": date(2026, 10, 5), "2026-11": date(2026, 11, 5), "2026-12": date(2026, 12, 1)}

    found = schedule.periods_due(rule, rows, date(2026, 12, 7), reminder_working_days=0)

    assert [(d.period, d.due_on, d.standing) for d in found] == [
        ("2026-10", date(2026, 11, 13), "overdue"), ("2026-11", date(2026, 12, 14), "due")]


def test_a_report_whose_due_date_is_near_is_due_soon():
    found = schedule.periods_due(Rule("monthly", 10), {"2026-11": date(2026, 11, 5)}, date(2026, 12, 8),
                                 reminder_working_days=5)

    assert [d.standing for d in found] == ["due soon"]


def test_an_event_flow_is_due_soon_in_its_own_month_when_its_first_row_nears_its_date():
    found = schedule.periods_due(Rule("on_event", 10), {"2026-12": date(2026, 12, 1)}, date(2026, 12, 9),
                                 reminder_working_days=5)

    assert [(d.period, d.due_on, d.standing) for d in found] == [("2026-12", date(2026, 12, 15), "due soon")]


def test_a_working_day_a_month_does_not_have_is_refused():
    with pytest.raises(schedule.ScheduleError, match="fewer than 15 working days"):
        schedule.monthly_due("2026-12", 15)


@given(st.dates(min_value=date(2023, 1, 1), max_value=date(2045, 12, 31)),
       st.integers(1, fewest_working_days_in_a_month()))
def test_a_monthly_due_date_is_always_a_working_day_in_the_next_month(day, n):
    period = schedule.period_of(day)

    due = schedule.monthly_due(period, n)

    first_next = schedule.first_and_last_day(period)[1] + timedelta(days=1)
    assert deadlines.is_working_day(due) and schedule.period_of(due) == schedule.period_of(first_next)
    assert deadlines.working_days_between(first_next - timedelta(days=1), due) == n
