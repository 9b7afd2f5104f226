"""The provider desk's JSON API for the programme's data, with a staff token on the seeded demo (SQLite and
PostgreSQL): recording a row (added, unchanged, corrected), every problem with the values in one 422, unknown
people and holdings 404, consents, and a line for each endpoint in /openapi.json."""

from __future__ import annotations

import pytest

from tests.bot.desk.provider_desk_support import staff_token

ROW = {"session_date": "2019-05-06", "session": "home visit", "attended": "yes"}  # before the demo's dates


@pytest.fixture
async def bearer(app) -> dict[str, str]:
    return {"Authorization": f"Bearer {await staff_token(app)}"}


async def test_a_tool_records_a_row_again_unchanged_and_then_a_correction_with_its_reason(client, bearer):
    url = "/provider/api/people/P-0001/records/attendance"

    added = await client.post(url, headers=bearer, json={"values": ROW})
    same = await client.post(url, headers=bearer, json={"values": {**ROW, "session": "Home Visit"}})
    corrected = await client.post(url, headers=bearer, json={"values": {**ROW, "attended": "no"},
                                                             "reason": "Cancelled on the day"})
    listed = await client.get("/provider/api/people/P-0001/records", headers=bearer)

    assert [r.json()["outcome"] for r in (added, same, corrected)] == ["added", "unchanged", "corrected"]
    row = corrected.json()["row"]
    assert (row["holding"], row["values"], row["revision"], row["recorded_by"]) == (
        "attendance", {**ROW, "attended": "no"}, 2, "api:kaimahi")
    [attendance] = [h for h in listed.json()["holdings"] if h["holding"] == "attendance"]
    [shown] = [r for r in attendance["rows"] if r["id"] == row["id"]]
    [correction] = shown["corrections"]
    assert (correction["old_values"]["attended"], correction["new_values"]["attended"], correction["reason"],
            correction["changed_by"]) == ("yes", "no", "Cancelled on the day", "api:kaimahi")


async def test_values_that_do_not_fit_answer_422_with_every_problem(client, bearer):
    answer = await client.post("/provider/api/people/P-0001/records/questionnaire", headers=bearer,
                               json={"values": {"stage": "middle", "taken_on": "2019-05-06", "routines": 4,
                                                "behaviour": "lots", "shoe_size": 9}})

    assert answer.status_code == 422
    assert answer.json()["problems"] == [
        "'shoe_size' is not a field of questionnaire (its fields are stage, taken_on, routines, behaviour, support, "
        "suburb, age_group, ethnicity).",
        "Start or end of the programme: 'middle' is not one of the choices (start, end).",
        "Confidence with children's behaviour (1 to 5): 'lots' is not a number; write it with digits and at most "
        "one decimal point, such as 3 or 4.5.",
        "Support from family and friends (1 to 5): left empty, but it must be filled in.",
    ]
    assert answer.json()["detail"].startswith("'shoe_size' is not a field of questionnaire")


async def test_an_unknown_person_or_holding_is_404_and_a_body_without_values_is_422(client, bearer):
    person = await client.post("/provider/api/people/P-9999/records/attendance", headers=bearer, json={"values": ROW})
    holding = await client.post("/provider/api/people/P-0001/records/homework", headers=bearer, json={"values": ROW})
    shapeless = await client.post("/provider/api/people/P-0001/records/attendance", headers=bearer, json=ROW)
    listing = await client.get("/provider/api/people/P-9999/records", headers=bearer)

    assert (person.status_code, holding.status_code, shapeless.status_code, listing.status_code) == (
        404, 404, 422, 404)
    assert person.json()["detail"] == "There is no person 'P-9999'. Check the reference and try again."
    assert holding.json()["detail"].startswith("No holding has the id 'homework';")


async def test_a_change_needs_a_token_and_not_only_the_desks_cookie(client):
    refused = await client.post("/provider/api/people/P-0001/records/attendance", json={"values": ROW})

    assert refused.status_code == 401


async def test_a_tool_records_a_consent_given_for_a_child_by_a_parent_and_reads_it_back(client, bearer):
    given = await client.post("/provider/api/people/P-0003/consents", headers=bearer, json={
        "consent": "evaluation", "given": True, "on": "2026-02-02", "how": "in person", "by": "P-0001"})
    refused = await client.post("/provider/api/people/P-0003/consents", headers=bearer, json={
        "consent": "photos", "given": True, "on": "2999-01-01", "how": "email"})

    assert given.status_code == 201
    [evaluation] = given.json()["consents"]
    newest = evaluation["history"][0]
    assert evaluation["given"] is True
    assert (newest["on"], newest["how"], newest["by"], newest["recorded_by"]) == (
        "2026-02-02", "in person", "P-0001", "api:kaimahi")
    assert refused.status_code == 422 and len(refused.json()["problems"]) == 2


async def test_openapi_describes_the_records_endpoints_in_one_line_each(client):
    spec = (await client.get("/openapi.json")).json()

    paths = {path: ops for path, ops in spec["paths"].items()
             if path.startswith("/provider/api/people/") and ("/records" in path or path.endswith("/consents"))}
    assert set(paths) == {"/provider/api/people/{ref}/records", "/provider/api/people/{ref}/records/{holding}",
                          "/provider/api/people/{ref}/consents"}
    operations = [paths["/provider/api/people/{ref}/records"]["get"],
                  paths["/provider/api/people/{ref}/records/{holding}"]["post"],
                  paths["/provider/api/people/{ref}/consents"]["post"]]
    assert all(op["description"] and "\n" not in op["description"] for op in operations)
    assert all({"ProviderStaffToken": []} in op.get("security", []) for op in operations)
    assert not any(path.startswith("/provider/people") or path.startswith("/provider/records")
                   for path in spec["paths"])
