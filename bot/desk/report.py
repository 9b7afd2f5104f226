"""The board report: what CCSS's board asks for each month, in counts only (never a name or a reference).

Requests made, by month and kind; how many the family had answered, how many late, and the median working
days to answer; the same for each agency unit; and how many are overdue now. "Answered" is the `deliver`
step: the Privacy Act wants the decision made *and the person told* within 20 working days (ss 44, 63), and
the family is told when CCSS delivers, which is why the queue counts a request as waiting until then.

The database does the counting, grouped by New Zealand day (see `_nz_day_parts`), so what comes back is a
row per day (or pair of days) rather than per request; those rows are rolled up into NZ months and working
days here, where the Act's calendar is.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import accumulate

from sqlalchemy import Date, Text, cast, extract, func, literal_column
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.desk.report_period import Period
from bot.desk.views import AGENCY_TURN, WAITING
from bot.models import Request, UnitAnswer
from protocol import deadlines, lifecycle
from protocol.clock import NZ
from protocol.lifecycle import RequestKind

KINDS = tuple(RequestKind)
DATED_WAITING = tuple(sorted(WAITING - set(lifecycle.BEFORE_RELAY)))  # waiting on a date the agency gave


@dataclass
class Month:
    month: date
    made: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))  # by kind
    answered: int = 0
    answered_late: int = 0
    days: Counter = field(default_factory=Counter)  # working days to answer → how many

    @property
    def median_days(self) -> float | None:
        return median(self.days)


@dataclass
class UnitLine:
    """One agency unit, as CCSS knows it: the unit ids in each request's fan-out and the answers received."""

    unit: str  # the unit's id in the agreement
    received: int = 0  # requests the agency received in the period that went to this unit
    answered: int = 0  # this unit's answers that reached CCSS in the period
    answered_late: int = 0
    overdue_now: int = 0  # still to answer, past the due date, today
    days: Counter = field(default_factory=Counter)

    @property
    def median_days(self) -> float | None:
        return median(self.days)

    @property
    def anything(self) -> bool:
        return bool(self.received or self.answered or self.overdue_now)


@dataclass(frozen=True)
class OverdueNow:
    agency: int  # past the decision due date, waiting for the agency
    ccss: int  # past the decision due date, the agency has answered, waiting for CCSS to deliver
    relay: int  # not yet relayed, past CCSS's relay-by date (the agreement's service level)

    @property
    def total(self) -> int:
        return self.agency + self.ccss + self.relay


@dataclass(frozen=True)
class BoardReport:
    period: Period
    today: date
    months: list[Month]
    units: list[UnitLine]
    overdue: OverdueNow

    @property
    def made_by_kind(self) -> dict[str, int]:
        return {kind: sum(m.made[kind] for m in self.months) for kind in KINDS}

    @property
    def made(self) -> int:
        return sum(self.made_by_kind.values())

    @property
    def answered(self) -> int:
        return sum(m.answered for m in self.months)

    @property
    def answered_late(self) -> int:
        return sum(m.answered_late for m in self.months)

    @property
    def median_days(self) -> float | None:
        return median(sum((m.days for m in self.months), Counter()))


def median(days: Counter) -> float | None:
    """The median of counted values (the mean of the middle two when there is an even number), or None."""
    return statistics.median(sorted(days.elements())) if days else None


def _nz_day_parts(column, dialect: str) -> tuple:
    """Two columns that together say on which New Zealand day a stored UTC moment fell: the UTC date 12 hours
    on, and whether the moment is in the 11 o'clock UTC hour. NZ is 12 hours ahead of UTC in winter and 13 in
    summer, so the date 12 hours on is the NZ day except at 11 o'clock UTC in summer, which is already past NZ
    midnight; `nz_day` settles that one hour. SQLite knows no time zones, so this is what both databases can
    be asked alike. Constants are written out, not bound, so PostgreSQL sees the GROUP BY repeat the SELECT."""
    if dialect == "postgresql":
        utc = func.timezone(literal_column("'UTC'"), column)
        return (cast(utc + literal_column("INTERVAL '12 hours'"), Date),
                extract("hour", utc) == literal_column("11"))
    return (func.date(column, literal_column("'+12 hours'")),  # SQLite keeps UTC as 'YYYY-MM-DD HH:MM:SS…'
            func.strftime(literal_column("'%H'"), column) == literal_column("'11'"))


@lru_cache(maxsize=4096)
def nz_day(day_12_hours_on: date | str, at_eleven: bool) -> date:
    day = day_12_hours_on if isinstance(day_12_hours_on, date) else date.fromisoformat(day_12_hours_on)
    return datetime.combine(day, time(11, 30), UTC).astimezone(NZ).date() if at_eleven else day


def _month_of(day: date) -> date:
    return day.replace(day=1)


def _unit_ids(units_json: str | None) -> list[str]:
    units = json.loads(units_json) if units_json else []
    return [u for u in units if isinstance(u, str)] if isinstance(units, list) else []


class WorkingDayCount:
    """deadlines.working_days_between for many pairs of days at once: each day's count of working days since
    the earliest day, so a pair costs a subtraction rather than a walk over its days (thousands of pairs on
    a big database). Which days are working days is still deadlines.is_working_day's to say."""

    def __init__(self, days: Iterable[date]) -> None:
        days = sorted(set(days))
        self.first = days[0] if days else date.min
        span = (days[-1] - self.first).days + 1 if days else 0
        self.counts = list(accumulate(deadlines.is_working_day(self.first + timedelta(days=k)) for k in range(span)))

    def between(self, start: date, end: date) -> int:
        if end <= start:
            return 0
        return self.counts[(end - self.first).days] - self.counts[(start - self.first).days]


