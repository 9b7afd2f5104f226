"""The months a board report covers: whole New Zealand months, chosen as YYYY-MM from and to (default: the
last 12, this one included), with one clear sentence for a choice that does not fit."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from deskkit.problems import DeskProblem
from protocol.clock import NZ

MAX_MONTHS = 36  # three years of monthly bars still fit on a page
ACT_STARTS = date(2020, 12, 1)  # the Privacy Act 2020 took effect on 1 December 2020


@dataclass(frozen=True)
class Period:
    """Whole NZ months, from the first day of `months[0]` to the last day of `months[-1]`."""

    months: tuple[date, ...]  # the first day of each month

    @property
    def first_day(self) -> date:
        return self.months[0]

    @property
    def after(self) -> date:
        """The first day after the period."""
        return month_after(self.months[-1])

    def moments(self) -> tuple[datetime, datetime]:
        """The period as UTC moments [start, end), for comparing with stored times."""
        return _nz_midnight(self.first_day), _nz_midnight(self.after)


def month_after(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def months_before(first: date, n: int) -> date:
    index = first.year * 12 + first.month - 1 - n
    return date(index // 12, index % 12 + 1, 1)


def _nz_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, NZ).astimezone(UTC)


_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")  # ASCII digits only: str.isdigit() also takes "²"


def _month(text: str, which: str) -> date:
    written = _MONTH.fullmatch(text.strip())
    if written is None or written[1] == "0000":
        raise DeskProblem(422, f"“{which}” must be a month written as YYYY-MM, such as 2026-03.")
    return date(int(written[1]), int(written[2]), 1)


def period_of(from_text: str, to_text: str, today: date) -> Period:
    """The months staff asked for (default: the last 12, this one included), or DeskProblem(422) saying
    what does not fit."""
    this_month = today.replace(day=1)
    last = _month(to_text, "To") if to_text.strip() else this_month
    first = _month(from_text, "From") if from_text.strip() else months_before(last, 11)
    if last > this_month:
        raise DeskProblem(422, f"“To” cannot be after this month ({this_month:%Y-%m}): the report counts what "
                               "has happened.")
    if first < ACT_STARTS:
        raise DeskProblem(422, "The Privacy Act 2020 took effect in December 2020: choose months from 2020-12 on.")
    if first > last:
        raise DeskProblem(422, f"The period must start before it ends: “From” ({first:%Y-%m}) is after “To” "
                               f"({last:%Y-%m}).")
    months = [first]
    while months[-1] < last:
        months.append(month_after(months[-1]))
    if len(months) > MAX_MONTHS:
        raise DeskProblem(422, f"The report covers at most {MAX_MONTHS} months at a time; choose a shorter period.")
    return Period(tuple(months))
