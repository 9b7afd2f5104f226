"""Approving a prepared report sends it; holding it back says why it stays. Nothing is ever sent without approval.

Approval re-runs every check (bot.reports.checks) at that moment and refuses, with one sentence, if any fails,
if the agreement changed since the report was prepared, or if the report is not waiting for a decision. In the
same transaction it sends the report as `report.part` messages through the outbox to the one unit the flow
names (parts of protocol.messages.REPORT_ROWS rows, in order; rows held back by the small-group check never
go), and writes one ledger row per person: which flow, which fields, to which unit, under which agreement
version, named or under a study number, approved by which role.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlmodel import select as orm_select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.reports.checks import failed, run_checks
from bot.reports.core import run
from bot.reports.corrections import people_in_correction
from bot.reports.preparing import ReportProblem
from bot.reports.tables import LedgerEntry, Report, ReportRow
from bot.reports.telling import tell_of_correction
from bulk import insert_rows
from protocol.agreement import Agreement
from protocol.clock import utcnow
from protocol.messages import REPORT_ROWS
from protocol.queue import Outbox

APPROVER_ROLE = "staff"  # the provider's staff approve reports (the ledger keeps the role, not the login)
_rows = ReportRow.__table__.c


class UnknownReport(ReportProblem):
    """No report has the reference asked for."""


@dataclass(frozen=True)
class Sent:
    """What approving sent: the report, its parts, rows and people; for a correction report, the people it was
    about (whose families are to be told, with the lead's catalogue sentences)."""

    report: Report
    parts: int
    rows: int
    people: int
    corrected_people: list[int]


async def report_by_ref(session: AsyncSession, ref: str, *, lock: bool = False) -> Report:
    """The report with this reference, or a ReportProblem saying there is none."""
    query = orm_select(Report).where(Report.ref == ref)
    report = (await session.exec(query.with_for_update() if lock else query)).first()
    if report is None:
        raise UnknownReport(f"There is no report {ref!r}. Check the reference and try again.")
    return report


def _waiting(report: Report, doing: str) -> None:
    if report.state != "prepared":
        state = report.state.replace("_", " ")
        raise ReportProblem(f"{report.ref} is {state}, not waiting for a decision, so it cannot be {doing}.")


async def approve(session: AsyncSession, agreement: Agreement, ref: str, *, login: str, outbox: Outbox,
                  today: date) -> Sent:
    """Approve a prepared report as the staff member `login` and send it, in the caller's transaction."""
    report = await report_by_ref(session, ref, lock=True)
    _waiting(report, "approved")
    if report.agreement_version != agreement.version:
        raise ReportProblem(f"The agreement has changed since {report.ref} was prepared: prepare it again under "
                            "the agreement in force, then approve it.")
    report.checks = await run_checks(session, agreement, report)
    wrong = failed(report.checks)
    if wrong:
        raise ReportProblem(f"{report.ref} cannot be approved: {wrong[0]['check'].lower()} failed. "
                            f"{wrong[0]['detail']}")
    total = (await run(session, select(func.count()).where(_rows.report_id == report.id,
                                                              _rows.held_back.is_(False)))).scalar_one()
    if total == 0:
        raise ReportProblem(f"Every row of {report.ref} is held back, so there is nothing to send: hold the report "
                            "back instead.")
    corrects = await session.get(Report, report.corrects_id) if report.corrects_id else None
    parts = -(-total // REPORT_ROWS)
    base = {"flow": report.flow, "unit": report.unit, "period": report.period,
            "agreement": report.agreement_version, "named": report.named, "parts": parts,
            "fields": list(report.fields)}
    if corrects is not None:
        base |= {"corrects": corrects.ref, "corrected_on": today.isoformat()}
    recipient = agreement.agency.id
    last, part = 0, 0
    while True:  # part by part, so at most one part's rows are in memory
        batch = (await run(session, select(_rows.id, _rows.subject, _rows.row_id, _rows["values"]).where(
            _rows.report_id == report.id, _rows.held_back.is_(False), _rows.id > last)
            .order_by(_rows.id).limit(REPORT_ROWS))).all()
        if not batch:
            break
        part += 1
        await outbox.send(session, type="report.part", recipient=recipient, request=report.ref,
                          body=base | {"part": part, "rows": [[subject, row_id, *values]
                                                              for _id, subject, row_id, values in batch]})
        last = batch[-1][0]

    now = utcnow()
    report.state, report.parts = "sent", parts
    report.decided_by, report.decided_role, report.decided_at, report.sent_at = login, APPROVER_ROLE, now, now
    await session.flush()
    # A correction report may also carry rows recorded after its period's report went: those people's rows were
    # added, not corrected, so only the others are told of a correction (the ledger records both sendings).
    corrected = set(await people_in_correction(session, report)) if corrects is not None else set()
    per_person = (await run(session, select(_rows.person_id, func.count()).where(
        _rows.report_id == report.id, _rows.held_back.is_(False)).group_by(_rows.person_id)
        .order_by(_rows.person_id))).all()
    ledger = [{"person_id": person_id, "report_id": report.id, "flow": report.flow, "unit": report.unit,
               "fields": list(report.fields), "rows": rows, "named": report.named,
               "correction": person_id in corrected, "agreement_version": report.agreement_version,
               "approved_role": APPROVER_ROLE, "sent_at": now} for person_id, rows in per_person]
    await insert_rows(await session.connection(), LedgerEntry.__table__, ledger)  # one row per person: thousands
    told = sorted(corrected)
    if told:
        await tell_of_correction(session, agreement, report.unit, told)
    return Sent(report, parts, total, len(per_person), told)


async def hold_back(session: AsyncSession, ref: str, *, login: str, reason: str) -> Report:
    """Hold a prepared report back with a reason: nothing is sent, and the reason stays with the report."""
    reason = (reason or "").strip()
    if not reason:
        raise ReportProblem("Say why the report is held back: the reason stays with it for whoever looks next.")
    if len(reason) > 2000:
        raise ReportProblem("Keep the reason under 2,000 characters.")
    report = await report_by_ref(session, ref, lock=True)
    _waiting(report, "held back")
    report.state, report.held_back_reason = "held_back", reason
    report.decided_by, report.decided_role, report.decided_at = login, APPROVER_ROLE, utcnow()
    await session.flush()
    return report
