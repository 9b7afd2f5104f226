"""The queue: requests grouped by state, overdue first, and families asking to talk to someone."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.desk import people, store
from bot.desk.context import DeskContext
from bot.desk.deps import CSRF, CurrentStaff, DeskContextDep
from bot.desk.views import AGENCY_TURN, FINISHED, STAFF_TURN, VISIBLE, WAITING, Due, due_of
from bot.desk.web import back_to, problem_page
from bot.models import Person
from bot.models import Request as FamilyRequest
from deskkit.inputs import form_values
from deskkit.paging import Cursor
from deskkit.problems import DeskProblem
from protocol import deadlines, lifecycle
from protocol.clock import NZ

OVERVIEW_ROWS = 10
PAGE_ROWS = 50


@dataclass(frozen=True)
class Row:
    ref: str
    kind: str
    state: str
    asked_by: str
    about: str
    due: Due
    urgent: bool


@dataclass(frozen=True)
class Group:
    state: str
    rows: list[Row]
    total: int
    overdue: int
    next_after: str | None


def _name(person: Person | None, typed: str) -> str:
    return f"{person.given_name} {person.family_name}" if person else (f"“{typed}” (not linked)" if typed else "")


def row_of(request: FamilyRequest, people_by_id: dict[int, Person], today: date, relay_days: int) -> Row:
    asked_by = _name(people_by_id.get(request.requester_id), request.requester_name) or "Not given"
    if request.subject_id is not None and request.subject_id == request.requester_id:
        about = "Themselves"
    else:
        about = _name(people_by_id.get(request.subject_id), request.subject_name) or "Themselves"
    return Row(request.ref, request.kind, request.state, asked_by, about, due_of(request, today, relay_days),
               request.urgent)


def relay_overdue_before(today: date, relay_days: int) -> datetime:
    """Requests made before this moment have passed the provider's relay-by date (the agreement's
    service level): the first day whose relay-by date is today or later starts at it."""
    first_on_time = today
    while deadlines.add_working_days(first_on_time - timedelta(days=1), relay_days) >= today:
        first_on_time -= timedelta(days=1)
    return datetime.combine(first_on_time, time.min, NZ)


async def group(ctx: DeskContext, session: AsyncSession, state: str, after: Cursor | None,
                limit: int) -> Group:
    today = ctx.today()
    rows, next_cursor = await store.queue_page(session, state, after, limit)
    people_by_id = await store.people_by_id(session, {r.requester_id for r in rows} | {r.subject_id for r in rows})
    total = await store.capped_count(session, FamilyRequest.state == state)
    overdue = 0
    if total and state in WAITING:
        late = (FamilyRequest.due_on < today if state not in lifecycle.BEFORE_RELAY
                else FamilyRequest.created_at < relay_overdue_before(today, ctx.relay_days))
        overdue = await store.capped_count(session, FamilyRequest.state == state, late)
    return Group(state, [row_of(r, people_by_id, today, ctx.relay_days) for r in rows], total, overdue,
                 store.CURSORS.text(next_cursor) if next_cursor else None)


router = APIRouter(prefix="/provider", include_in_schema=False)


@router.get("/")
async def queue(request: Request, ctx: DeskContextDep, staff: CurrentStaff, state: str = "",
                after: str = "") -> Response:
    """Requests by state, the earliest due first, so overdue ones lead; who is asking to talk to someone."""
    try:
        if state and state not in VISIBLE:
            raise DeskProblem(404, f"There is no state '{state[:40]}'.")
        cursor = store.CURSORS.parse(after[:100])
    except DeskProblem as problem:
        return problem_page(ctx, request, problem)
    async with ctx.sessions.begin() as session:
        if state:
            groups = [await group(ctx, session, state, cursor, PAGE_ROWS)]
            contacts, replies = [], {}
        else:
            groups = [await group(ctx, session, s, None, OVERVIEW_ROWS) for s in STAFF_TURN + AGENCY_TURN]
            contacts = await store.open_contacts(session)
            replies = await store.contact_replies(session, [contact.id for contact, _p, _c in contacts])
        finished = [(s, await store.capped_count(session, FamilyRequest.state == s)) for s in FINISHED]
    facts = getattr(ctx.outbox, "facts", None)  # the linked queue's end: staff are told when messages are refused
    link = await facts() if facts else None
    return ctx.desk.render(request, "queue.html", {
        "state": state, "groups": groups, "contacts": contacts, "replies": replies,
        "reply_limit": people.REPLY_LIMIT, "finished": finished,
        "staff_turn": STAFF_TURN, "agency_turn": AGENCY_TURN, "cap": store.COUNT_CAP,
        "overdue_total": sum(g.overdue for g in groups), "section": "queue",
        "refused": sum(r.count for r in link.refused) if link else 0, "other": ctx.agreement.agency.names.en.short,
    })


@router.post("/contacts/{contact_id}/done", dependencies=CSRF)
async def contact_done(request: Request, ctx: DeskContextDep, contact_id: int, staff: CurrentStaff) -> Response:
    """Mark a family's wish to talk to someone as dealt with."""
    try:
        return back_to(ctx, "/provider/", await people.contact_done(ctx, staff, contact_id))
    except DeskProblem as problem:
        if problem.status == 404:
            return problem_page(ctx, request, problem)
        return back_to(ctx, "/provider/", problem.sentence, "error")  # already done: say so on the queue


@router.post("/contacts/{contact_id}/reply", dependencies=CSRF)
async def contact_reply(request: Request, ctx: DeskContextDep, contact_id: int, staff: CurrentStaff) -> Response:
    """Write back to a family who asked to talk; it reaches their chat through the outbox."""
    reply = (await form_values(request, "reply")).get("reply", "")
    try:
        return back_to(ctx, "/provider/", await people.contact_reply(ctx, staff, contact_id, reply))
    except DeskProblem as problem:
        if problem.status == 404:
            return problem_page(ctx, request, problem)
        return back_to(ctx, "/provider/", problem.sentence, "error")
