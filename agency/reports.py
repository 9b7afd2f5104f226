"""A unit receives a report from the provider: the parts of one report, applied whole or not at all.

The rules, in plain words:
- A part is refused (the queue keeps it as a failed message, then a dead letter, with the reason) when its
  flow is not in the agreement, when it goes to a unit other than the flow's, when it carries other fields
  than the flow's, when it names people and the flow does not (or the other way round), when it was made
  under another version of the agreement, or when it disagrees with the report's earlier parts.
- Parts may arrive in any order. Until the last one is here, each is kept as it came (AgencyReportPart).
  The last one applies the whole report in its one transaction: the report, and one record per row for the
  unit (by participant id, or by study number where the flow does not name people), then the kept parts
  are deleted and the provider is told (report.received). If anything fails, nothing of it is kept.
- A correction report (`corrects`) puts its values into the unit's records with the same row ids; a row
  the unit does not have yet is added.
- The same part twice changes nothing: a part already kept, or a part of a report already applied.

A report of 80,000 rows is applied with one bulk insert per part (agency/bulk_records.py), reading the kept
parts one at a time, so memory stays that of one part.
"""

from __future__ import annotations

import hashlib
from datetime import date

from sqlalchemy import bindparam, delete, text, update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from agency.bulk_records import RowAlreadyHeld, insert_records
from agency.models import AgencyRecord, AgencyReport, AgencyReportPart, Unit
from agency.report_rows import KEY_LENGTH, RowShape
from protocol.agreement import Agreement, Flow
from protocol.clock import utcnow
from protocol.messages import Envelope
from protocol.queue import Outbox

# What every part of one report must say alike (all but its number and its rows).
HEADER = ("flow", "unit", "period", "agreement", "named", "parts", "fields", "corrects", "corrected_on")
RECORDS = AgencyRecord.__table__
LOOKUP_CHUNK = 500  # row ids asked about in one query when a correction looks for the records it corrects


class ReportRefused(ValueError):
    """A part the unit will not apply; the message says why in one sentence (nothing was changed)."""


def check_part(agreement: Agreement, envelope: Envelope) -> Flow:
    """The part's flow, once the part is one the agreement allows; ReportRefused otherwise."""
    body = envelope.body
    try:
        flow = agreement.flow(body["flow"])
    except KeyError:
        raise ReportRefused(f"Report {envelope.request}: the flow {body['flow']!r} is not in the agreement.") from None
    if envelope.sender != flow.from_party:
        raise ReportRefused(f"Report {envelope.request}: the {flow.id} flow comes from {flow.from_party}, "
                            f"not from {envelope.sender}.")
    if body["unit"] != flow.to_unit:
        raise ReportRefused(f"Report {envelope.request}: the {flow.id} flow goes to the unit {flow.to_unit}, "
                            f"not to {body['unit']}.")
    if sorted(body["fields"]) != sorted(flow.fields):
        raise ReportRefused(f"Report {envelope.request}: it carries the fields {', '.join(body['fields'])}, but "
                            f"the {flow.id} flow carries exactly {', '.join(flow.fields)}.")
    if body["named"] != flow.identifiable:
        said = "names people" if body["named"] else "carries study numbers"
        rule = "names people" if flow.identifiable else "carries study numbers, never names"
        raise ReportRefused(f"Report {envelope.request}: it {said}, but the {flow.id} flow {rule}.")
    if body["agreement"] != agreement.version:
        raise ReportRefused(f"Report {envelope.request}: it was made under agreement version "
                            f"{body['agreement'][:12]}…, but the agreement in force here is version "
                            f"{agreement.version[:12]}….")
    return flow


def _header(body: dict) -> dict:
    return {name: body.get(name) for name in HEADER}


async def receive_part(session: AsyncSession, envelope: Envelope, agreement: Agreement, outbox: Outbox,
                       today: date) -> AgencyReport | None:
    """Keep or apply one report.part in the caller's transaction; the report once applied, else None."""
    flow = check_part(agreement, envelope)
    body, provider, ref = envelope.body, envelope.sender, envelope.request
    await _one_at_a_time(session, provider, ref)
    applied = (await session.exec(select(AgencyReport).where(
        AgencyReport.provider == provider, AgencyReport.ref == ref))).first()
    if applied is not None:
        # A part of a report already applied, sent again: nothing changes. Its last part is acknowledged again, so
        # a provider restored from a backup that sent the report anew learns the unit has it (as it was).
        if body["part"] == body["parts"]:
            await outbox.send(session, type="report.received", recipient=provider, request=ref, body={
                "unit": applied.unit_id, "rows": applied.rows, "received_on": applied.received_on.isoformat()})
        return None
    kept = list((await session.exec(select(AgencyReportPart.part).where(
        AgencyReportPart.provider == provider, AgencyReportPart.ref == ref)
        .order_by(AgencyReportPart.part))).all())
    if body["part"] in kept:
        return None  # this part is already kept
    if kept:
        first = (await session.exec(select(AgencyReportPart.body).where(
            AgencyReportPart.provider == provider, AgencyReportPart.ref == ref,
            AgencyReportPart.part == kept[0]))).one()
        if _header(first) != _header(body):
            raise ReportRefused(f"Report {ref}: part {body['part']} does not say what part {kept[0]} said about "
                                "the report (its flow, unit, period, agreement, fields or number of parts).")
    if len(kept) + 1 < body["parts"]:
        session.add(AgencyReportPart(provider=provider, ref=ref, part=body["part"], body=body))
        return None
    return await _apply(session, envelope, flow, agreement, outbox, today)


