"""Driving the provider desk over HTTP as staff would: the real app (tono.app.create_app) on a seeded
database, a cookie-keeping client, sign-in through the login form, requests made in the family chat."""

from __future__ import annotations

import httpx
from sqlmodel import select

from agency import answering
from agency.models import AgencyRequest, Officer, Task
from bot.models import Request, StaffAccount
from protocol.clock import nz_today
from tests.bot.family_asks import family_asks as asks_in_chat
from tests.bot.family_asks import newest_ref
from tests.deskkit.desk_app import csrf_in

SECRET = "provider-desk-tests-secret-0123456789-abcdefghij"
HTML = {"Accept": "text/html,application/xhtml+xml"}
STAFF_LOGIN, STAFF_PASSWORD = "kaimahi", "demo-kaimahi-2026"


def make_app(seeded_url: str, keys_dir):
    from protocol.agreement import load_agreement
    from tono.app import create_app
    from tono.settings import load_settings

    settings = load_settings(TONO_DATABASE_URL=seeded_url, TONO_KEYS_DIR=str(keys_dir), TONO_SECRET_KEY=SECRET)
    return create_app(settings, load_agreement(), start_telegram=False, run_loops=False)


def client_for(app) -> httpx.AsyncClient:
    """A browser: keeps cookies, follows no redirects, talks to the app in process."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("192.0.2.20", 50000)),
                             base_url="http://desk.test")


async def sign_in(client: httpx.AsyncClient, login: str = STAFF_LOGIN, password: str = STAFF_PASSWORD) -> str:
    """Sign in through the login form; returns a CSRF token for the session's forms."""
    page = await client.get("/provider/login", headers=HTML)
    signed = await client.post("/provider/login", headers=HTML,
                               data={"login": login, "password": password, "csrf": csrf_in(page)})
    assert signed.status_code == 303, signed.text
    return csrf_in(await client.get("/provider/", headers=HTML))


async def post_form(client: httpx.AsyncClient, path: str, csrf: str, **fields) -> httpx.Response:
    return await client.post(path, headers=HTML, data={"csrf": csrf, **fields})


async def family_asks(app, *, enrolled: bool = True, key: str = "aroha", kind: str = "access") -> str:
    """A family makes a request in the chat (Aroha, P-0001, about herself); returns its reference."""
    await asks_in_chat(app.state.conversations, app.state.sessions, enrolled=enrolled, key=key, kind=kind)
    return await newest_ref(app.state.sessions)


async def staff_token(app, label: str = "tests") -> str:
    from bot.desk.auth import create_token

    async with app.state.sessions.begin() as session:
        staff = (await session.exec(select(StaffAccount).where(StaffAccount.login == STAFF_LOGIN))).one()
        token, _row = await create_token(session, staff, label)
    return token


async def request_row(app, ref: str) -> Request:
    async with app.state.sessions() as session:
        return (await session.exec(select(Request).where(Request.ref == ref))).one()


async def study_parts_answered(sessions, link) -> None:
    """The evaluators answer each study part (the desk relays one where the person's survey answers went to them
    under a study number), releasing what they hold under the study number, as the demo's evaluator (or one made
    here, for a unit the demo has none in)."""
    async with sessions.begin() as session:
        for task in await session.exec(select(Task).where(Task.study_numbered.is_(True), Task.state == "open")):
            officer = (await session.exec(select(Officer).where(Officer.unit_id == task.unit_id,
                                                                Officer.role == "evaluator"))).first()
            if officer is None:
                officer = Officer(login=f"evaluator-{task.unit_id}", display_name="An evaluator", unit_id=task.unit_id,
                                  role="evaluator", password_hash="not-a-real-hash")
                session.add(officer)
                await session.flush()
            request = await session.get(AgencyRequest, task.request_id)
            records = await answering.unit_records(session, task, request)
            await answering.claim(session, task, officer)
            await answering.answer(session, task, officer,
                                   answering.Answer(release=[r.id for r in records]) if records
                                   else answering.Answer(not_held=["Nothing under this study number."]),
                                   link.agency, nz_today())


async def answered_by_both_units(app, client, *, withhold: bool = True) -> tuple[str, str]:
    """A family asks; staff approve and relay; both agency units answer, the service reporting team
    withholding its last record on another person's affairs (when it has more than one and `withhold`).
    Returns the request's reference and a CSRF token."""
    ref = await family_asks(app)
    csrf = await sign_in(client)
    await post_form(client, f"/provider/requests/{ref}/steps/approve", csrf, identity_checked="id_seen")
    await post_form(client, f"/provider/requests/{ref}/steps/relay", csrf)
    link, sessions = app.state.link, app.state.sessions
    await link.settle()
    async with sessions() as session:
        agency_request = (await session.exec(select(AgencyRequest).where(
            AgencyRequest.study_numbered.is_(False)))).one()
    for unit in ("evaluation", "service-reporting"):
        async with sessions.begin() as session:
            officer = (await session.exec(select(Officer).where(Officer.login == f"officer-{unit}"))).one()
            task = (await session.exec(select(Task).where(Task.unit_id == unit, Task.study_numbered.is_(False)))).one()
            await answering.claim(session, task, officer)
            records = await answering.unit_records(session, task, agency_request)
            given = (answering.Answer(release=[r.id for r in records[:-1]],
                                      withhold={records[-1].id: ("another_persons_affairs", "About your sister.")})
                     if unit == "service-reporting" and withhold and len(records) > 1
                     else answering.Answer(release=[r.id for r in records]))
            await answering.answer(session, task, officer, given, link.agency, nz_today())
    await study_parts_answered(sessions, link)
    await link.settle()
    assert (await request_row(app, ref)).state == "answered"
    return ref, csrf
