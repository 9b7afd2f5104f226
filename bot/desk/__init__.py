"""The provider desk at /provider/: CCSS staff check who is asking, approve, relay, look after families.

Pages (server-rendered, no script needed) and a JSON API under /provider/api/, on deskkit's sign-in,
sessions, CSRF and layout. Every staff step offered is one protocol.lifecycle allows now; every change is
one transaction; opening a request is recorded in its history.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.desk import (
    api,
    api_people,
    api_records,
    deps,
    routes_people,
    routes_prepare,
    routes_queue,
    routes_records,
    routes_report,
    routes_reports,
    routes_requests,
    routes_tokens,
    views,
)
from bot.desk.auth import account_loader, password_checker, session_ender, session_generation
from bot.desk.context import DeskContext
from deskkit.desk import Desk
from deskkit.link_page import link_router
from deskkit.login import login_router
from protocol.agreement import Agreement
from protocol.grounds import ground_line
from protocol.queue import Outbox

HERE = Path(__file__).parent
PREFIX = "/provider"
COOKIE = "tono_provider"
STATIC = f"{PREFIX}/static/provider"


def install_provider_desk(app: FastAPI, *, sessions: async_sessionmaker, agreement: Agreement, outbox: Outbox,
                          secret: str, secure_cookies: bool, today: Callable[[], date],
                          study_number_key: bytes = b"") -> None:
    """Add the provider desk's pages and JSON API to the app."""
    desk = Desk(prefix=PREFIX, title=f"{agreement.provider.names.en.short} provider desk", cookie=COOKIE,
                secret=secret, load_account=account_loader(sessions), generation_of=session_generation,
                end_sessions=session_ender(sessions), templates_dirs=[HERE / "templates"],
                secure_cookies=secure_cookies)
    env = desk.templates.env
    env.globals.update(provider_static=STATIC, provider_name=agreement.provider.name,
                       state_label=views.state_label, states=views.lifecycle.STATES)
    env.filters.update(day=views.day, long_day=views.long_day, moment=views.moment, ground=ground_line)
    # The routers are module-level; their dependencies (deps.py) find this context on the app's state.
    setattr(app.state, deps.STATE, DeskContext(desk=desk, sessions=sessions, agreement=agreement, outbox=outbox,
                                               today=today, secret=secret, study_number_key=study_number_key))
    desk.install(app)
    app.mount(STATIC, StaticFiles(directory=HERE / "static"), name="tono_provider_own_static")
    app.include_router(login_router(desk, password_checker(sessions)))
    for module in (routes_queue, routes_requests, routes_prepare, routes_people, routes_records, routes_reports,
                   routes_tokens, routes_report, api, api_people, api_records):
        app.include_router(module.router)
    # The link page, shared with the agency's desk; its end is this side's end of the linked queue.
    app.include_router(link_router(desk, lambda request: outbox if hasattr(outbox, "facts") else None,
                                   other=agreement.agency.names.en.short))
    app.state.provider_desk = desk