async def _one_at_a_time(session: AsyncSession, provider: str, ref: str) -> None:
    """Two parts of one report applied at once on PostgreSQL would each see the other missing; a lock per
    report makes the second wait for the first (SQLite's write lock already does)."""
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(f"report {provider} {ref}".encode()).digest()[:8], "big", signed=True)
        await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


async def _apply(session: AsyncSession, envelope: Envelope, flow: Flow, agreement: Agreement, outbox: Outbox,
                 today: date) -> AgencyReport:
    body, provider, ref = envelope.body, envelope.sender, envelope.request
    unit = body["unit"]
    if await session.get(Unit, unit) is None:
        raise ReportRefused(f"Report {ref}: the unit {unit} is in the agreement but not in this database "
                            "(run `tono setup`).")
    if body.get("corrects"):
        await _check_corrected(session, provider, body)
    report = AgencyReport(provider=provider, ref=ref, flow=flow.id, unit_id=unit, period=body["period"],
                          named=body["named"], agreement_version=body["agreement"], corrects_ref=body.get("corrects"),
                          parts=body["parts"], rows=0, received_on=today)
    session.add(report)
    await session.flush()
    shape = RowShape.of(agreement, flow, body["fields"], body["period"])
    seen: set[str] = set()
    rows = 0
    for number in range(1, body["parts"] + 1):
        part = body if number == body["part"] else (await session.exec(select(AgencyReportPart.body).where(
            AgencyReportPart.provider == provider, AgencyReportPart.ref == ref,
            AgencyReportPart.part == number))).one()
        records = _records(report, shape, part["rows"], seen)
        if body.get("corrects"):
            await _correct(session, report, records)
        else:
            await _add(session, report, records)
        rows += len(records)
    report.rows = rows
    session.add(report)
    await (await session.connection()).execute(delete(AgencyReportPart).where(
        AgencyReportPart.provider == provider, AgencyReportPart.ref == ref))
    await outbox.send(session, type="report.received", recipient=provider, request=ref,
                      body={"unit": unit, "rows": rows, "received_on": today.isoformat()})
    return report


async def _check_corrected(session: AsyncSession, provider: str, body: dict) -> None:
    earlier = (await session.exec(select(AgencyReport).where(
        AgencyReport.provider == provider, AgencyReport.ref == body["corrects"]))).first()
    if earlier is not None and (earlier.flow, earlier.unit_id) != (body["flow"], body["unit"]):
        raise ReportRefused(f"Report {body['corrects']}, which this report corrects, came to the unit "
                            f"{earlier.unit_id} under the {earlier.flow} flow, not to {body['unit']} under "
                            f"{body['flow']}.")


def _records(report: AgencyReport, shape: RowShape, rows: list[list], seen: set[str]) -> list[dict]:
    """The record columns for a part's rows; a row id twice in one report, or a key too long, refuses it."""
    now = utcnow()
    made = []
    for row in rows:
        subject, row_id = row[0], row[1]
        if len(subject) > KEY_LENGTH or len(row_id) > KEY_LENGTH:
            raise ReportRefused(f"Report {report.ref}: a subject or row id is longer than {KEY_LENGTH} characters.")
        if row_id in seen:
            raise ReportRefused(f"Report {report.ref}: the row id {row_id} comes twice.")
        seen.add(row_id)
        made.append({"unit_id": report.unit_id, "participant_id": subject, "study_numbered": not report.named,
                     "report_id": report.id, "row_id": row_id, "created_at": now, **shape.record(row)})
    return made


async def _add(session: AsyncSession, report: AgencyReport, records: list[dict]) -> None:
    try:  # the whole transaction rolls back on this refusal, so no savepoint is needed
        await insert_records(await session.connection(), records)
    except RowAlreadyHeld:
        raise ReportRefused(f"Report {report.ref}: the unit already holds a row it carries; a changed row "
                            "comes in a correction report.") from None


async def _correct(session: AsyncSession, report: AgencyReport, records: list[dict]) -> None:
    """Rows the unit holds take the corrected values; rows it does not hold are added."""
    connection = await session.connection()
    held: dict[str, str] = {}
    for start in range(0, len(records), LOOKUP_CHUNK):
        ids = [r["row_id"] for r in records[start:start + LOOKUP_CHUNK]]
        held |= dict((await connection.execute(select(RECORDS.c.row_id, RECORDS.c.participant_id).where(
            RECORDS.c.unit_id == report.unit_id, RECORDS.c.row_id.in_(ids)))).all())
    if wrong := next((r["row_id"] for r in records if r["row_id"] in held
                      and held[r["row_id"]] != r["participant_id"]), None):
        raise ReportRefused(f"Report {report.ref}: the row {wrong} is held here about someone else; a correction "
                            "cannot move a row to another person.")
    now = utcnow()
    changed = [{"b_unit": report.unit_id, "b_row": r["row_id"], "b_values": r["values"], "b_title": r["title"],
                "b_body": r["body"], "b_date": r["record_date"], "b_at": now}
               for r in records if r["row_id"] in held]
    if changed:
        await connection.execute(update(RECORDS).where(
            RECORDS.c.unit_id == bindparam("b_unit"), RECORDS.c.row_id == bindparam("b_row")).values(
            values=bindparam("b_values"), title=bindparam("b_title"), body=bindparam("b_body"),
            record_date=bindparam("b_date"), corrected_at=bindparam("b_at")), changed)
    if added := [r for r in records if r["row_id"] not in held]:
        await _add(session, report, added)
