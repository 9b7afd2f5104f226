"""On the officer desk, each record says which report it came from; the reports a unit received are listed
for that unit only; and a record kept under a study number is never shown beside a name."""

from __future__ import annotations

from sqlmodel import select

from agency.desk import store
from agency.models import Officer, Task
from tests.agency.reports.reports_world import (
    HTML,
    attendance_rows,
    officer_login,
    relayed_request,
    report_part,
    signed_in,
)

ATTENDANCE = "RPT-attendance-2026-11"
SURVEY = "RPT-survey-answers-2026-11"
PERSON = "BFF-P-1001"


async def _reports_and_a_request(agency) -> dict[str, int]:
    """An attendance report (named) and a survey report (study numbers) applied, then a family's access request
    about PERSON relayed; the request's task id in each unit."""
    terms = agency.agreement
    rows = attendance_rows(1, person=PERSON) + attendance_rows(2, first=1)
    await agency.apply(report_part(terms, ATTENDANCE, rows))
    survey = [["S-7f3a9c", "q-1", "start", 3, 4, 2, "Wellington", "25 to 34", "Māori"],
              # A study number that happens to read like the person's participant id is still never matched to them.
              [PERSON, "q-2", "end", 4, 4, 5, "Wellington", "25 to 34", "Māori"]]
    await agency.apply(report_part(terms, SURVEY, survey, flow="survey-answers"))
    await agency.apply(relayed_request(terms, "BFF-2026-000123", PERSON))
    async with agency.sessions() as session:
        return {t.unit_id: t.id for t in await session.exec(select(Task))}


async def test_a_record_on_the_task_page_says_which_report_it_came_from(agency):
    tasks = await _reports_and_a_request(agency)
    client, _csrf = await signed_in(agency.app, officer_login("service-reporting", "reporting-analyst"))

    page = await client.get(f"/agency/tasks/{tasks['service-reporting']}", headers=HTML)

    assert page.status_code == 200
    assert "Attendance: 1 November 2026, group session" in page.text
    assert "From report RPT-attendance-2026-11, attendance flow, November 2026" in page.text
    assert "att-1" not in page.text and "BFF-P-0001" not in page.text  # other people's rows are not shown
    await client.aclose()


async def test_the_api_gives_each_record_its_report(agency):
    tasks = await _reports_and_a_request(agency)
    token = await _token(agency, "service-reporting")

    async with _api(agency, token) as api:
        answer = await api.get(f"/agency/api/tasks/{tasks['service-reporting']}/records")

    (record,) = answer.json()["records"]
    assert record["report"] == ATTENDANCE
    assert record["source"] == "From report RPT-attendance-2026-11, attendance flow, November 2026"
    assert record["study_number"] is None


async def test_a_study_numbered_record_is_never_shown_beside_the_persons_name(agency):
    tasks = await _reports_and_a_request(agency)
    lead, _csrf = await signed_in(agency.app, officer_login("evaluation", "evaluation-lead"))
    evaluator, _csrf = await signed_in(agency.app, officer_login("evaluation", "evaluator"))
    token = await _token(agency, "evaluation", "evaluator")

    page = await lead.get(f"/agency/tasks/{tasks['evaluation']}", headers=HTML)
    hidden = await evaluator.get(f"/agency/tasks/{tasks['evaluation']}", headers=HTML)
    async with _api(agency, token) as api:
        answer = await api.get(f"/agency/api/tasks/{tasks['evaluation']}/records")

    assert "Aroha Ngata" in page.text  # the request names the person...
    assert "Questionnaire" not in page.text and "study number" not in page.text  # ...so no study-numbered record
    assert "Your unit holds no records about this person." in page.text
    # The evaluators, who see the study-numbered records, never see the named request at all.
    assert hidden.status_code == 404 and "Aroha" not in hidden.text
    assert answer.status_code == 404 and "records" not in answer.json()
    for client in (lead, evaluator):
        await client.aclose()


async def test_each_unit_lists_only_the_reports_it_received(agency):
    await _reports_and_a_request(agency)
    reporting, _ = await signed_in(agency.app, officer_login("service-reporting", "contract-manager"))
    evaluation, _ = await signed_in(agency.app, officer_login("evaluation", "evaluation-lead"))

    theirs = await reporting.get("/agency/reports", headers=HTML)
    ours = await evaluation.get("/agency/reports", headers=HTML)

    assert ATTENDANCE in theirs.text and SURVEY not in theirs.text
    assert "Named (participant ids)" in theirs.text and "November 2026" in theirs.text
    assert SURVEY in ours.text and ATTENDANCE not in ours.text
    assert "Study-numbered (no names)" in ours.text and "Named (participant ids)" not in ours.text
    for client in (reporting, evaluation):
        await client.aclose()


async def test_the_api_lists_only_the_token_units_reports(agency):
    await _reports_and_a_request(agency)
    token = await _token(agency, "evaluation")

    async with _api(agency, token) as api:
        listed = (await api.get("/agency/api/reports")).json()

    assert listed["unit"] == "evaluation" and listed["total"] == 1
    assert [(r["ref"], r["flow"], r["period"], r["rows"], r["named"]) for r in listed["reports"]] == [
        (SURVEY, "survey-answers", "November 2026", 2, False)]


async def test_a_unit_never_sees_another_units_records_about_the_same_person(agency):
    tasks = await _reports_and_a_request(agency)
    client, _csrf = await signed_in(agency.app, officer_login("evaluation", "evaluator"))

    page = await client.get(f"/agency/tasks/{tasks['evaluation']}", headers=HTML)
    other = await client.get(f"/agency/tasks/{tasks['service-reporting']}", headers=HTML)

    assert "Attendance" not in page.text and ATTENDANCE not in page.text
    assert other.status_code == 404
    await client.aclose()


async def _token(agency, unit: str, role: str | None = None) -> str:
    """A token of the unit's first officer, or of its officer in `role`."""
    async with agency.sessions.begin() as session:
        query = select(Officer).where(Officer.unit_id == unit)
        if role:
            query = query.where(Officer.role == role)
        officer = (await session.exec(query)).first()
        return await store.create_token(session, officer, "case system")


def _api(agency, token: str):
    import httpx

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=agency.app), base_url="http://tono.test",
                             headers={"Authorization": f"Bearer {token}"})
