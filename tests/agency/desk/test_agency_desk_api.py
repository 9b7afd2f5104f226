"""The agency desk's JSON API, as an agency's case system uses it: a token made at the desk (shown once,
kept as a hash) that acts as its officer, the same actions as the pages, and an OpenAPI description."""

from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import func
from sqlmodel import select

from agency.models import AgencyEvent, InformationUse, Officer, OfficerToken
from bot.reports.tables import Outcome, OutcomeReport, Report
from tests.agency.desk.agency_world import HTML, browser, post_form

TOKEN_IN_PAGE = re.compile(r'value="(tono_agency_[A-Za-z0-9_-]+)"')
API_ROUTES = ["/agency/api/tasks", "/agency/api/tasks/{task_id}", "/agency/api/tasks/{task_id}/records",
              "/agency/api/tasks/{task_id}/claim", "/agency/api/tasks/{task_id}/unclaim",
              "/agency/api/tasks/{task_id}/answer", "/agency/api/tasks/{task_id}/clarify",
              "/agency/api/tasks/{task_id}/extend", "/agency/api/tasks/{task_id}/transfer", "/agency/api/outcomes",
              "/agency/api/outcomes/templates", "/agency/api/reports", "/agency/api/records"]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


async def test_an_officer_makes_a_token_sees_it_once_and_their_case_system_answers_with_it(world, found, evaluation):
    client, csrf = evaluation
    task, records = found.tasks["evaluation"], found.records["evaluation"]

    made = await post_form(client, "/agency/tokens", csrf, label="Evaluation case system")
    token = TOKEN_IN_PAGE.search(made.text).group(1)
    later = await client.get("/agency/tokens", headers=HTML)
    async with browser(world.app) as system:
        queue = (await system.get("/agency/api/tasks", headers=bearer(token))).json()
        seen = (await system.get(f"/agency/api/tasks/{task.id}", headers=bearer(token))).json()
        held = (await system.get(f"/agency/api/tasks/{task.id}/records", headers=bearer(token))).json()
        claimed = (await system.post(f"/agency/api/tasks/{task.id}/claim", headers=bearer(token))).json()
        answered = await system.post(f"/agency/api/tasks/{task.id}/answer", headers=bearer(token), json={
            "release": [records[0].id], "withhold": [{"record_id": records[1].id, "ground": "evaluative_material",
                                                      "explanation": "It was given to us in confidence."}],
            "not_held": ["Notes from the home visit."]})

    async with world.sessions() as session:
        kept = (await session.exec(select(OfficerToken))).one()
    assert made.status_code == 201 and "shown only this once" in made.text
    assert token not in later.text and "Evaluation case system" in later.text
    assert kept.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert [t["id"] for t in queue["tasks"]] == [task.id]
    assert seen["request"]["person"] == {"participant_id": "BFF-P-1001", "name": "Aroha Parata",
                                         "date_of_birth": "1988-03-14"}
    assert seen["allowed"] == ["claim", "ask_clarification", "extend", "transfer"]
    assert [r["title"] for r in held["records"]] == [r.title for r in records]
    assert claimed["task"]["state"] == "claimed"
    assert answered.status_code == 200, answered.text
    body = answered.json()["task"]["answer"]
    assert [r["title"] for r in body["released"]] == [records[0].title]
    assert body["withheld"][0]["ground"] == "evaluative_material"
    assert body["not_held"] == [{"description": "Notes from the home visit."}]


async def test_a_revoked_token_stops_working_at_once_and_only_its_owner_can_revoke_it(world, found, evaluation,
                                                                                      reporting):
    client, csrf = evaluation
    other, other_csrf = reporting
    made = await post_form(client, "/agency/tokens", csrf, label="Old system")
    token = TOKEN_IN_PAGE.search(made.text).group(1)
    async with world.sessions() as session:
        token_id = (await session.exec(select(OfficerToken.id))).one()

    not_theirs = await post_form(other, f"/agency/tokens/{token_id}/revoke", other_csrf)
    still_works = await client.get("/agency/api/tasks", headers=bearer(token))
    revoked = await post_form(client, f"/agency/tokens/{token_id}/revoke", csrf)
    refused = await client.get("/agency/api/tasks", headers=bearer(token))
    again = await post_form(client, f"/agency/tokens/{token_id}/revoke", csrf)

    assert (not_theirs.status_code, still_works.status_code) == (404, 200)
    assert revoked.status_code == 303
    assert refused.status_code == 401
    assert refused.json() == {"detail": "That API token is not valid: it is unknown, revoked or expired."}
    assert refused.headers["www-authenticate"] == "Bearer"
    assert again.status_code == 404


async def test_a_token_of_an_officer_who_has_left_no_longer_works(world, found, tokens):
    async with world.sessions.begin() as session:
        officer = await session.get(Officer, found.officers["evaluation"].id)
        officer.active = False
        session.add(officer)

    async with browser(world.app) as system:
        refused = await system.get("/agency/api/tasks", headers=bearer(tokens["evaluation"]))
        made_up = await system.get("/agency/api/tasks", headers=bearer("tono_agency_" + "A" * 43))
        not_bearer = await system.get("/agency/api/tasks", headers={"Authorization": "Basic dXNlcjpwYXNz"})

    assert [refused.status_code, made_up.status_code, not_bearer.status_code] == [401, 401, 401]


