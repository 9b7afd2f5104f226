"""Who gets what from every route of the agency desk: anonymous people, provider staff, an officer of the
other unit and an officer of the right unit. The table is checked against the app's own routes, so a
new route without a line here fails."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest
from sqlalchemy import func
from sqlmodel import select

from agency import answering
from agency.desk import store
from agency.models import AgencyEvent, AgencyRequest, Officer, OfficerToken, Task
from deskkit.sessions import Session, SessionCookies
from tests.agency.desk.agency_world import HTML, SECRET, agency_app, browser

MISSING_TASK = 2**31 - 2


@dataclass
class Route:
    kind: str  # "page", "api" or "public"
    ok: int  # what the right unit's officer gets
    ids: str | None = None  # "task" or "token": the path names one
    body: dict = field(default_factory=dict)  # form fields (pages) or JSON (API); {record} is a record id
    claimed: bool = False  # the right officer must hold the task first


ANSWER_FORM = {"decision-{0}": "release", "decision-{1}": "withhold", "ground-{1}": "evaluative_material",
               "explanation-{1}": "It was given in confidence by the evaluator."}
ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "/agency/login"): Route("public", 200),
    ("POST", "/agency/login"): Route("public", 303),
    ("POST", "/agency/logout"): Route("page", 303),
    ("GET", "/agency/"): Route("page", 200),
    ("GET", "/agency/tasks/{task_id:int}"): Route("page", 200, "task"),
    ("POST", "/agency/tasks/{task_id:int}/claim"): Route("page", 303, "task"),
    ("POST", "/agency/tasks/{task_id:int}/unclaim"): Route("page", 303, "task", claimed=True),
    ("POST", "/agency/tasks/{task_id:int}/answer"): Route("page", 303, "task", ANSWER_FORM, claimed=True),
    ("POST", "/agency/tasks/{task_id:int}/clarify"): Route("page", 303, "task", {"question": "Which term?"}),
    ("POST", "/agency/tasks/{task_id:int}/extend"): Route("page", 303, "task", {
        "ground": "consultations", "new_due": "2027-01-20", "reasons": "We must consult the evaluator."}),
    ("POST", "/agency/tasks/{task_id:int}/transfer"): Route("page", 303, "task", {
        "to_agency": "Ministry of Education", "reason": "The school records are theirs."}),
    ("GET", "/agency/outcomes"): Route("page", 200),
    ("POST", "/agency/outcomes"): Route("page", 303, body={
        "kind": "decision", "report": "{report}", "about": "participant", "participant_id": "BFF-P-1001",
        "wording": "template", "template": "evaluation-changed-programme"}),
    ("GET", "/agency/reports"): Route("page", 200),
    ("GET", "/agency/records/import"): Route("page", 200),
    ("POST", "/agency/records/import"): Route("page", 422),  # no file sent: the officer is asked to choose one
    ("GET", "/agency/link"): Route("page", 200),
    ("POST", "/agency/link/resend"): Route("page", 303),
    ("GET", "/agency/tokens"): Route("page", 200),
    ("POST", "/agency/tokens"): Route("page", 201, body={"label": "Case system"}),
    ("POST", "/agency/tokens/{token_id:int}/revoke"): Route("page", 303, "token"),
    ("GET", "/agency/api/tasks"): Route("api", 200),
    ("GET", "/agency/api/tasks/{task_id:int}"): Route("api", 200, "task"),
    ("GET", "/agency/api/tasks/{task_id:int}/records"): Route("api", 200, "task"),
    ("POST", "/agency/api/tasks/{task_id:int}/claim"): Route("api", 200, "task"),
    ("POST", "/agency/api/tasks/{task_id:int}/unclaim"): Route("api", 200, "task", claimed=True),
    ("POST", "/agency/api/tasks/{task_id:int}/answer"): Route("api", 200, "task", {
        "release": ["{0}"], "withhold": [{"record_id": "{1}", "ground": "evaluative_material",
                                          "explanation": "Given in confidence."}]}, claimed=True),
    ("POST", "/agency/api/tasks/{task_id:int}/clarify"): Route("api", 200, "task", {"question": "Which term?"}),
    ("POST", "/agency/api/tasks/{task_id:int}/extend"): Route("api", 200, "task", {
        "ground": "complexity", "new_due": "2027-01-20", "reasons": "It is complex."}),
    ("POST", "/agency/api/tasks/{task_id:int}/transfer"): Route("api", 200, "task", {
        "to_agency": "Ministry of Education", "reason": "The school records are theirs."}),
    ("GET", "/agency/api/outcomes"): Route("api", 200),
    ("GET", "/agency/api/reports"): Route("api", 200),
    ("POST", "/agency/api/records"): Route("api", 201, body={
        "participant_id": "BFF-P-1001", "title": "Phone call", "body": "Rang.", "record_date": "2026-11-12"}),
    ("POST", "/agency/api/outcomes"): Route("api", 201, body={
        "kind": "advice", "reports": ["{report}"], "participant_id": None, "template": "advice-to-leaders"}),
    ("GET", "/agency/api/outcomes/templates"): Route("api", 200),
}


def agency_routes(app) -> set[tuple[str, str]]:
    """(method, path) of every route under /agency, including those of included routers."""
    try:  # FastAPI 0.16x keeps included routers whole; this walks them
        from fastapi.routing import iter_route_contexts

        routes = list(iter_route_contexts(app.routes))
    except ImportError:
        routes = app.routes
    return {(method, route.path) for route in routes if (route.path or "").startswith("/agency")
            and getattr(route, "methods", None) for method in route.methods if method != "HEAD"}


def _with_report(value, ref: str):
    """{report} is the ref of a report the evaluation unit received (an outcome is reported against it)."""
    if value == "{report}":
        return ref
    if isinstance(value, list):
        return [_with_report(v, ref) for v in value]
    if isinstance(value, dict):
        return {k: _with_report(v, ref) for k, v in value.items()}
    return value


def _fill(value, records):
    if isinstance(value, str) and value in ("{0}", "{1}"):
        return records[int(value[1])].id
    if isinstance(value, str):
        return value.format(*(r.id for r in records))
    if isinstance(value, list):
        return [_fill(v, records) for v in value]
    if isinstance(value, dict):
        return {_fill(k, records): _fill(v, records) for k, v in value.items()}
    return value


async def call(client, method: str, path: str, route: Route, found, *, task_id=None, token_id=None, csrf="",
               bearer=None):
    url = path.replace("{task_id:int}", str(task_id)).replace("{token_id:int}", str(token_id))
    received = found.reports.get("evaluation", ["RPT-none"])[0]  # the consent forms, which name people
    body = _fill(_with_report(route.body, received), found.records["evaluation"])
    if route.kind == "api":
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        return await client.request(method, url, headers=headers, json=body if method == "POST" else None)
    data = {"csrf": csrf, **body} if method == "POST" else None
    return await client.request(method, url, headers=HTML, data=data)


async def reset(world, found, officer: Officer | None, claimed: bool) -> None:
    """Put Aroha's request back where every move may start: received, its tasks open (or held by officer)."""
    async with world.sessions.begin() as session:
        request = await session.get(AgencyRequest, found.request.id)
        request.state, request.due_on = "received", found.request.due_on
        session.add(request)
        for task in await session.exec(select(Task).where(Task.request_id == request.id)):
            task.state, task.claimed_by, task.answer = "open", None, {}
            session.add(task)
        if claimed:
            task = await session.get(Task, found.tasks["evaluation"].id)
            await answering.claim(session, task, officer)


