"""The agency desk's JSON API under /agency/api/: the desk's actions for an agency's own case system.

A call carries `Authorization: Bearer <token>` (made at /agency/tokens) and acts exactly as the token's
officer: their unit's tasks and records, nothing more. Refusals are {"detail": "one sentence"}.
"""

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from agency.answering import unit_records
from agency.desk import report_store, store
from agency.desk.actions import NOT_FOUND, Actions
from agency.desk.deps import ActionsDep, TokenOfficer
from agency.desk.inputs import AnswerIn, ClarifyIn, ExtendIn, OutcomeIn, OwnRecordIn, TransferIn, explain
from agency.desk.views import record_view, report_row, task_view
from agency.models import InformationUse, Officer, Task
from agency.moves import record_opening
from agency.own_records import OwnRecord, add_own_records
from deskkit.problems import DeskProblem, Problem, one_sentence_route
from protocol.outcomes import TEMPLATES


class QueueTask(BaseModel):
    id: int
    state: str
    due_on: date
    overdue: bool
    claimed_by: str | None = Field(description="The name of the officer who claimed it, if anyone has.")
    reference: str = Field(description="The provider's reference for the request.")
    kind: str
    participant_id: str


class QueueOut(BaseModel):
    unit: str
    show: str
    page: int
    total: int = Field(description=f"How many tasks the view has, counted up to {store.COUNT_CAP}: when "
                                   "`total_is_lower_bound` is true there are at least this many, perhaps far more.")
    total_is_lower_bound: bool = Field(description="The count stopped at its cap, so `total` is a lower bound.")
    page_size: int
    next_after: str | None = Field(description="Send as `after` for the next page; null on the last page.")
    tasks: list[QueueTask]


# Invalid input gets the same {"detail": "one sentence"} as every other refusal, not pydantic's list.
OneSentenceErrors = one_sentence_route(explain)


def _outcome(use: InformationUse) -> dict:
    return {"id": use.id, "kind": use.kind, "reports": use.reports, "participant_id": use.participant_id,
            "template": use.template, "summaries": use.summaries, "reported_on": use.reported_on.isoformat()}


router = APIRouter(prefix="/agency/api", tags=["agency desk API"], route_class=OneSentenceErrors, responses={
    401: {"model": Problem, "description": "No token, or a token that is not valid."},
    404: {"model": Problem, "description": "No such task in the token's unit (nor any other unit's)."},
    409: {"model": Problem, "description": "The lifecycle does not allow this move now; the detail says why."},
    413: {"model": Problem, "description": "The body is over 16 MB, the most one protocol message carries."},
    422: {"model": Problem, "description": "The input is not right; the detail says what to change."},
    429: {"model": Problem, "description": "Too many calls by this officer; wait Retry-After seconds."}})


async def act(actions: Actions, officer: Officer, task_id: int, step: str, given: object = None) -> dict:
    said = await actions.on_task(officer, task_id, step, given)
    async with actions.sessions() as session:
        task = await session.get(Task, task_id)
    return {"message": said, "task": {"id": task.id, "state": task.state, "due_on": task.due_on.isoformat(),
                                      "answer": task.answer or None}}


@router.get("/tasks", response_model=QueueOut, responses={
    400: {"model": Problem, "description": "An `after` this API did not give out as `next_after`."}})


async def queue(officer: TokenOfficer, actions: ActionsDep, show: Literal["todo", "finished"] = "todo",
                after: Annotated[str, Query(max_length=100, description=(
                    "Where the next page starts: the `next_after` of the page before. Leave it out for the "
                    "first page."))] = "",
                page: Annotated[int, Query(ge=1, description=(
                    f"A page by number, up to {store.NUMBERED_PAGES} (as far as `total` counts); for later "
                    "tasks, follow `next_after`, which costs the same however far back it goes."))] = 1) -> dict:
    """The unit's tasks, a page at a time: to do (earliest due, so overdue, first) or finished (latest due
    first). Page on with `after` set to the last page's `next_after` until it is null. `total` stops
    counting at a cap: `total_is_lower_bound` is then true, and there are at least that many."""
    if page > store.NUMBERED_PAGES:
        raise DeskProblem(422, f"'page' goes up to {store.NUMBERED_PAGES}; for later tasks, send 'after' "
                                 "with the 'next_after' of the page before.")
    if after and page > 1:
        raise DeskProblem(422, "Send 'after' or 'page', not both: 'after' already says where the page starts.")
    cursor = store.CURSORS.parse(after)
    async with actions.sessions() as session:
        found = await store.queue_page(session, officer.unit_id, show, actions.today(), after=cursor, page=page,
                                       sight=actions.sight(officer))
    return {"unit": officer.unit_id, "show": show, "page": page, "total": found.total,
            "total_is_lower_bound": found.total_is_lower_bound, "page_size": store.PAGE_SIZE,
            "next_after": found.next_after,
            "tasks": [{"id": r.task.id, "state": r.task.state, "due_on": r.task.due_on.isoformat(),
                       "overdue": r.overdue, "claimed_by": r.claimed_by, "reference": r.request.provider_ref,
                       "kind": r.request.kind, "participant_id": r.request.participant_id} for r in found.rows]}


