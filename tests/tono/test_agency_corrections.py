"""A correction the agency makes to a record one of CCSS's reports brought reaches CCSS's programme records: the
unit's answer names the row and its new values, CCSS corrects its row (who: the unit), and the correction then
waits to go on to every unit that had the old value, as CCSS's own corrections do. On SQLite and PostgreSQL, over
the seeded demo; for a named report (attendance, at service reporting) and a study-numbered one (the
questionnaire, at the evaluators, through the request's study part)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from agency import answering
from agency.models import AgencyRecord, AgencyRequest, Officer, Task
from bot.models import StudyPart, UnitAnswer
from bot.records.tables import ProgrammeCorrection, ProgrammeRecord
from bot.reports.corrections import prepare_corrections, stale_rows
from bot.reports.tables import Report, ReportRow
from tests.agency.desk.agency_world import (
    HTML,
    REPORTING,
    family_asks,
    officer_browser,
    post_form,
    staff_relay,
    tono_app,
)
from tests.bot.chat_driver import TODAY
from tono.keys import study_number_key


@pytest.fixture
async def world(seeded_url, tmp_path):
    made = tono_app(seeded_url, tmp_path)
    made.keys_dir = tmp_path / "keys"
    yield made
    await made.engine.dispose()


def _other_option(agreement, record: AgencyRecord, flow_id: str, field: str):
    options = agreement.holding(agreement.flow(flow_id).holding).field(field).options
    return next(option for option in options if option != record.values[field])


async def _unit_corrects(world, study_numbered: bool, unit: str, role: str | None, pick) -> tuple[AgencyRecord, dict]:
    """The unit's officer corrects one field of one report-derived record about the person, and answers."""
    async with world.sessions.begin() as session:
        request = (await session.exec(select(AgencyRequest).where(
            AgencyRequest.study_numbered.is_(study_numbered)))).one()
        task = (await session.exec(select(Task).where(Task.request_id == request.id, Task.unit_id == unit))).one()
        query = select(Officer).where(Officer.unit_id == unit)
        officer = (await session.exec(query.where(Officer.role == role) if role else query)).first()
        if officer is None:
            officer = Officer(login=f"{role}-{unit}", display_name=role, unit_id=unit, role=role,
                              password_hash="not-a-real-hash")
            session.add(officer)
            await session.flush()
        records = [r for r in await answering.unit_records(session, task, request) if r.report_id is not None]
        record, values = pick(records)
        await answering.claim(session, task, officer)
        body = await answering.answer(session, task, officer, answering.Answer(corrected_values={record.id: values}),
                                      world.link.agency, TODAY, world.agreement)
    sent = {pair["field"]: pair["value"] for pair in body["corrected"][0]["values"]}
    assert body["corrected"][0]["row_id"] == record.row_id and sent.items() >= values.items()
    await world.link.settle()
    return record, values


async def _provider_row_behind(world, agency_record: AgencyRecord) -> ProgrammeRecord:
    async with world.sessions() as session:
        record_id = (await session.exec(select(ReportRow.record_id).where(
            ReportRow.row_id == agency_record.row_id))).first()
        return await session.get(ProgrammeRecord, record_id)


async def test_a_correction_the_service_reporting_unit_makes_corrects_ccss_attendance_row(world):
    await family_asks(world, kind="correction", person="P-0001", key="aroha-corrects")
    await staff_relay(world)

    def attendance(records):
        record = next(r for r in records if "attended" in (r.values or {}))
        return record, {"attended": _other_option(world.agreement, record, "attendance", "attended")}

    async with world.sessions() as session:
        before = {r.id: dict(r.values) for r in await session.exec(select(ProgrammeRecord))}
    record, values = await _unit_corrects(world, False, "service-reporting", None, attendance)

    row = await _provider_row_behind(world, record)
    assert before[row.id]["attended"] != values["attended"] and row.values["attended"] == values["attended"]
    assert row.revision == 2
    async with world.sessions() as session:
        (change,) = (await session.exec(select(ProgrammeCorrection).where(
            ProgrammeCorrection.record_id == row.id))).all()
        answer = (await session.exec(select(UnitAnswer).where(UnitAnswer.unit == "service-reporting"))).one()
        agency_record = await session.get(AgencyRecord, record.id)
    assert change.changed_by == "agency:service-reporting" and change.old_values == before[row.id]
    assert answer.body["corrected"][0]["new_text"] == agency_record.body and "Came" in agency_record.body

    # The correction now waits to go on to every unit that received the old value, as CCSS's own do.
    async with world.sessions.begin() as session:
        assert any(row.id in records for records in (await stale_rows(session)).values())
        prepared = await prepare_corrections(session, world.agreement,
                                             study_number_key(world.agreement, world.keys_dir), prepared_by="kaimahi")
        units = {report.unit for report in prepared}
        originals = {(await session.get(Report, report.corrects_id)).flow for report in prepared}
    assert "service-reporting" in units and "attendance" in originals


async def test_a_correction_the_evaluators_make_under_a_study_number_corrects_ccss_questionnaire_row(world):
    await family_asks(world, kind="correction", person="P-0001", key="aroha-corrects-answers")
    await staff_relay(world, study_parts=True)

    def survey(records):
        record = next(r for r in records if isinstance((r.values or {}).get("routines"), int | float))
        return record, {"routines": record.values["routines"] % 5 + 1, "suburb": "Somewhere else"}

    async with world.sessions() as session:
        part = (await session.exec(select(StudyPart))).one()
    record, values = await _unit_corrects(world, True, "evaluation", "evaluator", survey)

    row = await _provider_row_behind(world, record)
    assert row.values["routines"] == values["routines"] and row.revision == 2
    # The suburb reached the evaluators made coarser (a quasi-identifying field): CCSS keeps its own.
    assert row.values["suburb"] != "Somewhere else"
    async with world.sessions() as session:
        change = (await session.exec(select(ProgrammeCorrection).where(
            ProgrammeCorrection.record_id == row.id))).one()
        part = await session.get(StudyPart, part.id)
    assert change.changed_by == "agency:evaluation" and part.state == "answered"
    assert part.answer["corrected"][0]["row_id"] == record.row_id


async def test_the_desks_correction_form_offers_a_report_records_fields_and_ccss_row_follows(world):
    await family_asks(world, kind="correction", person="P-0001", key="aroha-at-the-desk")
    await staff_relay(world)
    async with world.sessions() as session:
        request = (await session.exec(select(AgencyRequest))).one()
        task = (await session.exec(select(Task).where(Task.request_id == request.id,
                                                      Task.unit_id == "service-reporting"))).one()
        records = [r for r in await answering.unit_records(session, task, request) if r.report_id is not None]
    record = next(r for r in records if "attended" in r.values)
    new = _other_option(world.agreement, record, "attendance", "attended")
    client, csrf = await officer_browser(world.app, REPORTING)
    assert (await post_form(client, f"/agency/tasks/{task.id}/claim", csrf)).status_code == 303

    page = await client.get(f"/agency/tasks/{task.id}", headers=HTML)
    assert f'name="value-{record.id}-attended"' in page.text and f'name="new_text-{record.id}"' not in page.text
    sent = await post_form(client, f"/agency/tasks/{task.id}/answer", csrf,
                           **{f"decision-{record.id}": "correct", f"value-{record.id}-attended": new})
    assert sent.status_code == 303, sent.text
    await world.link.settle()
    await client.aclose()

    row = await _provider_row_behind(world, record)
    assert row.values["attended"] == new and row.revision == 2
