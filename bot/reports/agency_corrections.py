"""A correction the agency made to a record one of the provider's reports brought: the unit's answer
(unit.answered, `corrected`) names the row by the id the unit knows it by and gives the row's new values. The
provider finds its own programme record behind that row and corrects it (who: the unit), so its records say what
the agency now says; the correction then goes on, as any correction of sent data does (bot/reports/corrections.py),
to every unit that received the old value.

Only fields the unit received as the provider holds them are taken: a field a study-numbered report made coarser
(a suburb sent as its city) says less than the provider's value, so the provider's value is never replaced by it.
"""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.models import Person
from bot.records.recording import RecordsProblem, correct_row
from bot.records.tables import ProgrammeRecord
from bot.reports.tables import Report, ReportRow
from protocol.agreement import Agreement
from protocol.messages import Envelope


async def apply_agency_corrections(session: AsyncSession, agreement: Agreement, envelope: Envelope) -> list[int]:
    """Correct the provider's programme record behind each corrected row of a unit's answer; the ids of the
    records corrected. A row the provider does not know, or values its holding refuses, change nothing here (the
    family's answer still says what the unit corrected)."""
    body = envelope.body
    unit = body.get("unit", "")
    corrected: list[int] = []
    for item in body.get("corrected", []):
        if "row_id" not in item or "values" not in item:
            continue
        found = (await session.exec(select(ReportRow.record_id, Report.flow, Report.named).join(
            Report, Report.id == ReportRow.report_id).where(ReportRow.row_id == item["row_id"], Report.unit == unit)
            .limit(1))).first()
        if found is None:
            continue
        record_id, flow_id, named = found
        record = await session.get(ProgrammeRecord, record_id)
        flow = agreement.flow(flow_id)
        holding = agreement.holding(flow.holding)
        given = {pair["field"]: pair["value"] for pair in item["values"]}
        taken = {name: value for name, value in given.items() if name in flow.fields
                 and (named or holding.field(name).quasi_identifying is None)}
        typed = {**record.values, **{name: ("" if value is None else value) for name, value in taken.items()}}
        person = await session.get(Person, record.person_id)
        try:
            done = await correct_row(session, agreement, person, holding.id, record.id, typed,
                                     by=f"agency:{unit}", reason=f"Corrected by the agency's {unit} unit")
        except RecordsProblem:
            continue
        if done.outcome != "unchanged" and record_id not in corrected:
            corrected.append(record_id)
    return corrected
