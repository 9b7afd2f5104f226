"""When a flow's report is due: the schedule rules of the agreement, worked out on the Privacy Act's working days.

The rules, in plain words:

- A period is a calendar month, written YYYY-MM (2026-11 is November 2026). A flow sends one report per
  period: the rows whose date (the schedule's `date_field`) falls in that month.
- A `monthly` flow is due by the Nth working day of the next month (N is `working_days`): the November
  report of a flow due "by the 10th working day" is due on the 10th working day of December.
- An `on_event` flow is due N working days after each row's date (a family finishing, a form signed). Its
  month's report is due on the earliest of its rows' due dates, so no row waits longer than agreed.
- Working days are the Act's (protocol.deadlines): weekends, the named public holidays and every day from
  25 December to 15 January do not count.
- Whether a report is overdue is worked out from its due date and the day it is asked; it is never stored.
- A period is listed as due once its month has ended, or once its due date is near (within the reminder
  the agreement's service levels set) or past; a month still filling up is not yet due.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, Protocol

from protocol import deadlines

_PERIOD = re.compile(r"([0-9]{4})-([0-9]{2})")


class ScheduleError(ValueError):
    """A period or schedule that cannot be worked out; the message is one plain sentence."""


class ScheduleRule(Protocol):
    """What this module needs of an agreement's schedule (protocol.programme_data.Schedule)."""

    kind: str
    date_field: str
    working_days: int


def check_period(period: object) -> str:
    """The period as given when it is a calendar month written YYYY-MM; otherwise a clear ScheduleError."""
    match = _PERIOD.fullmatch(period) if isinstance(period, str) else None
    if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
        raise ScheduleError(f"{period!r} is not a period: write a calendar month as YYYY-MM, for example 2026-11.")
    return period


def period_of(day: date) -> str:
    """The period (calendar month) a day falls in: 2026-11-14 -> '2026-11'."""
    return f"{day.year:04d}-{day.month:02d}"


def first_and_last_day(period: str) -> tuple[date, date]:
    """The first and the last day of a period."""
    year, month = map(int, check_period(period).split("-"))
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def next_period(period: str) -> str:
    return period_of(first_and_last_day(period)[1] + timedelta(days=1))


def in_period(day: str | date | None, period: str) -> bool:
    """Whether a date (or its YYYY-MM-DD text) falls in the period."""
    if day is None:
        return False
    text = day.isoformat() if isinstance(day, date) else str(day)
    return text[:7] == period and len(text) == 10


def monthly_due(period: str, working_days: int) -> date:
    """A monthly flow's due date: the Nth working day of the month after the period."""
    if working_days < 1:
        raise ScheduleError(f"A monthly report is due by a working day of the next month, not by day {working_days}.")
    _, last = first_and_last_day(period)
    due = deadlines.add_working_days(last, working_days)
    if period_of(due) != next_period(period):
        raise ScheduleError(f"The month after {period} has fewer than {working_days} working days, so a report "
                            f"due by its working day {working_days} cannot be placed in it.")
    return due


def row_due(event_day: date, working_days: int) -> date:
    """An on_event row's due date: N working days after the day of its event."""
    return deadlines.add_working_days(event_day, working_days)


def report_due(schedule: ScheduleRule, period: str, row_dates: Iterable[date] = ()) -> date | None:
    """When the flow's report for the period is due; None for an on_event flow with no rows in the period."""
    check_period(period)
    if schedule.kind == "monthly":
        return monthly_due(period, schedule.working_days)
    dates = [day for day in row_dates if in_period(day, period)]
    # add_working_days never goes backwards, so the earliest row's due date is the earliest due date.
    return row_due(min(dates), schedule.working_days) if dates else None


Standing = Literal["overdue", "due", "due soon"]


@dataclass(frozen=True)
class DuePeriod:
    """One period of a flow that needs a report now: its due date and where it stands today."""

    period: str
    due_on: date
    standing: Standing

    @property
    def overdue(self) -> bool:
        return self.standing == "overdue"


def standing(period: str, due_on: date, today: date, reminder_working_days: int) -> Standing | None:
    """Where a period's report stands on a day: overdue, due soon (within the reminder), due (its month has
    ended), or None while its month is still filling and its due date is not near."""
    if deadlines.is_overdue(due_on, today):
        return "overdue"
    if deadlines.working_days_left(due_on, today) <= reminder_working_days:
        return "due soon"
    if period < period_of(today):
        return "due"
    return None


def periods_due(schedule: ScheduleRule, earliest_row_date: Mapping[str, date], today: date,
                reminder_working_days: int = 0) -> list[DuePeriod]:
    """The periods of a flow that are due, due soon or overdue on `today`, oldest first.

    `earliest_row_date` gives, for each period that has rows still to report, the earliest date among them
    (a monthly flow needs only the periods; an on_event flow's due date follows its earliest row).
    """
    found = []
    for period in sorted(earliest_row_date):
        due_on = report_due(schedule, period, [earliest_row_date[period]])
        if due_on is None:
            continue
        where = standing(period, due_on, today, reminder_working_days)
        if where is not None:
            found.append(DuePeriod(period, due_on, where))
    return found
