"""Who may use each provider desk route and API endpoint: anonymous callers are sent to sign in (pages) or
refused with 401 (API); signed-in staff and staff tokens get through; an agency officer's session cookie
or API token is refused. The table is checked against the app's own routes, so a new route without a row
here fails the first test."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.routing import iter_route_contexts
from sqlmodel import select

from agency.models import Officer, OfficerToken
from bot.models import Authority, ChatLink, ContactRequest, Person, StaffToken
from bot.records.tables import ProgrammeRecord
from deskkit.sessions import SessionCookies
from tests.bot.desk.provider_desk_support import (
    HTML,
    SECRET,
    client_for,
    family_asks,
    request_row,
    sign_in,
    staff_token,
)

JSON = {"Accept": "application/json"}
OK_PAGE = {200, 303}

# (method, path) → (path values, form or JSON body, the statuses staff may get). 409 is access granted and
# the step judged: the lifecycle does not allow it for the sample request.
PAGES = {
    ("GET", "/provider/"): ({}, None, {200}),
    ("POST", "/provider/contacts/{contact_id}/done"): ({}, {}, {303}),
    ("POST", "/provider/contacts/{contact_id}/reply"): ({"contact_id": "second"}, {"reply": "Kia ora"}, {303}),
    ("GET", "/provider/requests/{ref}"): ({}, None, {200}),
    ("POST", "/provider/requests/{ref}/steps/{trigger}"): ({"trigger": "approve"}, {"identity_checked": "id_seen"},
                                                           {303}),
    ("GET", "/provider/requests/{ref}/prepare"): ({}, None, {409}),  # the sample request is not being prepared
    ("GET", "/provider/requests/{ref}/copies/{language}/{register}"): ({"language": "en", "register": "adult"}, None,
                                                                      {409}),  # not delivered
    ("POST", "/provider/requests/{ref}/prepare/{item_key}/{language}/{register}"): ({}, {"title": "Group",
                                                                                        "text": "You came."},
                                                                                   {409}),
    ("POST", "/provider/requests/{ref}/prepare/reading-level"): ({}, {"text": "You came to the group.",
                                                                    "register": "child"}, {200}),
    ("POST", "/provider/requests/{ref}/link"): ({"ref": "unlinked"},
                                                {"requester_ref": "P-0001", "subject_ref": "P-0001"}, {303}),
    ("GET", "/provider/people"): ({}, None, {200}),
    ("GET", "/provider/people/new"): ({}, None, {200}),
    ("POST", "/provider/people"): ({}, {"new_family_name": "Ngata whānau", "given_name": "Hine",
                                        "family_name": "Ngata"}, {303}),
    ("GET", "/provider/people/{ref}"): ({}, None, {200}),
    ("POST", "/provider/people/{ref}/authorities"): ({"ref": "P-0002"}, {"actor_ref": "P-0001",
                                                                          "relationship": "parent",
                                                                          "evidence": "Birth certificate seen"},
                                                     {303}),
    ("POST", "/provider/people/{ref}/authorities/{authority_id}/revoke"): ({}, {}, {303}),
    ("POST", "/provider/people/{ref}/records"): ({}, {"title": "Home visit", "body": "Talked about routines.",
                                                      "record_date": "2026-03-02"}, {303}),
    ("POST", "/provider/people/{ref}/enrolment"): ({}, {}, {200}),
    ("GET", "/provider/people/{ref}/enrolment-qr.png"): ({}, None, {200}),
    ("GET", "/provider/link"): ({}, None, {200}),
    ("POST", "/provider/link/resend"): ({}, {}, {303}),
    ("GET", "/provider/tokens"): ({}, None, {200}),
    ("POST", "/provider/tokens"): ({}, {"label": "Case notes sync"}, {200}),
    ("POST", "/provider/tokens/{token_id}/revoke"): ({}, {}, {303}),
    ("GET", "/provider/report"): ({}, None, {200}),
    ("GET", "/provider/report.csv"): ({}, None, {200}),
    ("GET", "/provider/reports"): ({}, None, {200}),
    ("POST", "/provider/reports/prepare"): ({}, {"flow": "attendance", "period": "2024-03"}, {303, 422}),
    ("POST", "/provider/reports/corrections"): ({}, {}, {303}),
    ("GET", "/provider/reports/{ref}"): ({}, None, {404}),  # the sample ref is a person's: no such report
    ("POST", "/provider/reports/{ref}/approve"): ({}, {}, {404}),
    ("POST", "/provider/reports/{ref}/hold-back"): ({}, {"reason": "The register is being checked."}, {404}),
    ("POST", "/provider/people/{ref}/records/rows/{holding}"): (
        {"holding": "attendance"}, {"session_date": "2024-03-05", "session": "group session", "attended": "yes"},
        {303}),
    ("POST", "/provider/people/{ref}/records/rows/{holding}/{record_id}"): (
        {"holding": "attendance"}, {"session_date": "2024-03-12", "session": "home visit", "attended": "yes",
                                    "reason": "The register was checked."}, {303}),
    ("POST", "/provider/people/{ref}/records/consent"): ({}, {"consent": "evaluation", "given": "false",
                                                             "on": "2026-10-01", "how": "phone"}, {303}),
    ("GET", "/provider/records/import"): ({}, None, {200}),
    ("POST", "/provider/records/import"): ({}, {"holding": "attendance"}, {422}),  # no file chosen: said so
}
API = {
    ("GET", "/provider/api/requests"): ({}, None, {200}),
    ("GET", "/provider/api/requests/{ref}"): ({}, None, {200}),
    ("POST", "/provider/api/requests/{ref}/approve"): ({"ref": "second"}, {"identity_checked": "phone_call"}, {200}),
    ("POST", "/provider/api/requests/{ref}/decline"): ({"ref": "third"}, {"reason": "We could not reach you."},
                                                       {200}),
    ("POST", "/provider/api/requests/{ref}/relay"): ({"ref": "second"}, None, {200}),
    ("POST", "/provider/api/requests/{ref}/prepare-locally"): ({}, None, {409}),
    ("POST", "/provider/api/requests/{ref}/prepare"): ({}, None, {409}),
    ("POST", "/provider/api/requests/{ref}/deliver"): ({}, None, {409}),
    ("POST", "/provider/api/requests/{ref}/close"): ({}, None, {409}),
    ("POST", "/provider/api/requests/{ref}/link"): ({"ref": "unlinked-2"},
                                                    {"requester_ref": "P-0004", "subject_ref": "P-0005"}, {200}),
    ("GET", "/provider/api/people"): ({}, None, {200}),
    ("POST", "/provider/api/people"): ({}, {"family_ref": "F-0001", "given_name": "Rangi", "family_name": "Parata"},
                                       {201}),
    ("GET", "/provider/api/people/{ref}"): ({}, None, {200}),
    ("POST", "/provider/api/people/{ref}/authorities"): ({"ref": "P-0007"}, {"actor_ref": "P-0004",
                                                                              "relationship": "caregiver",
                                                                              "evidence": "Care order seen"}, {201}),
    ("POST", "/provider/api/people/{ref}/authorities/{authority_id}/revoke"): ({"ref": "P-0004",
                                                                                "authority_id": "second"}, None,
                                                                               {200}),
    ("POST", "/provider/api/people/{ref}/records"): ({}, {"title": "Phone call", "body": "Rang about the group.",
                                                          "record_date": "2026-03-03"}, {201}),
    ("POST", "/provider/api/people/{ref}/enrolment-codes"): ({}, None, {201}),
    ("GET", "/provider/api/people/{ref}/records"): ({}, None, {200}),
    ("POST", "/provider/api/people/{ref}/records/{holding}"): (
        {"holding": "attendance"}, {"values": {"session_date": "2024-03-19", "session": "group session",
                                               "attended": "no"}}, {200}),
    ("POST", "/provider/api/people/{ref}/consents"): ({}, {"consent": "evaluation", "given": True, "on": "2026-10-02",
                                                          "how": "form"}, {201}),
    ("GET", "/provider/api/contacts"): ({}, None, {200}),
    ("POST", "/provider/api/contacts/{contact_id}/done"): ({"contact_id": "second"}, None, {200}),
}
SIGN_IN_ROUTES = {("GET", "/provider/login"), ("POST", "/provider/login"), ("POST", "/provider/logout")}


def provider_routes(app) -> set[tuple[str, str]]:
    """Every method and path the app serves under /provider, routers included (static files aside)."""
    return {(method, route.path) for route in iter_route_contexts(app.routes)
            if route.path and route.path.startswith("/provider") and route.methods
            for method in route.methods} - SIGN_IN_ROUTES


async def _samples(app) -> dict[str, str]:
    """A sample value for each path parameter, from a world made for it."""
    refs = {"ref": await family_asks(app), "second": await family_asks(app, key="aroha-2"),
            "third": await family_asks(app, key="aroha-3"),
            "unlinked": await family_asks(app, enrolled=False, key="walk-in"),
            "unlinked-2": await family_asks(app, enrolled=False, key="walk-in-2")}
    async with app.state.sessions.begin() as session:
        chat = (await session.exec(select(ChatLink))).first()
        contacts = [ContactRequest(chat_link_id=chat.id, note="Please ring me") for _ in range(2)]
        session.add_all(contacts)
        await session.flush()
        authorities = list(await session.exec(select(Authority).order_by(Authority.id)))
        aroha = (await session.exec(select(Person).where(Person.ref == "P-0001"))).one()
        record = (await session.exec(select(ProgrammeRecord).where(ProgrammeRecord.person_id == aroha.id,
                                                                   ProgrammeRecord.holding == "attendance")
                                     .order_by(ProgrammeRecord.id))).first()
    token = await staff_token(app, "to use")
    await staff_token(app, "to revoke")
    async with app.state.sessions() as session:
        token_id = (await session.exec(select(StaffToken.id).order_by(StaffToken.id.desc()))).first()
    return {**refs, "contact_id": str(contacts[0].id), "contact_id:second": str(contacts[1].id),
            "authority_id": str(authorities[0].id), "authority_id:second": str(authorities[1].id),
            "token_id": str(token_id), "trigger": "approve", "person": "P-0001", "_token": token,
            "item_key": "evaluation:1", "language": "en", "register": "child", "record_id": str(record.id)}


def _path(template: str, given: dict, samples: dict) -> str:
    path = template
    for name in ("ref", "trigger", "contact_id", "authority_id", "token_id", "item_key", "language", "register",
                 "holding", "record_id"):
        if "{" + name + "}" not in path:
            continue
        value = given.get(name)
        if name == "ref":
            value = samples[value or "ref"] if "/requests/" in template else (value or samples["person"])
        elif value == "second":
            value = samples[f"{name}:second"]
        path = path.replace("{" + name + "}", value or samples[name])
    return path


async def test_every_provider_route_and_endpoint_has_a_row_in_the_access_table(app):
    assert not set(PAGES) & set(API)
    assert provider_routes(app) == set(PAGES) | set(API)


async def test_anonymous_callers_are_sent_to_sign_in_or_refused(app, client):
    samples = await _samples(app)

    for (method, template), (given, body, _ok) in {**PAGES, **API}.items():
        api = template.startswith("/provider/api/")
        path = _path(template, given, samples)
        response = await client.request(method, path, headers=JSON if api else HTML,
                                        **({"json": body} if api else {"data": body}) if body else {})
        if api:
            assert response.status_code == 401, (method, path, response.text)
            assert response.json()["detail"], (method, path)
        else:
            assert response.status_code == 303, (method, path, response.status_code)
            assert response.headers["location"].startswith("/provider/login"), (method, path)


async def test_signed_in_staff_and_staff_tokens_get_what_they_ask_for(app, client):
    samples = await _samples(app)
    csrf = await sign_in(client)
    bearer = {**JSON, "Authorization": f"Bearer {samples['_token']}"}

    for (method, template), (given, body, ok) in PAGES.items():
        path = _path(template, given, samples)
        data = {**body, "csrf": csrf} if body is not None else None
        response = await client.request(method, path, headers=HTML, data=data)
        assert response.status_code in ok, (method, path, response.status_code, response.text[:1500])
    for (method, template), (given, body, ok) in API.items():
        path = _path(template, given, samples)
        response = await client.request(method, path, headers=bearer, **({"json": body} if body else {}))
        assert response.status_code in ok, (method, path, response.status_code, response.text)


async def test_the_api_reads_with_the_desk_cookie_but_changes_nothing_without_a_token(app, client):
    samples = await _samples(app)
    await sign_in(client)

    read = await client.get(f"/provider/api/requests/{samples['ref']}", headers=JSON)
    change = await client.post(f"/provider/api/requests/{samples['ref']}/approve", headers=JSON,
                               json={"identity_checked": "id_seen"})

    assert read.status_code == 200 and read.json()["state"] == "submitted"
    assert change.status_code == 401
    assert "API token" in change.json()["detail"]


async def _officer(app) -> Officer:
    async with app.state.sessions() as session:
        return (await session.exec(select(Officer).order_by(Officer.id))).first()


@pytest.mark.parametrize("forgery", ["agency cookie", "agency cookie renamed", "officer kind at the provider"])
async def test_an_agency_officers_session_is_refused_at_every_provider_route(app, forgery):
    samples = await _samples(app)
    officer = await _officer(app)
    agency = SessionCookies(SECRET, "tono_agency", "/agency")
    provider = SessionCookies(SECRET, "tono_provider", "/provider")
    cookie = {
        "agency cookie": f"tono_agency={agency.encode(agency.new('officer', officer.id))}",
        "agency cookie renamed": f"tono_provider={agency.encode(agency.new('officer', officer.id))}",
        "officer kind at the provider": f"tono_provider={provider.encode(provider.new('officer', officer.id))}",
    }[forgery]

    async with client_for(app) as officer_browser:
        for (method, template), (given, body, _ok) in {**PAGES, **API}.items():
            api = template.startswith("/provider/api/")
            path = _path(template, given, samples)
            headers = {**(JSON if api else HTML), "Cookie": cookie}
            response = await officer_browser.request(method, path, headers=headers,
                                                     **({"json": body} if api else {"data": body}) if body else {})
            if api:
                assert response.status_code == 401, (forgery, method, path, response.status_code)
            elif response.status_code == 303:
                assert response.headers["location"].startswith("/provider/login"), (forgery, method, path)
            else:  # a form posted on a session this desk did not sign in carries no valid CSRF token
                assert (method, response.status_code) == ("POST", 403), (forgery, method, path, response.text)


async def test_an_agency_officers_api_token_is_refused_at_every_provider_endpoint(app, client):
    samples = await _samples(app)
    officer = await _officer(app)
    token = "tono_staff_" + "officer-token-that-looks-like-a-staff-one"
    async with app.state.sessions.begin() as session:
        session.add(OfficerToken(officer_id=officer.id, token_hash=hashlib.sha256(token.encode()).hexdigest(),
                                 label="agency case system"))

    for (method, template), (given, body, _ok) in API.items():
        path = _path(template, given, samples)
        response = await client.request(method, path, headers={**JSON, "Authorization": f"Bearer {token}"},
                                        **({"json": body} if body else {}))
        assert response.status_code == 401, (method, path, response.status_code)
    page = await client.get("/provider/", headers={**HTML, "Authorization": f"Bearer {token}"})
    assert page.status_code == 303  # a bearer token is never a desk session


async def test_a_revoked_staff_token_is_refused(app, client):
    samples = await _samples(app)
    csrf = await sign_in(client)
    made = await client.post("/provider/tokens", headers=HTML, data={"csrf": csrf, "label": "soon revoked"})
    token = made.text.split('<code class="secret">', 1)[1].split("<", 1)[0]
    async with app.state.sessions() as session:
        row = (await session.exec(select(StaffToken).where(StaffToken.label == "soon revoked"))).one()

    before = await client.get("/provider/api/requests", headers={"Authorization": f"Bearer {token}"})
    await client.post(f"/provider/tokens/{row.id}/revoke", headers=HTML, data={"csrf": csrf})
    after = await client.get("/provider/api/requests", headers={"Authorization": f"Bearer {token}"})

    assert before.status_code == 200 and samples["ref"]
    assert after.status_code == 401
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in row.token_hash



async def test_every_form_of_the_desk_is_refused_without_its_csrf_token(app, client):
    samples = await _samples(app)
    await sign_in(client)

    for (method, template), (given, body, _ok) in PAGES.items():
        if method != "POST":
            continue
        path = _path(template, given, samples)
        response = await client.post(path, headers=HTML, data=body or {"nothing": "here"})
        assert response.status_code == 403, (path, response.status_code)
    assert (await request_row(app, samples["ref"])).state == "submitted"
