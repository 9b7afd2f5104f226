"""The agency desk at /agency/: each officer sees only their unit's tasks and records, and answers them.

Pages for people (signed in with a desk session and CSRF tokens on every form) and a JSON API under
/agency/api/ for an agency's own case system (a bearer token that acts as its officer). Both go through
`actions`, one transaction per action; every query is filtered by the officer's unit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.ext.asyncio import async_sessionmaker

from agency.desk import api, deps, outcome_pages, report_pages, routes, store, token_pages, views
from agency.desk.actions import Actions
from deskkit.desk import Desk
from deskkit.link_page import link_router
from deskkit.login import login_router
from protocol.agreement import Agreement
from protocol.grounds import ground_line
from protocol.queue import Outbox
from protocol.receiving import MAX_MESSAGE_BYTES

HERE = Path(__file__).parent
STATIC_PATH = "/agency/static/agency"


def install_agency_desk(app: FastAPI, *, sessions: async_sessionmaker, agreement: Agreement, outbox: Outbox,
                        secret: str, secure_cookies: bool, today: Callable[[], date]) -> None:
    """Add the agency desk's pages and JSON API to the app."""
    unit_names = {unit.id: agreement.text(unit.name, "en", "adult") for unit in agreement.units}

    def label(officer) -> str:
        return f"{officer.display_name}, {unit_names.get(officer.unit_id, officer.unit_id)}"

    async def load(kind: str, account_id: object):
        return await store.load_officer(sessions, kind, account_id)

    async def verify(login: str, password: str):
        return await store.verify_login(sessions, login, password)

    async def end(kind: str, account_id: object, generation: int) -> None:
        await store.end_sessions(sessions, kind, account_id, generation)

    # An answer by API may carry whole records (up to 100,000 characters each), as one protocol message does.
    desk = Desk(prefix="/agency", title="Agency desk", cookie="tono_agency", secret=secret, load_account=load,
                generation_of=store.session_generation, end_sessions=end, templates_dirs=[HERE / "templates"],
                secure_cookies=secure_cookies, account_label=label,
                max_api_body=MAX_MESSAGE_BYTES)
    desk.templates.env.filters["day"] = views.day  # a date, or the ISO text of one
    desk.templates.env.filters["ground"] = ground_line
    desk.templates.env.globals.update(agency_static=STATIC_PATH, unit_names=unit_names)
    desk.install(app)
    app.mount(STATIC_PATH, StaticFiles(directory=HERE / "static"), name="tono_agency_own_static")
    # The routers are module-level; their dependencies (deps.py) find the desk and its actions on the app's state.
    setattr(app.state, deps.DESK, desk)
    setattr(app.state, deps.ACTIONS, Actions(sessions=sessions, outbox=outbox, agreement=agreement, today=today))
    app.include_router(login_router(desk, verify))
    for module in (routes, report_pages, outcome_pages, token_pages, api):
        app.include_router(module.router)
    # The link page, shared with the provider's desk; its end is the agency's end of the linked queue.
    app.include_router(link_router(desk, lambda request: outbox if hasattr(outbox, "facts") else None,
                                   other=agreement.provider.names.en.short))