def test_every_agency_route_has_a_line_in_the_access_table(tmp_path):
    desk_only = agency_app(f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}", tmp_path)  # routes only: no database

    assert agency_routes(desk_only.app) == set(ROUTES)


def test_the_whole_tono_app_serves_exactly_these_agency_routes(tmp_path):
    from protocol.agreement import load_agreement
    from tono.app import create_app
    from tono.settings import load_settings

    app = create_app(load_settings(TONO_DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}", TONO_SECRET_KEY=SECRET,
                                   TONO_KEYS_DIR=str(tmp_path / "keys")), load_agreement(), run_loops=False)

    assert agency_routes(app) == set(ROUTES)


async def test_anonymous_people_are_sent_to_sign_in_or_told_401(world, found):
    async with browser(world.app) as anonymous:
        for (method, path), route in ROUTES.items():
            if route.kind == "public":
                continue
            response = await call(anonymous, method, path, route, found, task_id=found.tasks["evaluation"].id,
                                  token_id=1)
            if route.kind == "page":
                assert response.status_code == 303, (method, path, response.text)
                assert response.headers["location"].startswith("/agency/login"), (method, path)
            else:
                assert response.status_code == 401, (method, path)
                assert response.json()["detail"].startswith("Send your agency API token"), (method, path)