async def opened(actions: Actions, officer: Officer, task_id: int, what: str) -> dict:
    async with actions.sessions.begin() as session:
        try:
            task, request = await store.unit_task(session, officer, task_id, sight=actions.sight(officer))
        except store.NotFound:
            raise DeskProblem(404, NOT_FOUND) from None
        await record_opening(session, request.id, task.id, "officer", officer.login, what, outbox=actions.outbox,
                             officer_role=officer.role)
        if what == "the unit's records":
            return {"task": task.id, "records": await report_store.record_views(
                session, officer.unit_id, await unit_records(session, task, request))}
        events = await store.history(session, request, task)
        names = await store.officer_names(session, {task.claimed_by} if task.claimed_by else set())
    return task_view(task, request, officer, events, actions.today(), names.get(task.claimed_by))


@router.get("/tasks/{task_id:int}")
async def task(task_id: int, officer: TokenOfficer, actions: ActionsDep) -> dict:
    """One task: the request as the unit needs it, its history and the moves allowed now (recorded as seen)."""
    return await opened(actions, officer, task_id, "the request")


@router.get("/tasks/{task_id:int}/records")
async def records(task_id: int, officer: TokenOfficer, actions: ActionsDep) -> dict:
    """The records the unit holds about the task's person, and no one else's (recorded as seen)."""
    return await opened(actions, officer, task_id, "the unit's records")


@router.post("/tasks/{task_id:int}/claim")
async def claim(task_id: int, officer: TokenOfficer, actions: ActionsDep) -> dict:
    """Claim the task for the token's officer."""
    return await act(actions, officer, task_id, "claim")


@router.post("/tasks/{task_id:int}/unclaim")
async def unclaim(task_id: int, officer: TokenOfficer, actions: ActionsDep) -> dict:
    """Give the task back to the unit's queue."""
    return await act(actions, officer, task_id, "unclaim")


@router.post("/tasks/{task_id:int}/answer")
async def answer(task_id: int, given: AnswerIn, officer: TokenOfficer, actions: ActionsDep) -> dict:
    """Send the unit's answer (the task must be claimed by the token's officer)."""
    return await act(actions, officer, task_id, "answer", given)


@router.post("/tasks/{task_id:int}/clarify")
async def clarify(task_id: int, given: ClarifyIn, officer: TokenOfficer, actions: ActionsDep) -> dict:
    """Ask the family, through the provider, to make the request clearer."""
    return await act(actions, officer, task_id, "clarify", given)


@router.post("/tasks/{task_id:int}/extend")
async def extend(task_id: int, given: ExtendIn, officer: TokenOfficer, actions: ActionsDep) -> dict:
    """Extend the time limit on a ground the Act allows, before the original due date (s 48; s 65)."""
    return await act(actions, officer, task_id, "extend", given)


@router.post("/tasks/{task_id:int}/transfer")
async def transfer(task_id: int, given: TransferIn, officer: TokenOfficer, actions: ActionsDep) -> dict:
    """Transfer the request to another agency, within 10 working days of receipt (s 43)."""
    return await act(actions, officer, task_id, "transfer", given)


@router.get("/outcomes")
async def outcomes(officer: TokenOfficer, actions: ActionsDep,
                   page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> dict:
    """The unit's recorded outcomes of information use, newest first."""
    async with actions.sessions() as session:
        rows, total = await store.outcomes_page(session, officer.unit_id, page)
    return {"unit": officer.unit_id, "page": page, "total": total, "outcomes": [_outcome(u) for u in rows]}


@router.get("/outcomes/templates")
async def outcome_templates(officer: TokenOfficer) -> dict:
    """The templates an outcome's summary may be given as: each one's id, the kind of outcome it describes, and
    its English text for a parent ({unit} is the unit's name); families read it in their language and register."""
    return {"templates": [{"id": t.id, "kind": t.kind, "english": t.english} for t in TEMPLATES.values()]}


@router.post("/outcomes", status_code=201)
async def report(given: OutcomeIn, officer: TokenOfficer, actions: ActionsDep) -> dict:
    """Record an outcome of information use (a decision, advice or report it informed) against the reports the
    unit received that informed it, with a template or four summaries; the provider is told, and tells the
    families whose information was in those reports."""
    return _outcome(await actions.report_outcome(officer, given))


@router.get("/reports")
async def reports(officer: TokenOfficer, actions: ActionsDep,
                  page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> dict:
    """The reports the unit received from the provider, newest first (named, or by study number)."""
    async with actions.sessions() as session:
        rows, total = await report_store.reports_page(session, officer.unit_id, page)
    return {"unit": officer.unit_id, "page": page, "total": total, "reports": [report_row(r) for r in rows]}


@router.post("/records", status_code=201)
async def add_record(given: OwnRecordIn, officer: TokenOfficer, actions: ActionsDep) -> dict:
    """Add a record from the unit's own systems to the token's unit; requests are answered from it too."""
    async with actions.sessions.begin() as session:
        (record,) = await add_own_records(session, officer.unit_id, [OwnRecord(
            given.participant_id, given.title, given.body, given.record_date)])
        shown = record_view(record)
    return {"unit": officer.unit_id, "participant_id": record.participant_id, **shown}