async def _made(session: AsyncSession, day, period: Period, months: dict[date, Month]) -> None:
    made = day(Request.created_at)
    start, end = period.moments()
    for on, at_eleven, kind, n in await session.exec(
            select(*made, Request.kind, func.count()).where(
                Request.created_at >= start, Request.created_at < end, Request.state != "draft")
            .group_by(*made, Request.kind)):
        month = months.get(_month_of(nz_day(on, at_eleven)))
        if month is not None and kind in month.made:
            month.made[kind] += n


async def _answered(session: AsyncSession, day, period: Period, months: dict[date, Month]) -> None:
    """Delivered in the period: the working days from the family's request, and whether after the due date."""
    asked, delivered = day(Request.created_at), day(Request.delivered_at)
    start, end = period.moments()
    rows = Counter()
    for asked_on, asked_at_eleven, delivered_on, delivered_at_eleven, due_on, n in await session.exec(
            select(*asked, *delivered, Request.due_on, func.count()).where(
                Request.delivered_at >= start, Request.delivered_at < end)
            .group_by(*asked, *delivered, Request.due_on)):
        rows[nz_day(asked_on, asked_at_eleven), nz_day(delivered_on, delivered_at_eleven), due_on] += n
    count = WorkingDayCount(day for asked, delivered, _ in rows for day in (asked, delivered))
    for (asked, delivered, due_on), n in rows.items():
        month = months.get(_month_of(delivered))
        if month is not None:
            month.answered += n
            month.answered_late += n if due_on is not None and delivered > due_on else 0
            month.days[count.between(asked, delivered)] += n


async def _units(session: AsyncSession, day, period: Period, today: date, units: dict[str, UnitLine]) -> None:
    """What CCSS knows of each unit: the fan-out the agency sent with its receipt, and each unit's answer."""
    line = lambda unit: units.setdefault(unit, UnitLine(unit))  # noqa: E731
    fan_out = cast(Request.units, Text)
    for units_json, n in await session.exec(
            select(fan_out, func.count()).where(Request.received_on >= period.first_day,
                                                Request.received_on < period.after).group_by(fan_out)):
        for unit in _unit_ids(units_json):
            line(unit).received += n

    answer = day(UnitAnswer.received_at)
    start, end = period.moments()
    rows = Counter()
    for unit, answered_on, at_eleven, received_on, due_on, n in await session.exec(
            select(UnitAnswer.unit, *answer, Request.received_on, Request.due_on, func.count())
            .join(Request, Request.id == UnitAnswer.request_id)
            .where(UnitAnswer.received_at >= start, UnitAnswer.received_at < end)
            .group_by(UnitAnswer.unit, *answer, Request.received_on, Request.due_on)):
        rows[unit, received_on, nz_day(answered_on, at_eleven), due_on] += n
    count = WorkingDayCount(day for _, received, answered, _ in rows for day in (received, answered) if day)
    for (unit, received_on, answered, due_on), n in rows.items():
        entry = line(unit)
        entry.answered += n
        entry.answered_late += n if due_on is not None and answered > due_on else 0
        if received_on is not None:
            entry.days[count.between(received_on, answered)] += n

    late_for_units = (Request.state.in_(lifecycle.UNITS_ANSWERING), Request.due_on < today)
    for units_json, n in await session.exec(select(fan_out, func.count()).where(*late_for_units).group_by(fan_out)):
        for unit in _unit_ids(units_json):
            line(unit).overdue_now += n
    for unit, n in await session.exec(select(UnitAnswer.unit, func.count())
                                      .join(Request, Request.id == UnitAnswer.request_id)
                                      .where(*late_for_units).group_by(UnitAnswer.unit)):
        line(unit).overdue_now -= n  # this unit has answered; the request waits on another one


async def _overdue(session: AsyncSession, today: date, relay_overdue_before: datetime) -> OverdueNow:
    """Overdue as the queue counts it: past the due date while someone still owes the answer, or not yet
    relayed past CCSS's relay-by date. Both read the (state, due_on) index."""
    past_due = dict(list(await session.exec(
        select(Request.state, func.count()).where(Request.state.in_(DATED_WAITING), Request.due_on < today)
        .group_by(Request.state))))
    relay = (await session.exec(select(func.count()).select_from(Request).where(
        Request.state.in_(lifecycle.BEFORE_RELAY), Request.created_at < relay_overdue_before))).one()
    agency = sum(n for state, n in past_due.items() if state in AGENCY_TURN)
    return OverdueNow(agency=agency, ccss=sum(past_due.values()) - agency, relay=relay)


async def board_report(session: AsyncSession, period: Period, today: date, relay_overdue_before: datetime,
                       unit_order: Iterable[str] = ()) -> BoardReport:
    """Every number of the report, in one read transaction."""
    dialect = session.get_bind().dialect.name
    day = lambda column: _nz_day_parts(column, dialect)  # noqa: E731
    months = {m: Month(m) for m in period.months}
    units = {u: UnitLine(u) for u in unit_order}
    await _made(session, day, period, months)
    await _answered(session, day, period, months)
    await _units(session, day, period, today, units)
    overdue = await _overdue(session, today, relay_overdue_before)
    return BoardReport(period, today, list(months.values()), list(units.values()), overdue)
