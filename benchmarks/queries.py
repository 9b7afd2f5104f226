"""The waits the scale benchmark times: each one the real code path, through the real app (tono.app), on a
seeded database. A page is fetched over in-process HTTP as a signed-in browser would, so routing, the
desk's session check, the queries and the template all count; the sweeps and the family's turn are called
as the app's loops and channels call them.

Every repetition asks about a different request, task, chat or page, chosen from the seeded data with a
fixed seed, so the figures are not one lucky row that happens to sit in the cache.
"""

from __future__ import annotations

import random
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
from sqlalchemy import func
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from agency import sweep as agency_sweep
from agency.desk import store as agency_store
from agency.models import Task
from benchmarks.seed import FIRST_ID, GIVEN, SURNAMES, UNITS
from bot.flows.chat import Incoming
from bot.models import Request
from bot.requests import sweep as provider_sweep
from protocol.clock import nz_today

HTML = {"Accept": "text/html,application/xhtml+xml"}
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
STAFF = ("kaimahi", "demo-kaimahi-2026")  # tono.demo's logins
OFFICER_UNIT = UNITS[0]
OFFICER = (f"officer-{OFFICER_UNIT}", f"demo-{OFFICER_UNIT}-2026")
SAMPLES = 400
FINISHED_PAGES = 200  # how many pages back the far page of the unit's finished tasks is


@dataclass(frozen=True)
class Wait:
    name: str
    what: str  # what the person is waiting for, for BENCHMARKS.md and --explain
    run: Callable[[int], Awaitable[object]]  # one repetition; the argument picks its input


async def sign_in(client: httpx.AsyncClient, prefix: str, login: str, password: str) -> None:
    page = await client.get(f"{prefix}/login", headers=HTML)
    signed = await client.post(f"{prefix}/login", headers=HTML,
                               data={"login": login, "password": password, "csrf": _CSRF.search(page.text)[1]})
    if signed.status_code != 303:
        raise RuntimeError(f"could not sign in to {prefix} as {login}: {signed.status_code}")


async def _page(client: httpx.AsyncClient, path: str) -> httpx.Response:
    response = await client.get(path, headers=HTML)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}: {response.text[:300]}")
    return response


async def _samples(sessions: async_sessionmaker[AsyncSession], size: int, rng: random.Random) -> dict:
    """Inputs for the repetitions: requests, the officer's tasks, chats, and page cursors far back."""
    ids = [FIRST_ID + rng.randrange(size) for _ in range(SAMPLES)]
    async with sessions() as session:
        refs = list(await session.exec(select(Request.ref).where(Request.id.in_(ids), Request.state != "draft")))
        task_ids = list(await session.exec(select(Task.id).where(
            Task.unit_id == OFFICER_UNIT, Task.id.between(FIRST_ID, FIRST_ID + 2 * size)).order_by(func.random())
            .limit(SAMPLES)))
        middle = (await session.exec(select(Request).where(
            Request.state == "closed", Request.id >= FIRST_ID + size // 2, Request.due_on.is_not(None))
            .order_by(Request.id).limit(1))).first()
        # Where page FINISHED_PAGES of the unit's finished tasks starts: after the last task of the page before,
        # as following the desk's "next" links that far would leave it (the deepest there is, in a small database).
        back = (FINISHED_PAGES - 1) * agency_store.PAGE_SIZE
        finished = []
        for state in agency_store.QUEUE_VIEWS["finished"]:
            finished += (await session.exec(select(Task.due_on, Task.id).where(
                Task.unit_id == OFFICER_UNIT, Task.state == state).order_by(Task.due_on.desc(), Task.id.desc())
                .limit(back))).all()
        deep = sorted(finished, reverse=True)[:back]
    adults = [3 * (rng.randrange(max(1, size // 6))) + rng.randrange(2) for _ in range(SAMPLES)]
    return {"refs": refs, "tasks": task_ids, "chats": [f"bench-{i}" for i in adults],
            "middle": f"d.{middle.due_on.isoformat()}.{middle.id}" if middle else "",
            "finished_deep": agency_store.CURSORS.text(agency_store.Cursor(*deep[-1])) if deep else "",
            "names": [f"{rng.choice(GIVEN)} {rng.choice(SURNAMES)}" for _ in range(SAMPLES)]}


async def waits(app, size: int) -> list[Wait]:
    """The catalogue, signed in and ready to run."""
    transport = httpx.ASGITransport(app=app, client=("192.0.2.30", 50000))
    staff = httpx.AsyncClient(transport=transport, base_url="http://desk.test")
    officer = httpx.AsyncClient(transport=transport, base_url="http://desk.test")
    await sign_in(staff, "/provider", *STAFF)
    await sign_in(officer, "/agency", *OFFICER)
    sessions, agreement, conversations = app.state.sessions, app.state.agreement, app.state.conversations
    s = await _samples(sessions, size, random.Random(size))

    def pick(kind: str, i: int):
        return s[kind][i % len(s[kind])]

    async def status(i: int) -> None:
        said = await conversations.handle("web", pick("chats", i), Incoming("command", command="status"))
        if not said.replies:
            raise RuntimeError("the family's status turn said nothing")

    async def sweep_provider(_i: int) -> None:
        await provider_sweep.sweep(sessions, agreement, nz_today())

    async def sweep_agency(_i: int) -> None:
        await agency_sweep.sweep(sessions, agreement, nz_today())

    return [
        Wait("staff queue, every state", "provider desk home: ten of each open state, overdue first, counts",
             lambda i: _page(staff, "/provider/")),
        Wait("staff queue, one state", "provider desk: the first 50 requests received by the agency",
             lambda i: _page(staff, "/provider/?state=received")),
        Wait("staff queue, closed, mid-way", "provider desk: a page of closed requests half-way back (keyset)",
             lambda i: _page(staff, f"/provider/?state=closed&after={s['middle']}")),
        Wait("request page (timeline)", "provider desk: one request, its timeline and answers (records the opening)",
             lambda i: _page(staff, f"/provider/requests/{pick('refs', i)}")),
        Wait("people search by name", "provider desk: people whose names contain two words",
             lambda i: _page(staff, f"/provider/people?q={pick('names', i)}")),
        Wait("unit queue, to do", "agency desk: the unit's open tasks, earliest due first",
             lambda i: _page(officer, "/agency/")),
        Wait("unit queue, finished", "agency desk: the unit's finished tasks, first page",
             lambda i: _page(officer, "/agency/?show=finished")),
        Wait(f"unit queue, finished p{FINISHED_PAGES}",
             f"agency desk: the unit's finished tasks, {FINISHED_PAGES * agency_store.PAGE_SIZE:,} back (keyset)",
             lambda i: _page(officer, f"/agency/?show=finished&after={s['finished_deep']}")),
        Wait("task page (history)", "agency desk: one task, its history and the person's records (records the opening)",
             lambda i: _page(officer, f"/agency/tasks/{pick('tasks', i)}")),
        Wait("provider deadline sweep", "bot.requests.sweep with nothing to tell or remind", sweep_provider),
        Wait("agency deadline sweep", "agency.sweep with nothing to remind", sweep_agency),
        Wait("where is my request?", "a family's /status turn in the web chat: their requests, described", status),
    ]