async def test_the_api_records_each_opening_of_a_task_or_its_records_as_the_officer(world, found, tokens):
    task = found.tasks["evaluation"]

    async with browser(world.app) as system:
        await system.get(f"/agency/api/tasks/{task.id}", headers=bearer(tokens["evaluation"]))
        await system.get(f"/agency/api/tasks/{task.id}/records", headers=bearer(tokens["evaluation"]))
    async with world.sessions() as session:
        opened = list(await session.exec(select(AgencyEvent).where(AgencyEvent.trigger == "opened")
                                         .order_by(AgencyEvent.seq)))

    assert [(e.task_id, e.actor_role, e.actor_label, e.detail) for e in opened] == [
        (task.id, "officer", "officer-evaluation", {"what": "the request"}),
        (task.id, "officer", "officer-evaluation", {"what": "the unit's records"})]
    assert all(e.prev_hash for e in opened)


FOUR_VERSIONS = {"en": {"adult": "Counted in the term 1 delivery report.", "child": "We counted who came."},
                 "mi": {"adult": "I tatauria i te pūrongo mō te wāhanga tuatahi.",
                        "child": "I tatauria te hunga i tae mai."}}


async def test_an_outcome_reported_through_the_api_reaches_the_provider_with_its_reports(world, tokens, found):
    attendance = [ref for ref in found.reports["service-reporting"] if ref.startswith("RPT-attendance-")][:1]
    async with world.sessions() as session:
        before = (await session.exec(select(func.count()).select_from(Outcome))).one()
    async with browser(world.app) as system:
        templates = (await system.get("/agency/api/outcomes/templates",
                                      headers=bearer(tokens["service-reporting"]))).json()
        made = await system.post("/agency/api/outcomes", headers=bearer(tokens["service-reporting"]), json={
            "kind": "report", "reports": attendance, "summaries": FOUR_VERSIONS})
        listed = (await system.get("/agency/api/outcomes", headers=bearer(tokens["service-reporting"]))).json()
        elsewhere = (await system.get("/agency/api/outcomes", headers=bearer(tokens["evaluation"]))).json()
    await world.link.settle()
    async with world.sessions() as session:
        arrived = (await session.exec(select(Outcome).order_by(Outcome.id.desc()))).first()
        informed_by = (await session.exec(select(Report.ref).join(OutcomeReport, OutcomeReport.report_id == Report.id)
                                          .where(OutcomeReport.outcome_id == arrived.id))).all()
        count = (await session.exec(select(func.count()).select_from(Outcome))).one()

    assert made.status_code == 201, made.text
    assert (made.json()["reports"], made.json()["summaries"]) == (attendance, FOUR_VERSIONS)
    assert "attendance-in-service-report" in {t["id"] for t in templates["templates"]}
    assert listed["outcomes"][0]["summaries"] == FOUR_VERSIONS
    assert FOUR_VERSIONS not in [o["summaries"] for o in elsewhere["outcomes"]]
    assert count == before + 1
    assert (arrived.unit, arrived.kind, arrived.summaries, informed_by) == (
        "service-reporting", "report", FOUR_VERSIONS, attendance)


@pytest.mark.parametrize(("change", "sentence"), [
    ({"reports": ["RPT-attendance-1999-01"]}, "Your unit has not received a report RPT-attendance-1999-01"),
    ({"reports": "{evaluation}"}, "went to another unit, not yours"),
    ({"reports": []}, "Tick at least one report your unit received"),
    ({"summaries": None, "template": "no-such-template"}, "There is no template called 'no-such-template'"),
    ({"summaries": None, "template": "evaluation-changed-programme"}, "describes a decision, not a report"),
    ({"summaries": {"en": FOUR_VERSIONS["en"], "mi": {"adult": "Kei konei."}}}, "'summaries.mi.child' is missing."),
    ({"summaries": None}, "Give the summary: choose a template, or write it in four versions"),
    ({"template": "attendance-in-service-report"}, "either as a template or as four summaries you wrote, not both"),
    ({"participant_id": "BFF-P-9999"}, "None of the named reports carried BFF-P-9999 by name"),
])
async def test_a_wrong_outcome_through_the_api_gets_one_sentence_and_is_not_recorded(world, tokens, found, change,
                                                                                      sentence):
    body = {"kind": "report", "reports": found.reports["service-reporting"][:1], "summaries": FOUR_VERSIONS,
            **change}
    if body["reports"] == "{evaluation}":
        body["reports"] = found.reports["evaluation"][:1]
    body = {k: v for k, v in body.items() if v is not None}
    async with world.sessions() as session:
        before = (await session.exec(select(func.count()).select_from(InformationUse))).one()
    async with browser(world.app) as system:
        refused = await system.post("/agency/api/outcomes", headers=bearer(tokens["service-reporting"]), json=body)
    async with world.sessions() as session:
        after = (await session.exec(select(func.count()).select_from(InformationUse))).one()

    assert refused.status_code == 422
    assert sentence in refused.json()["detail"]
    assert after == before


async def test_the_openapi_description_documents_every_agency_api_endpoint_and_its_bearer_token(world):
    async with browser(world.app) as client:
        described = (await client.get("/openapi.json")).json()

    paths = {path: ops for path, ops in described["paths"].items() if path.startswith("/agency")}
    assert sorted(paths) == sorted(API_ROUTES)
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert operation.get("description") or operation.get("summary"), (method, path)
            assert operation["security"] == [{"HTTPBearer": []}], (method, path)
            assert "401" in operation["responses"] and "404" in operation["responses"], (method, path)
    assert described["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    answer = described["paths"]["/agency/api/tasks/{task_id}/answer"]["post"]
    assert answer["description"] == "Send the unit's answer (the task must be claimed by the token's officer)."