def _provider_cookie(kind: str = "staff", account_id: int = 1) -> str:
    now = int(time.time())
    return SessionCookies(SECRET, "tono_provider", "/provider").encode(Session(kind, account_id, "n" * 32, now, now))


@pytest.mark.parametrize("cookie_name", ["tono_provider", "tono_agency"])
async def test_a_provider_staff_session_opens_nothing_at_the_agency(world, found, cookie_name):
    async with browser(world.app) as staff:
        staff.headers["cookie"] = f"{cookie_name}={_provider_cookie()}"
        for (method, path), route in ROUTES.items():
            if route.kind == "public":
                continue
            response = await call(staff, method, path, route, found, task_id=found.tasks["evaluation"].id,
                                  token_id=1, csrf="anything")
            assert response.status_code == (303 if route.kind == "page" else 401), (method, path)


async def test_an_officer_of_the_other_unit_finds_this_units_tasks_no_more_than_missing_ones(world, found, tokens,
                                                                                            reporting):
    async with world.sessions() as session:
        events_before = (await session.exec(select(func.count()).select_from(AgencyEvent))).one()
        evaluation_token = (await session.exec(select(OfficerToken.id).where(
            OfficerToken.officer_id == found.officers["evaluation"].id))).one()
    client, csrf = reporting
    if True:
        for (method, path), route in ROUTES.items():
            if route.ids is None:
                continue
            kwargs = {"csrf": csrf, "bearer": tokens["service-reporting"]}
            theirs = await call(client, method, path, route, found, task_id=found.tasks["evaluation"].id,
                                token_id=evaluation_token, **kwargs)
            missing = await call(client, method, path, route, found, task_id=MISSING_TASK, token_id=MISSING_TASK,
                                 **kwargs)
            assert theirs.status_code == missing.status_code == 404, (method, path, theirs.text)
            assert theirs.text == missing.text, (method, path)
        queue = await client.get("/agency/", headers=HTML)
        listed = (await client.get("/agency/api/tasks", headers={
            "Authorization": f"Bearer {tokens['service-reporting']}"})).json()
    async with world.sessions() as session:
        events_after = (await session.exec(select(func.count()).select_from(AgencyEvent))).one()
        evaluation_task = await session.get(Task, found.tasks["evaluation"].id)
    assert f"/agency/tasks/{found.tasks['evaluation'].id}\"" not in queue.text
    assert [t["id"] for t in listed["tasks"]] == [found.tasks["service-reporting"].id]
    assert (evaluation_task.state, events_after) == ("open", events_before)


async def test_guessing_task_ids_finds_only_the_officers_own_units_tasks(world, found, tokens, reporting):
    client, _csrf = reporting
    bearer = {"Authorization": f"Bearer {tokens['service-reporting']}"}
    own = found.tasks["service-reporting"].id
    seen_pages, seen_api = set(), set()

    for guess in [*range(0, 12), 2**31 - 1, 2**31, 10**30]:
        if (await client.get(f"/agency/tasks/{guess}", headers=HTML)).status_code == 200:
            seen_pages.add(guess)
        for tail in ("", "/records"):
            if (await client.get(f"/agency/api/tasks/{guess}{tail}", headers=bearer)).status_code == 200:
                seen_api.add(guess)
    odd = [await client.get(f"/agency/tasks/{text}", headers=HTML) for text in ("-1", "1.0", "abc", "%31")]

    assert seen_pages == seen_api == {own}
    assert [r.status_code for r in odd[:3]] == [404, 404, 404]


async def test_the_right_units_officer_may_do_everything_the_lifecycle_allows(world, found, tokens, evaluation):
    client, csrf = evaluation
    officer = found.officers["evaluation"]
    for (method, path), route in ROUTES.items():
        if route.kind == "public" or path == "/agency/logout":
            continue
        await reset(world, found, officer, route.claimed)
        token_id = None
        if route.ids == "token":
            async with world.sessions.begin() as session:
                await store.create_token(session, officer, "to revoke")
            async with world.sessions() as session:
                token_id = (await session.exec(select(OfficerToken.id).where(OfficerToken.label == "to revoke"))).one()

        response = await call(client, method, path, route, found, task_id=found.tasks["evaluation"].id,
                              token_id=token_id, csrf=csrf, bearer=tokens["evaluation"])

        assert response.status_code == route.ok, (method, path, response.text[:3000])

    signed_out = await client.post("/agency/logout", headers=HTML, data={"csrf": csrf})
    assert signed_out.status_code == 303
    assert (await client.get("/agency/", headers=HTML)).status_code == 303
