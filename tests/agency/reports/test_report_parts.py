"""A unit applies a report whole, only once every part is here, and refuses a part that breaks the agreement
without keeping anything of it (agency/reports.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from agency.models import AgencyRecord, AgencyReport, AgencyReportPart
from agency.reports import ReportRefused
from linkqueue.sql import MAX_APPLY_ATTEMPTS
from tests.agency.reports.reports_world import SURVEY, TODAY, attendance_rows, report_part

REF = "RPT-attendance-2026-11"


async def test_parts_arriving_out_of_order_are_kept_until_the_last_then_applied_whole(agency):
    rows = attendance_rows(9)
    parts = [report_part(agency.agreement, REF, rows[n * 3:n * 3 + 3], part=n + 1, parts=3) for n in range(3)]

    await agency.apply(parts[2])
    await agency.apply(parts[0])
    kept_before_the_last = (await agency.count(AgencyReportPart), await agency.count(AgencyRecord),
                            await agency.count(AgencyReport))
    await agency.apply(parts[1])

    assert kept_before_the_last == (2, 0, 0)
    assert await agency.count(AgencyReportPart) == 0
    records = await agency.records(unit_id="service-reporting")
    assert sorted(r.row_id for r in records) == sorted(row[1] for row in rows)
    (report,) = [r async for r in _reports(agency)]
    assert (report.ref, report.flow, report.period, report.rows, report.parts, report.named) == (
        REF, "attendance", "2026-11", 9, 3, True)
    assert all(r.report_id == report.id and not r.study_numbered for r in records)


async def test_a_record_reads_in_the_agreements_labels_and_is_dated_by_the_schedules_date_field(agency):
    await agency.apply(report_part(agency.agreement, REF, [["BFF-P-1001", "att-1", "2026-11-03", "group session",
                                                            "yes"]]))

    (record,) = await agency.records()

    assert record.participant_id == "BFF-P-1001"
    assert record.title == "Attendance: 3 November 2026, group session"
    assert record.body == "Date: 3 November 2026\nSession: group session\nCame: yes"
    assert record.values == {"session_date": "2026-11-03", "session": "group session", "attended": "yes"}
    assert record.record_date.isoformat() == "2026-11-03"
    assert record.study_numbered is False and record.created_at.tzinfo is not None  # read back as written


async def test_the_same_part_twice_is_kept_once_and_a_part_of_an_applied_report_changes_nothing_but_is_acknowledged(
        agency):
    rows = attendance_rows(4)
    first, last = (report_part(agency.agreement, REF, rows[n * 2:n * 2 + 2], part=n + 1, parts=2) for n in range(2))

    await agency.apply(first)
    await agency.apply(report_part(agency.agreement, REF, rows[:2], part=1, parts=2, sequence=5))  # sent again
    await agency.apply(last)
    await agency.apply(report_part(agency.agreement, REF, rows[2:], part=2, parts=2, sequence=6))

    assert await agency.count(AgencyRecord) == 4
    assert await agency.count(AgencyReport) == 1
    assert await agency.count(AgencyReportPart) == 0
    # The last part sent again (a provider restored from a backup sends the report anew) is acknowledged again,
    # as it was: the provider learns the unit has the report, and nothing at the unit changes.
    first_ack, again = await agency.sent("report.received")
    assert first_ack.body == again.body


async def test_report_received_goes_back_to_the_provider_with_the_unit_rows_and_day(agency):
    await agency.apply(report_part(agency.agreement, REF, attendance_rows(3)))

    (received,) = await agency.sent("report.received")

    assert (received.recipient, received.request) == (agency.agreement.provider.id, REF)
    assert received.body == {"unit": "service-reporting", "rows": 3, "received_on": TODAY.isoformat()}


@pytest.mark.parametrize(("changed", "says"), [
    ({"unit": "evaluation"}, "goes to the unit service-reporting, not to evaluation"),
    ({"fields": ["session_date", "attended"]}, "the attendance flow carries exactly session_date, session, attended"),
    ({"named": False}, "it carries study numbers, but the attendance flow names people"),
    ({"agreement": "0" * 64}, "made under agreement version 000000000000"),
    ({"flow": "housing"}, "the flow 'housing' is not in the agreement"),
], ids=["wrong unit", "wrong fields", "named mismatch", "wrong agreement version", "unknown flow"])
async def test_a_part_against_the_agreement_is_refused_and_changes_nothing(agency, changed, says):
    rows = [row[:2] + row[2:2 + len(changed.get("fields", [0, 0, 0]))] for row in attendance_rows(2)]
    kept_part = report_part(agency.agreement, REF, attendance_rows(2, first=10), part=1, parts=2)
    await agency.apply(kept_part)

    with pytest.raises(ReportRefused, match=says):
        await agency.apply(report_part(agency.agreement, REF, rows, part=2, parts=2, **changed))

    assert await agency.count(AgencyRecord) == 0
    assert await agency.count(AgencyReport) == 0
    assert await agency.count(AgencyReportPart) == 1  # only the earlier, good part
    assert await agency.sent("report.received") == []


async def test_a_study_numbered_report_that_claims_to_name_people_is_refused(agency):
    rows = [["S-7f3a9c", "q-1", "start", 3, 4, 2, "Wellington", "25 to 34", "Māori"]]

    with pytest.raises(ReportRefused, match="it names people, but the survey-answers flow carries study numbers"):
        await agency.apply(report_part(agency.agreement, "RPT-survey-2026-11", rows, flow="survey-answers",
                                       named=True))

    assert await agency.nothing_kept()


async def test_a_part_that_disagrees_with_the_reports_earlier_parts_is_refused(agency):
    await agency.apply(report_part(agency.agreement, REF, attendance_rows(2), part=1, parts=3))

    with pytest.raises(ReportRefused, match="does not say what part 1 said"):
        await agency.apply(report_part(agency.agreement, REF, attendance_rows(2, first=5), part=2, parts=2))

    assert await agency.count(AgencyReportPart) == 1
    assert await agency.count(AgencyRecord) == 0


async def test_a_failing_last_part_keeps_nothing_of_the_report(agency):
    await agency.apply(report_part(agency.agreement, REF, attendance_rows(2), part=1, parts=2))
    twice = attendance_rows(1) + attendance_rows(1)  # the same row id twice in one part

    with pytest.raises(ReportRefused, match="comes twice"):
        await agency.apply(report_part(agency.agreement, REF, twice, part=2, parts=2))

    assert await agency.count(AgencyRecord) == 0
    assert await agency.count(AgencyReport) == 0
    assert await agency.count(AgencyReportPart) == 1


async def test_a_study_numbered_report_keeps_its_rows_by_study_number(agency):
    rows = [["S-7f3a9c", "q-1", "start", 3, 4, 2, "Wellington", "25 to 34", "Māori"],
            ["S-11b2e0", "q-2", "end", 4.0, None, 5, "*", "35 to 44", "European"]]

    await agency.apply(report_part(agency.agreement, "RPT-survey-2026-11", rows, flow="survey-answers"))

    records = await agency.records(unit_id="evaluation")
    assert [(r.participant_id, r.study_numbered) for r in records] == [("S-7f3a9c", True), ("S-11b2e0", True)]
    assert records[0].title == "Questionnaire: start"
    assert "Confidence with routines (1 to 5): 4" in records[1].body
    assert "Confidence with children's behaviour (1 to 5): not recorded" in records[1].body
    assert records[0].record_date.isoformat() == "2026-11-01"  # the flow leaves taken_on at the provider
    assert list(records[0].values) == SURVEY


async def test_a_correction_report_updates_the_units_rows_and_adds_the_ones_it_lacks(agency):
    await agency.apply(report_part(agency.agreement, REF, attendance_rows(3)))
    (before,) = await agency.records(row_id="att-2")
    other_unit = [["S-7f3a9c", "att-1", "start", 3, 4, 2, "Wellington", "25 to 34", "Māori"]]
    await agency.apply(report_part(agency.agreement, "RPT-survey-2026-11", other_unit, flow="survey-answers"))
    corrected = [["BFF-P-0001", "att-1", "2026-11-02", "group session", "no"],
                 ["BFF-P-0077", "att-77", "2026-11-20", "home visit", "yes"]]

    await agency.apply(report_part(agency.agreement, "RPT-attendance-2026-11-c1", corrected, corrects=REF,
                                   corrected_on="2026-12-04"))

    reporting = {r.row_id: r for r in await agency.records(unit_id="service-reporting")}
    assert sorted(reporting) == ["att-0", "att-1", "att-2", "att-77"]
    assert reporting["att-1"].values["attended"] == "no"
    assert reporting["att-1"].body.endswith("Came: no")
    assert reporting["att-1"].corrected_at is not None
    assert reporting["att-2"].body == before.body and reporting["att-2"].corrected_at is None
    assert reporting["att-77"].corrected_at is None and reporting["att-77"].participant_id == "BFF-P-0077"
    (evaluation,) = await agency.records(unit_id="evaluation")
    assert evaluation.values["stage"] == "start" and evaluation.corrected_at is None  # another unit's row id
    correction = [r async for r in _reports(agency) if r.corrects_ref]
    assert [(r.ref, r.corrects_ref, r.rows) for r in correction] == [("RPT-attendance-2026-11-c1", REF, 2)]


async def test_a_row_the_unit_holds_comes_again_only_as_a_correction(agency):
    await agency.apply(report_part(agency.agreement, REF, attendance_rows(2)))

    with pytest.raises(ReportRefused, match="comes in a correction report"):
        await agency.apply(report_part(agency.agreement, "RPT-attendance-2026-11-again", attendance_rows(1)))

    assert await agency.count(AgencyRecord) == 2
    assert await agency.count(AgencyReport) == 1


async def test_through_the_queue_a_refused_part_ends_as_a_dead_letter_with_its_reason(agency):
    link, agreement = agency.link, agency.agreement
    body = report_part(agreement, REF, attendance_rows(2), unit="evaluation").body
    async with agency.sessions.begin() as session:
        await link.provider.send(session, type="report.part", recipient=agreement.agency.id, request=REF, body=body)
    await link.provider.push(link.agency.accept)

    for _ in range(MAX_APPLY_ATTEMPTS):
        await link.agency.consume(link.intake)

    (letter,) = await link.agency.dead_letters()
    assert "not to evaluation" in letter["reason"]
    assert await agency.nothing_kept()


async def test_through_the_queue_a_signed_report_is_applied_and_acknowledged(agency):
    link, agreement = agency.link, agency.agreement
    async with agency.sessions.begin() as session:
        for n in (2, 1):  # the provider may send its parts in any order
            body = report_part(agreement, REF, attendance_rows(2, first=2 * n), part=n, parts=2).body
            await link.provider.send(session, type="report.part", recipient=agreement.agency.id, request=REF,
                                     body=body)
    await link.provider.push(link.agency.accept)

    await link.agency.consume(link.intake)

    assert await agency.count(AgencyRecord) == 4
    assert [m.body["rows"] for m in await agency.sent("report.received")] == [4]


async def _reports(agency):
    from sqlmodel import select

    async with agency.sessions() as session:
        for report in await session.exec(select(AgencyReport).order_by(AgencyReport.id)):
            yield report


async def test_a_correction_of_another_flows_report_is_refused(agency):
    survey = [["S-7f3a9c", "q-1", "start", 3, 4, 2, "Wellington", "25 to 34", "Māori"]]
    await agency.apply(report_part(agency.agreement, "RPT-survey-2026-11", survey, flow="survey-answers"))

    with pytest.raises(ReportRefused, match="came to the unit evaluation under the survey-answers flow"):
        await agency.apply(report_part(agency.agreement, "RPT-attendance-2026-11-c1", attendance_rows(1),
                                       corrects="RPT-survey-2026-11", corrected_on="2026-12-04"))

    assert await agency.count(AgencyReport) == 1
    assert await agency.records(unit_id="service-reporting") == []


async def test_a_correction_cannot_move_a_row_to_another_person(agency):
    await agency.apply(report_part(agency.agreement, REF, attendance_rows(1)))

    with pytest.raises(ReportRefused, match="held here about someone else"):
        await agency.apply(report_part(agency.agreement, "RPT-attendance-2026-11-c1",
                                       attendance_rows(1, person="BFF-P-9{n:03d}"), corrects=REF,
                                       corrected_on="2026-12-04"))

    (record,) = await agency.records()
    assert record.participant_id == "BFF-P-0000" and record.corrected_at is None


async def test_a_relay_the_agency_already_has_is_acknowledged_again_as_it_was_and_nothing_is_made_twice(agency):
    from agency.models import AgencyRequest, Task
    from protocol.messages import new_message
    from tests.agency.reports.reports_world import relayed_request

    first = relayed_request(agency.agreement, "BFF-2026-000042", "BFF-P-1001")
    await agency.apply(first)
    # The provider, restored from a backup, relays the same request again: a new message, the same request.
    again = new_message("request.relayed", first.sender, first.recipient, first.request, 2, first.body)
    await agency.apply(again)

    acknowledged = await agency.sent("request.received")
    assert await agency.count(AgencyRequest) == 1
    assert await agency.count(Task) == len(acknowledged[0].body["units"])
    assert [m.body for m in acknowledged] == [acknowledged[0].body] * 2
