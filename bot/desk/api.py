"""The provider desk's JSON API for requests: the queue, one request, and the staff steps, for a staff
member's own tools. A bearer token (made on /provider/tokens) for anything; the desk's cookie for reading."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from bot.desk import actions, request_page, store
from bot.desk.api_models import ERRORS, ApiRoute, EventOut, QueueOut, RequestDetail, RequestSummary, StepOut
from bot.desk.context import DeskContext
from bot.desk.deps import BEARER, ApiCaller, DeskContextDep
from bot.desk.forms import ApproveIn, DeclineIn, Input, LinkIn
from bot.desk.views import VISIBLE, due_of
from bot.models import StaffAccount
from bot.requests.moves import record_opening
from deskkit.problems import DeskProblem
from protocol import lifecycle

SEEN_AS = "request, through the API"

router = APIRouter(prefix="/provider/api", tags=["provider desk API"], route_class=ApiRoute,
                   dependencies=[Depends(BEARER)], responses=ERRORS)


async def fresh(ctx: DeskContext, ref: str) -> tuple[str, str]:
    async with ctx.sessions() as session:
        found = await store.request_by_ref(session, ref)
    return found.ref, found.state


async def step(ctx: DeskContext, staff: StaffAccount, ref: str, trigger: str, data: Input | None = None) -> StepOut:
    done = await actions.take_step(ctx, staff, ref, trigger, data)
    ref, state = await fresh(ctx, ref)
    return StepOut(ref=ref, state=state, done=done)


@router.get("/requests", response_model=QueueOut)
async def list_requests(ctx: DeskContextDep, staff: ApiCaller,
                        state: Annotated[str, Query(max_length=16)] = "submitted",
                        after: Annotated[str, Query(max_length=100)] = "",
                        limit: Annotated[int, Query(ge=1, le=200)] = 50) -> QueueOut:
    """Requests in one state, earliest due first (overdue lead); page on with `after`."""
    if state not in VISIBLE:
        raise DeskProblem(422, f"'{state}' is not a state staff can list; the states are "
                               f"{', '.join(s for s in lifecycle.STATES if s in VISIBLE)}.")
    cursor = store.CURSORS.parse(after)
    async with ctx.sessions() as session:
        rows, next_cursor = await store.queue_page(session, state, cursor, limit)
        people = await store.people_by_id(session, {r.requester_id for r in rows} | {r.subject_id for r in rows})
    today = ctx.today()
    items = [RequestSummary.of(r, people, due_of(r, today, ctx.relay_days)) for r in rows]
    return QueueOut(state=state, items=items, next_after=store.CURSORS.text(next_cursor) if next_cursor else None)


@router.get("/requests/{ref}", response_model=RequestDetail)
async def get_request(ctx: DeskContextDep, staff: ApiCaller, ref: str) -> RequestDetail:
    """One request with its history and the agency's answers; opening it is recorded in its history."""
    async with ctx.sessions.begin() as session:
        found = await store.request_to_change(session, ref)
        await record_opening(session, found, "staff", staff.display_name, SEEN_AS)
        people = await store.people_by_id(session, {found.requester_id, found.subject_id})
        events = await store.events_of(session, found)
        answers = await store.answers_of(session, found)
    summary = RequestSummary.of(found, people, due_of(found, ctx.today(), ctx.relay_days))
    return RequestDetail(
        **summary.model_dump(), details=found.details, correction_what=found.correction_what,
        correction_should_say=found.correction_should_say, form=found.form,
        urgency_reason=found.urgency_reason, identity_checked=found.identity_checked,
        received_on=found.received_on, units=list(found.units), clarification=found.clarification,
        allowed_steps=[a.trigger for a in request_page.staff_actions(found)],
        events=[EventOut.model_validate(e, from_attributes=True) for e in events],
        answers=[a.body for a in answers],
    )


@router.post("/requests/{ref}/approve", response_model=StepOut)
async def approve(ctx: DeskContextDep, staff: ApiCaller, ref: str, body: ApproveIn) -> StepOut:
    """Approve a request, saying how identity and authority were checked."""
    return await step(ctx, staff, ref, "approve", body)


@router.post("/requests/{ref}/decline", response_model=StepOut)
async def decline(ctx: DeskContextDep, staff: ApiCaller, ref: str, body: DeclineIn) -> StepOut:
    """Decline a request with the reason the family is told."""
    return await step(ctx, staff, ref, "decline", body)


@router.post("/requests/{ref}/relay", response_model=StepOut)
async def relay(ctx: DeskContextDep, staff: ApiCaller, ref: str) -> StepOut:
    """Relay an approved request to the agency (a signed message on the queue)."""
    return await step(ctx, staff, ref, "relay")


@router.post("/requests/{ref}/prepare-locally", response_model=StepOut)
async def prepare_locally(ctx: DeskContextDep, staff: ApiCaller, ref: str) -> StepOut:
    """Answer a request about CCSS's own records here, without the agency."""
    return await step(ctx, staff, ref, "prepare_locally")


@router.post("/requests/{ref}/prepare", response_model=StepOut)
async def prepare(ctx: DeskContextDep, staff: ApiCaller, ref: str) -> StepOut:
    """Start preparing the answer to a request the agency has answered."""
    return await step(ctx, staff, ref, "prepare")


@router.post("/requests/{ref}/deliver", response_model=StepOut)
async def deliver(ctx: DeskContextDep, staff: ApiCaller, ref: str) -> StepOut:
    """Mark a prepared answer as delivered to the family."""
    return await step(ctx, staff, ref, "deliver")


@router.post("/requests/{ref}/close", response_model=StepOut)
async def close(ctx: DeskContextDep, staff: ApiCaller, ref: str) -> StepOut:
    """Close a delivered request."""
    return await step(ctx, staff, ref, "close")


@router.post("/requests/{ref}/link", response_model=StepOut)
async def link(ctx: DeskContextDep, staff: ApiCaller, ref: str, body: LinkIn) -> StepOut:
    """Link a request to the person asking and the person it is about."""
    done = await actions.link(ctx, staff, ref, body)
    ref, state = await fresh(ctx, ref)
    return StepOut(ref=ref, state=state, done=done)
