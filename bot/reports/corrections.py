"""Corrections of data already sent: when a programme record a unit received is corrected at the provider, a
correction report goes to every unit that received the old value (IPP 7 asks an agency to tell those it
disclosed the information to).

A correction report names the report it corrects (`corrects`, and the day, `corrected_on`), carries the same
row ids the unit already knows, and the rows' new values in the flow's fields. It is prepared here and goes
through the same preview, checks and approval as any report (bot.reports.approving). For a flow that does not
name people the corrected values are made as coarse as the original report made them, and a corrected row that
would fall in a group smaller than k (with the rows the unit already has) is held back.

`people_in_correction` lists whom a sent correction was about: their families are told (the sentences are the
lead's, in the catalogues; approving.Sent.corrected_people hands the same list back at approval).
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import and_, delete, func, insert, select
from sqlmodel import select as orm_select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.records.tables import ProgrammeRecord
from bot.reports import conditions, pseudonyms
from bot.reports.checks import run_checks
from bot.reports.core import run
from bot.reports.preparing import quasi_fields
from bot.reports.small_groups import generalise
from bot.reports.tables import Report, ReportRow
from protocol.agreement import Agreement, Flow
from protocol.clock import nz_today, utcnow

_rows = ReportRow.__table__.c
_reports = Report.__table__.c
_records = ProgrammeRecord.__table__.c
SENT = ("sent", "received")


async def stale_rows(session: AsyncSession, agreement: Agreement | None = None) -> dict[int, list[int]]:
    """For each sent report (its original, by id), the records whose newest sent revision is older than the
    record now; with the agreement, also the records recorded late: rows of a period already reported that
    no report of the flow has carried yet (they go as additions in the period's next correction report)."""
    root = func.coalesce(_reports.corrects_id, _reports.id).label("root")
    query = (select(root, _rows.record_id).select_from(
        ReportRow.__table__.join(Report.__table__, _rows.report_id == _reports.id)
        .join(ProgrammeRecord.__table__, _records.id == _rows.record_id))
        .where(_reports.state.in_(SENT), _rows.held_back.is_(False))
        .group_by(root, _rows.record_id, _records.revision)
        .having(func.max(_rows.revision) < _records.revision).order_by(root, _rows.record_id))
    found: dict[int, list[int]] = defaultdict(list)
    for original, record_id in (await run(session, query)).all():
        found[original].append(record_id)
    for flow in agreement.flows if agreement is not None else []:
        for original, record_id in (await run(session, _late(flow))).all():
            found[original].append(record_id)
    return {original: sorted(ids) for original, ids in sorted(found.items())}


def _late(flow: Flow):
    """(original report id, record id) for the flow's records whose period was reported while no report of the
    flow ever carried them, not even as a row held back: recorded after the report went."""
    original = Report.__table__.alias("original")
    period = func.substr(conditions.date_of(flow.schedule.date_field), 1, 7)
    carried = (select(_rows.record_id).select_from(ReportRow.__table__.join(Report.__table__,
                                                                            _rows.report_id == _reports.id))
               .where(_reports.flow == flow.id, _reports.state.in_(SENT), _rows.record_id == _records.id))
    return (select(original.c.id, _records.id).select_from(conditions.joined().join(original, and_(
        original.c.flow == flow.id, original.c.corrects_id.is_(None), original.c.state.in_(SENT),
        original.c.period == period)))
        .where(conditions.eligible(flow), ~carried.exists()).order_by(original.c.id, _records.id))


async def prepare_corrections(session: AsyncSession, agreement: Agreement, key: bytes, *,
                              prepared_by: str) -> list[Report]:
    """Prepare a correction report for every sent report whose rows were corrected since (one waiting
    correction per report, rebuilt in place if it is prepared again before approval)."""
    prepared = []
    for original_id, record_ids in (await stale_rows(session, agreement)).items():
        original = await session.get(Report, original_id)
        report = await _correction_report(session, agreement, original, prepared_by)
        if await _write(session, agreement, original, report, record_ids, key):
            report.checks = await run_checks(session, agreement, report)
            prepared.append(report)
        else:
            await session.delete(report)
        await session.flush()
    return prepared


async def _correction_report(session: AsyncSession, agreement: Agreement, original: Report,
                             prepared_by: str) -> Report:
    earlier = list(await session.exec(orm_select(Report).where(Report.corrects_id == original.id)
                                       .order_by(Report.id)))
    waiting = next((r for r in earlier if r.state == "prepared"), None)
    if waiting is not None:
        await run(session, delete(ReportRow.__table__).where(_rows.report_id == waiting.id))
        report = waiting
    else:
        report = Report(ref=f"{original.ref}-C{len(earlier) + 1}", flow=original.flow, unit=original.unit,
                        period=original.period, corrects_id=original.id, due_on=nz_today(),
                        named=original.named, agreement_version=agreement.version, fields=list(original.fields))
        session.add(report)
    report.prepared_by, report.prepared_at, report.agreement_version = prepared_by, utcnow(), agreement.version
    await session.flush()
    return report


async def _write(session: AsyncSession, agreement: Agreement, original: Report, report: Report,
                 record_ids: list[int], key: bytes) -> bool:
    flow = agreement.flow(original.flow)
    unit_key = pseudonyms.unit_key(key, original.unit, agreement.reporting.units_may_link)
    records = (await run(session,
        select(_records.id, _records.person_id, _records.revision, _records["values"],
               conditions._people.participant_id).select_from(conditions.joined())
        .where(conditions.eligible(flow), _records.id.in_(record_ids)).order_by(_records.id))).all()
    rows = [{"report_id": report.id, "record_id": record_id, "person_id": person_id, "revision": revision,
             "subject": participant_id if original.named else pseudonyms.study_number(unit_key, person_id),
             "row_id": pseudonyms.row_id(unit_key, record_id), "held_back": False,
             "values": [values.get(name) for name in original.fields]}
            for record_id, person_id, revision, values, participant_id in records]
    if not rows:
        return False
    summary: dict = {}
    if not original.named:
        summary = await _keep_groups(session, agreement, original, rows)
    await run(session, insert(ReportRow.__table__), rows)
    sent = [row for row in rows if not row["held_back"]]
    report.rows, report.people, report.small_groups = len(sent), len({r["person_id"] for r in sent}), summary
    return True


async def _keep_groups(session: AsyncSession, agreement: Agreement, original: Report, rows: list[dict]) -> dict:
    """Make corrected values as coarse as the original report's, and hold back a row whose group (with the
    rows the unit already has) would have fewer than k people."""
    flow = agreement.flow(original.flow)
    fields = quasi_fields(agreement, flow)
    at = [original.fields.index(f.name) for f in fields]
    levels = (original.small_groups or {}).get("levels", {})
    k = agreement.reporting.smallest_group
    for row in rows:
        for i, f in zip(at, fields, strict=True):
            row["values"][i] = generalise(row["values"][i], f.steps, levels.get(f.name, 0), agreement.generalisations)
    corrected = {row["record_id"]: row for row in rows}
    people: dict[tuple, set[str]] = defaultdict(set)
    sent = (await run(session, select(_rows.record_id, _rows.subject, _rows["values"]).where(
        _rows.report_id == original.id, _rows.held_back.is_(False)))).all()
    for record_id, subject, values in sent:
        now = corrected[record_id]["values"] if record_id in corrected else values
        people[tuple(now[i] for i in at)].add(subject)
    said = []
    for row in rows:
        group = tuple(row["values"][i] for i in at)
        if len(people[group]) < k:
            row["held_back"] = True
            said.append(f"1 row held back: its corrected group ({', '.join(str(v) for v in group)}) would have "
                        f"{len(people[group])} people, fewer than {k}.")
    return {"k": k, "levels": levels, "held_back": sum(r["held_back"] for r in rows), "said": said,
            "coarser": (original.small_groups or {}).get("coarser", {})}


async def people_in_correction(session: AsyncSession, report: Report) -> list[int]:
    """The people (ids) a sent correction report corrected something about: the families to tell. Rows it
    only added (recorded after the report went) correct nothing; the ledger records their sending."""
    if report.corrects_id is None or report.state not in SENT:
        return []
    earlier = Report.__table__.alias("earlier")
    had = ReportRow.__table__.alias("had")
    before = (select(had.c.record_id).select_from(had.join(earlier, had.c.report_id == earlier.c.id))
              .where(had.c.record_id == _rows.record_id, earlier.c.id != report.id, earlier.c.state.in_(SENT),
                     func.coalesce(earlier.c.corrects_id, earlier.c.id) == report.corrects_id))
    return list((await run(session, select(_rows.person_id).where(
        _rows.report_id == report.id, _rows.held_back.is_(False), before.exists())
        .distinct().order_by(_rows.person_id))).scalars())
