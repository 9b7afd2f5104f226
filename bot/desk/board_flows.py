"""The board report's part on information sent under the agreement: for each flow, the reports sent in the
period and how many on time, the people they covered, and the outcomes of information use the agency
reported. Counts of people are randomly rounded to base 3, as Stats NZ does, so that a small number cannot
point at a family.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.desk.report_period import Period
from bot.reports.tables import LedgerEntry, Outcome, Report
from protocol.agreement import Agreement
from protocol.clock import nz_today

SENT = ("sent", "received")


@dataclass(frozen=True)
class FlowLine:
    flow: str
    unit: str
    reports: int  # reports of the flow sent in the period (corrections not counted)
    on_time: int  # of those, sent on or before their due date
    people: int  # people whose information they carried, randomly rounded to base 3


@dataclass(frozen=True)
class FlowsSent:
    lines: list[FlowLine]
    outcomes: int  # outcomes of information use received in the period, randomly rounded to base 3


def rounded_to_base_3(count: int, cell: str, secret: str) -> int:
    """Stats NZ's random rounding to base 3: a multiple of 3 stays; any other count goes to the nearer multiple
    of 3 two times in three, and to the further one otherwise (so 1 shows as 0 or 3, never as 1).

    The draw is keyed by a secret and fixed per cell and count: a page that rounded afresh on each view would
    give the true count away to someone who reloads it and averages, and without the secret anyone could work
    out which true counts lead to the number shown.
    """
    remainder = count % 3
    if remainder == 0:
        return count
    digest = hmac.new(secret.encode(), f"{cell}:{count}".encode(), hashlib.sha256).digest()
    draw = int.from_bytes(digest[:8], "big") / 2**64
    down, up = count - remainder, count + 3 - remainder
    nearer, further = (down, up) if remainder == 1 else (up, down)
    return nearer if draw < 2 / 3 else further


async def flows_sent(session: AsyncSession, agreement: Agreement, period: Period, secret: str) -> FlowsSent:
    """What the programme sent to the agency in the period, flow by flow, in the agreement's order."""
    start, end = period.moments()
    reports = list(await session.exec(select(Report).where(
        Report.state.in_(SENT), Report.corrects_id.is_(None), Report.sent_at >= start, Report.sent_at < end)))
    people = dict((await session.exec(
        select(LedgerEntry.flow, func.count(func.distinct(LedgerEntry.person_id)))
        .where(LedgerEntry.report_id.in_([r.id for r in reports] or [-1])).group_by(LedgerEntry.flow))).all())
    span = f"{period.first_day:%Y-%m}..{period.months[-1]:%Y-%m}"
    lines = []
    for flow in agreement.flows:
        theirs = [r for r in reports if r.flow == flow.id]
        on_time = sum(1 for r in theirs if nz_today(r.sent_at) <= r.due_on)
        lines.append(FlowLine(flow.id, flow.to_unit, len(theirs), on_time,
                              rounded_to_base_3(people.get(flow.id, 0), f"people:{flow.id}:{span}", secret)))
    # Outcomes of information use the units reported in the period, each tied to the reports that informed it.
    outcomes = (await session.exec(select(func.count()).select_from(Outcome).where(
        Outcome.reported_on >= period.first_day, Outcome.reported_on < period.after))).one()
    return FlowsSent(lines, rounded_to_base_3(outcomes, f"outcomes:{span}", secret))
