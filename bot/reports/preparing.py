"""Preparing a flow's report for a period, exactly as it would go, for staff to see before anything is sent.

The rows are the flow's holding's records whose schedule date falls in the period, about people with a
participant id who meet the flow's condition; each carries only the flow's fields, in the flow's order. A flow
that names people carries the participant id; one that does not carries the unit's study number, its
quasi-identifying fields made coarser and its small groups held back (bot.reports.small_groups). Nothing is
sent here: bot.reports.approving sends a report once staff approve it.

Rows are read and written in batches with SQLAlchemy Core (a month's attendance can be 80,000 rows): the
report is never held as ORM objects. A flow that does not name people keeps its rows as plain tuples until
the small-group check has seen them all.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, select
from sqlmodel import select as orm_select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.reports import conditions, pseudonyms
from bot.reports.checks import run_checks
from bot.reports.core import run
from bot.reports.small_groups import QuasiField, check
from bot.reports.tables import Report, ReportRow
from bulk import insert_rows
from protocol import schedule
from protocol.agreement import Agreement, Flow
from protocol.clock import utcnow

BATCH = 5000
DECIDED = ("approved", "sent", "received")  # a report past these is never prepared again; corrections follow it
_records = conditions._records
_people = conditions._people


class ReportProblem(ValueError):
    """A report cannot be prepared, approved or held back; the message is one sentence for staff."""


def report_ref(flow_id: str, period: str) -> str:
    """A report's reference, the same each time its flow and period are prepared: RPT-attendance-2026-11."""
    return f"RPT-{flow_id}-{period}"


def flow_named(agreement: Agreement, flow_id: str) -> Flow:
    """The flow with this id, or a ReportProblem naming the flows there are."""
    try:
        return agreement.flow(flow_id)
    except KeyError:
        raise ReportProblem(f"There is no flow {flow_id!r}; the flows are "
                            f"{', '.join(f.id for f in agreement.flows)}.") from None


def quasi_fields(agreement: Agreement, flow: Flow) -> list[QuasiField]:
    holding = agreement.holding(flow.holding)
    return [QuasiField(name, holding.field(name).label, tuple(holding.field(name).quasi_identifying))
            for name in flow.fields if holding.field(name).quasi_identifying is not None]


async def prepare(session: AsyncSession, agreement: Agreement, flow_id: str, period: str, key: bytes, *,
                  prepared_by: str) -> Report:
    """Prepare (or prepare again, in place, before approval) the flow's report for the period."""
    flow = flow_named(agreement, flow_id)
    try:
        schedule.check_period(period)
    except schedule.ScheduleError as error:
        raise ReportProblem(str(error)) from None
    ref = report_ref(flow.id, period)
    report = (await session.exec(orm_select(Report).where(Report.ref == ref).with_for_update())).first()
    if report is not None and report.state in DECIDED:
        raise ReportProblem(f"The {flow.id} report for {period} ({ref}) was already approved and sent; a change to "
                            "its rows goes to the unit as a correction.")
    unit_key = pseudonyms.unit_key(key, flow.to_unit, agreement.reporting.units_may_link)
    if report is None:
        report = Report(ref=ref, flow=flow.id, unit=flow.to_unit, period=period, due_on=date.today(),
                        named=flow.identifiable, agreement_version=agreement.version)
        session.add(report)
    else:  # prepared again before approval (or after being held back): the same reference, rebuilt
        await run(session, delete(ReportRow.__table__).where(ReportRow.__table__.c.report_id == report.id))
    report.state, report.fields, report.named = "prepared", list(flow.fields), flow.identifiable
    report.agreement_version, report.unit = agreement.version, flow.to_unit
    report.prepared_by, report.prepared_at = prepared_by, utcnow()
    report.decided_by, report.decided_role, report.decided_at, report.held_back_reason = "", "", None, ""
    await session.flush()

    written = await _write_rows(session, agreement, flow, period, report, unit_key)
    if written is None:
        raise ReportProblem(f"The {flow.id} flow has no rows dated in {period} about anyone who may be in it, so "
                            "there is nothing to prepare.")
    earliest, people, rows, summary = written
    report.due_on = schedule.report_due(flow.schedule, period, [earliest])
    report.people, report.rows, report.parts, report.small_groups = people, rows, 0, summary
    report.checks = await run_checks(session, agreement, report)
    await session.flush()
    return report


async def _records_in_period(session: AsyncSession, flow: Flow, period: str):
    """The flow's eligible records in the period, batch by batch, as (id, person id, revision, values, pid).

    The people who may be in the flow are read once (a programme has thousands, a month's report tens of
    thousands of rows), so the records are read without a join, as one query streamed in batches (a
    server-side cursor on PostgreSQL), never all at once.
    """
    people = dict((await run(session, conditions.eligible_people(flow))).all())
    query = (select(_records.id, _records.person_id, _records.revision, _records["values"])
             .where(_records.holding == flow.holding, conditions.in_period(flow, period))
             .order_by(_records.person_id, _records.row_key).execution_options(yield_per=BATCH))
    result = await (await session.connection()).stream(query)
    async for batch in result.partitions(BATCH):
        yield [(record_id, person_id, revision, values, people[person_id])
               for record_id, person_id, revision, values in batch if person_id in people]


async def _write_rows(session: AsyncSession, agreement: Agreement, flow: Flow, period: str, report: Report,
                      unit_key: bytes) -> tuple[date, int, int, dict] | None:
    """Write the report's rows; None when there are none. Returns (earliest date, people, rows sent, summary)."""
    earliest: str | None = None
    people: set[int] = set()
    waiting: list[dict] = []
    numbers: dict[int, str] = {}  # study numbers made so far, one per person
    count = 0
    table = ReportRow.__table__
    async for batch in _records_in_period(session, flow, period):
        out = []
        for record_id, person_id, revision, values, participant_id in batch:
            day = values.get(flow.schedule.date_field)
            if not schedule.in_period(day, period):
                continue
            earliest = day if earliest is None or day < earliest else earliest
            if flow.identifiable:
                subject = participant_id
            elif (subject := numbers.get(person_id)) is None:
                subject = numbers[person_id] = pseudonyms.study_number(unit_key, person_id)
            out.append({"report_id": report.id, "record_id": record_id, "person_id": person_id,
                        "revision": revision, "subject": subject, "row_id": pseudonyms.row_id(unit_key, record_id),
                        "values": [values.get(name) for name in flow.fields], "held_back": False})
        if flow.identifiable:
            await insert_rows(await session.connection(), table, out)  # COPY or the driver's own executemany
            people.update(row["person_id"] for row in out)
            count += len(out)
        else:
            waiting += out
    if earliest is None:
        return None
    summary: dict = {}
    if not flow.identifiable:
        fields = quasi_fields(agreement, flow)
        at = [flow.fields.index(f.name) for f in fields]
        result = check([(row["subject"], tuple(row["values"][i] for i in at)) for row in waiting], fields,
                       agreement.reporting.smallest_group, agreement.generalisations)
        for row, generalised, held in zip(waiting, result.values, result.held_back, strict=True):
            for i, value in zip(at, generalised, strict=True):
                row["values"][i] = value
            row["held_back"] = held
        for start in range(0, len(waiting), BATCH):
            await insert_rows(await session.connection(), table, waiting[start:start + BATCH])
        sent = [row for row in waiting if not row["held_back"]]
        people.update(row["person_id"] for row in sent)
        count = len(sent)
        summary = result.summary(fields)
    return date.fromisoformat(earliest), len(people), count, summary
