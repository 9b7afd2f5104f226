"""A unit adds records from its own systems: a CSV upload on the desk (all or nothing, every problem named by
its line) and one record at a time through its JSON API; always into the officer's own unit."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import select

from agency.desk import store
from agency.desk.record_import import ImportRefused, read_records
from agency.models import AgencyRecord, Officer, Task
from tests.agency.reports.reports_world import HTML, officer_login, relayed_request, signed_in

GOOD = ("participant_id,title,body,record_date\n"
        "BFF-P-1001,Case review,\"Reviewed the family's plan.\nNext review in March.\",2026-11-20\n"
        "BFF-P-1002,Payment,Paid for 4 sessions,2026-11-30\n")


async def _upload(client: httpx.AsyncClient, csrf: str, data: bytes) -> httpx.Response:
    return await client.post("/agency/records/import", headers=HTML, data={"csrf": csrf},
                             files={"file": ("records.csv", data, "text/csv")})


async def test_a_units_csv_adds_its_records_to_that_unit_only(agency):
    client, csrf = await signed_in(agency.app, officer_login("service-reporting", "reporting-analyst"))

    done = await _upload(client, csrf, ("\ufeff" + GOOD).encode())  # a spreadsheet's byte-order mark is fine

    assert done.status_code == 303
    records = await agency.records(unit_id="service-reporting")
    assert [(r.participant_id, r.title, r.record_date.isoformat()) for r in records] == [
        ("BFF-P-1001", "Case review", "2026-11-20"), ("BFF-P-1002", "Payment", "2026-11-30")]
    assert records[0].body == "Reviewed the family's plan.\nNext review in March."
    assert all(r.report_id is None and not r.study_numbered for r in records)
    assert await agency.records(unit_id="evaluation") == []
    await client.aclose()


async def test_a_bad_csv_imports_nothing_and_names_each_bad_line(agency):
    client, csrf = await signed_in(agency.app, officer_login("evaluation", "evaluator"))
    bad = ("participant_id,title,body,record_date\n"
           "BFF-P-1001,Consent form,Agreed to take part,2026-11-05\n"
           "BFF-P-1002,Consent form,Agreed to take part,5/11/2026\n"
           ",Consent form,Agreed,2026-11-05\n"
           "BFF-P-1004,Consent form\n")

    page = await _upload(client, csrf, bad.encode())

    assert page.status_code == 422
    assert "Nothing was imported" in page.text
    assert "line 3: The record date must be a date written as YYYY-MM-DD." in page.text
    assert "line 4: The participant id must be a participant id such as BFF-P-1001." in page.text
    assert "line 5: it has 2 cells, but line 1 names 4 columns." in page.text
    assert "line 2:" not in page.text
    assert await agency.count(AgencyRecord) == 0
    await client.aclose()


def test_a_header_with_an_unknown_or_missing_column_is_named_on_line_1():
    with pytest.raises(ImportRefused) as refused:
        read_records(b"participant_id,title,text,record_date\nBFF-P-1,a,b,2026-11-01\n")

    assert refused.value.problems == [
        "line 1: there is no column 'text' in a unit's records (the columns are participant_id, title, body, "
        "record_date).", "line 1: the column body is missing."]


def test_a_file_that_is_not_utf8_names_the_line_where_it_breaks():
    latin1 = "participant_id,title,body,record_date\nBFF-P-1,Café visit,b,2026-11-01\n".encode("latin-1")

    with pytest.raises(ImportRefused) as refused:
        read_records(latin1)

    assert refused.value.problems[0].startswith("line 2: this is not UTF-8 text")


async def test_no_file_is_refused_in_one_sentence(agency):
    client, csrf = await signed_in(agency.app, officer_login("evaluation", "evaluator"))

    page = await _upload(client, csrf, b"")

    assert page.status_code == 422
    assert "Choose a CSV file of your unit&#39;s records to import." in page.text
    await client.aclose()


async def test_the_api_adds_a_record_to_the_tokens_unit_and_the_task_shows_it_as_the_units_own(agency):
    await agency.apply(relayed_request(agency.agreement, "BFF-2026-000321", "BFF-P-1001"))
    # The lead, who keeps the named records, sees the request's named part (the evaluators see study parts only).
    token = await _token(agency, "evaluation", "evaluation-lead")
    record = {"participant_id": "BFF-P-1001", "title": "Phone call", "body": "Rang to confirm consent.",
              "record_date": "2026-11-12"}

    async with _api(agency, token) as api:
        added = await api.post("/agency/api/records", json=record)
        task_id = await _task_id(agency, "evaluation")
        shown = await api.get(f"/agency/api/tasks/{task_id}/records")

    assert added.status_code == 201
    assert added.json()["unit"] == "evaluation"
    (only,) = shown.json()["records"]
    assert (only["title"], only["source"]) == ("Phone call", "From your unit's own systems")
    assert await agency.records(unit_id="service-reporting") == []


async def test_the_api_refuses_a_bad_record_in_one_sentence_and_keeps_nothing(agency):
    token = await _token(agency, "evaluation")

    async with _api(agency, token) as api:
        refused = await api.post("/agency/api/records", json={
            "participant_id": "BFF-P-1001", "title": "Call", "body": "Rang.", "record_date": "12/11/2026"})
        no_token = await httpx.AsyncClient(transport=httpx.ASGITransport(app=agency.app),
                                           base_url="http://tono.test").post("/agency/api/records", json={})

    assert refused.status_code == 422
    assert refused.json() == {"detail": "'record_date' must be a date written as YYYY-MM-DD."}
    assert no_token.status_code == 401
    assert await agency.count(AgencyRecord) == 0


async def _token(agency, unit: str, role: str | None = None) -> str:
    """A token of the unit's first officer, or of its officer in `role`."""
    async with agency.sessions.begin() as session:
        query = select(Officer).where(Officer.unit_id == unit)
        if role:
            query = query.where(Officer.role == role)
        officer = (await session.exec(query)).first()
        return await store.create_token(session, officer, "case system")


async def _task_id(agency, unit: str) -> int:
    async with agency.sessions() as session:
        return (await session.exec(select(Task.id).where(Task.unit_id == unit))).one()


def _api(agency, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=agency.app), base_url="http://tono.test",
                             headers={"Authorization": f"Bearer {token}"})
