"""Where every flow's reports stand: the periods due, due soon or overdue (by the schedule's working-day rule,
protocol.schedule) that no decision has covered yet, and the reports prepared, held back, sent and received.
The desk's reports page and `tono reports due` both read it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlmodel import select as orm_select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.reports import conditions
from bot.reports.core import run
from bot.reports.preparing import DECIDED, report_ref
from bot.reports.tables import Report
from protocol import schedule
from protocol.agreement import Agreement, Flow

SHOWN = 24  # reports listed per flow on the desk, newest first


@dataclass(frozen=True)
class DueReport:
    """A period of a flow that needs a report: its due date, where it stands, and its prepared report if any."""

    flow: Flow
    due: schedule.DuePeriod
    prepared: Report | None

    @property
    def ref(self) -> str:
        return report_ref(self.flow.id, self.due.period)

    def line(self) -> str:
        """'attendance 2026-11: due 2026-12-14, overdue' (and whether a preview waits for approval)."""
        waiting = f" (prepared as {self.prepared.ref}, waiting for approval)" if self.prepared else ""
        return f"{self.flow.id} {self.due.period}: due {self.due.due_on.isoformat()}, {self.due.standing}{waiting}"


@dataclass(frozen=True)
class FlowReports:
    flow: Flow
    due: list[DueReport]
    reports: list[Report]


async def due_periods(session: AsyncSession, agreement: Agreement, flow: Flow, today: date) -> list[schedule.DuePeriod]:
    """The flow's periods with rows still to report that are due, due soon or overdue on `today`."""
    day = conditions.date_of(flow.schedule.date_field)
    period = func.substr(day, 1, 7)
    found = (await run(session, select(period, func.min(day)).select_from(conditions.joined())
                                   .where(conditions.eligible(flow), day.like("____-__-__"))
                                   .group_by(period))).all()
    decided = set((await run(session, select(Report.period).where(
        Report.flow == flow.id, Report.corrects_id.is_(None),
        Report.state.in_((*DECIDED, "held_back"))))).scalars())
    earliest = {p: date.fromisoformat(d) for p, d in found if p not in decided}
    return schedule.periods_due(flow.schedule, earliest, today,
                                agreement.service_levels.reminder_before_due_working_days)


async def _prepared(session: AsyncSession, flow: Flow) -> dict[str, Report]:
    rows = await session.exec(orm_select(Report).where(Report.flow == flow.id, Report.state == "prepared",
                                                     Report.corrects_id.is_(None)))
    return {report.period: report for report in rows}


async def due_reports(session: AsyncSession, agreement: Agreement, today: date) -> list[DueReport]:
    """Every report due, due soon or overdue, flow by flow in agreement order, oldest period first."""
    found = []
    for flow in agreement.flows:
        prepared = await _prepared(session, flow)
        found += [DueReport(flow, due, prepared.get(due.period))
                  for due in await due_periods(session, agreement, flow, today)]
    return found


async def flows_overview(session: AsyncSession, agreement: Agreement, today: date) -> list[FlowReports]:
    """Each flow with its due periods and its reports (corrections too), newest first."""
    found = []
    for flow in agreement.flows:
        prepared = await _prepared(session, flow)
        due = [DueReport(flow, d, prepared.get(d.period)) for d in await due_periods(session, agreement, flow, today)]
        reports = list(await session.exec(orm_select(Report).where(Report.flow == flow.id, Report.state != "replaced")
                                          .order_by(Report.id.desc()).limit(SHOWN)))
        found.append(FlowReports(flow, due, reports))
    return found
