"""The agency desk's pages: the unit's queue, a task with its records and history, and the task's actions."""

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from agency.answering import unit_records
from agency.desk import inputs, report_store, store
from agency.desk.actions import NOT_FOUND, STEPS, Actions
from agency.desk.deps import CSRF, ActionsDep, CurrentOfficer, DeskDep
from agency.desk.views import (
    EXTENSION_CHOICES,
    GROUND_SECTIONS,
    GROUNDS,
    KINDS,
    STATE_WORDS,
    TASK_STATES,
    task_view,
)
from agency.models import Officer
from agency.moves import record_opening
from deskkit.desk import Desk, Message
from deskkit.inputs import form_values
from deskkit.problems import DeskProblem
from protocol.grounds import NCND_GROUNDS
from protocol.tasks import allowed_task_triggers

LABELS = {
    "question": "The question for the family", "ground": "The ground for the extension",
    "new_due": "The new due date", "reasons": "The reasons for the extension", "to_agency": "The other agency",
    "reason": "The reason for the transfer",
}
# The form fields each step with a plain form reads (the answer form is read against the unit's records).
FIELDS = {"clarify": ("question",), "extend": ("ground", "new_due", "reasons"), "transfer": ("to_agency", "reason")}

# The task states from which an officer may claim, asked of the task lifecycle (for the queue's buttons).
CLAIMABLE = frozenset(s for s in TASK_STATES if "claim" in allowed_task_triggers(s, "officer"))

router = APIRouter(prefix="/agency", include_in_schema=False)


def not_found(desk: Desk, request: Request, text: str = NOT_FOUND) -> Response:
    return desk.render(request, "problem.html", {"heading": "Not found", "text": text}, status_code=404)


@router.get("/")
async def queue(request: Request, desk: DeskDep, actions: ActionsDep, officer: CurrentOfficer, show: str = "todo",
                after: str = "") -> Response:
    """The unit's tasks: to do (earliest due first, overdue ones marked) or finished, a page at a time; each
    next page starts after the last task shown (`after`), so a page far back costs what the first does."""
    show = show if show in store.QUEUE_VIEWS else "todo"
    try:
        cursor = store.CURSORS.parse(after)
    except DeskProblem as broken:
        return desk.render(request, "problem.html", {
            "heading": "That page could not be shown", "text": broken.sentence}, status_code=broken.status)
    async with actions.sessions() as session:
        found = await store.queue_page(session, officer.unit_id, show, actions.today(), after=cursor,
                                       sight=actions.sight(officer))
    watch = getattr(actions.outbox, "inbox_watch", None)  # the linked queue's end, when it has an inbox
    facts = getattr(actions.outbox, "facts", None)  # officers are told when messages to the provider are refused
    link = await facts() if facts else None
    return desk.render(request, "queue.html", {
        "inbox": await watch() if watch else None,
        "refused": sum(r.count for r in link.refused) if link else 0,
        "other": actions.agreement.provider.names.en.short,
        "rows": found.rows, "total": found.total, "more_than": found.total_is_lower_bound,
        "next_after": found.next_after, "later_page": cursor is not None, "page_size": store.PAGE_SIZE,
        "show": show, "kinds": KINDS, "states": TASK_STATES, "officer": officer, "nav": "queue",
        "claimable": CLAIMABLE})


async def show_task(request: Request, desk: Desk, actions: Actions, officer: Officer, task_id: int, *,
                    status: int = 200, error: str = "", failed: str = "", values: dict | None = None) -> Response:
    """The task page; opening it is recorded, except when it is shown again after a refused action."""
    opening = not error
    async with actions.sessions.begin() as session:
        try:
            task, agency_request = await store.unit_task(session, officer, task_id, lock=opening,
                                                         sight=actions.sight(officer))
        except store.NotFound:
            return not_found(desk, request)
        records = await unit_records(session, task, agency_request)
        if opening:
            await record_opening(session, agency_request.id, task.id, "officer", officer.login,
                                 "the request and the unit's records", outbox=actions.outbox,
                                 officer_role=officer.role)
        events = await store.history(session, agency_request, task)
        names = await store.officer_names(session, {task.claimed_by} if task.claimed_by else set())
        shown = await report_store.record_views(session, officer.unit_id, records)
    troubles = getattr(actions.outbox, "troubles", None)  # the linked queue's end: what has not got through
    view = task_view(task, agency_request, officer, events, actions.today(), names.get(task.claimed_by))
    return desk.render(request, "task.html", {
        "task": view, "records": shown, "kinds": KINDS, "states": TASK_STATES, "state_words": STATE_WORDS,
        "grounds": GROUNDS, "ground_sections": GROUND_SECTIONS, "extension_grounds": EXTENSION_CHOICES,
        "ncnd_grounds": NCND_GROUNDS,
        "decisions": inputs.DECISIONS,
        "values": values or {}, "failed": failed, "officer": officer, "nav": "queue",
        "troubles": await troubles(agency_request.provider_ref) if troubles else [],
        "other": actions.agreement.provider.names.en.short,
        "messages": [Message(error, "error")] if error else []}, status_code=status)


@router.get("/tasks/{task_id:int}")
async def task_page(request: Request, task_id: int, desk: DeskDep, actions: ActionsDep,
                    officer: CurrentOfficer) -> Response:
    """One task: the request, the unit's records for the person, the history, and what can be done."""
    return await show_task(request, desk, actions, officer, task_id)


def from_fields(step: str) -> Callable[[dict], object]:
    """How a step with a plain form reads it: its own fields, as the shape it takes (None if it takes nothing)."""
    def read(typed: dict) -> object:
        mine = {name: typed[name] for name in FIELDS.get(step, ()) if name in typed}
        return STEPS.input_of(step, lambda takes: inputs.parse(takes, mine, LABELS))
    return read


async def act(request: Request, desk: Desk, actions: Actions, officer: Officer, task_id: int, step: str,
              read: Callable[[dict], object] | None = None) -> Response:
    """Take one step from its form; on a refusal, the task page again with the sentence and what was typed."""
    values = await form_values(request)
    try:
        said = await actions.on_task(officer, task_id, step, (read or from_fields(step))(values))
    except DeskProblem as refused:
        if refused.status == 404:
            return not_found(desk, request)
        return await show_task(request, desk, actions, officer, task_id, status=refused.status,
                               error=refused.sentence, failed=step, values=values)
    response = RedirectResponse(f"/agency/tasks/{task_id}", status_code=303)
    desk.flash(response, said)
    return response


@router.post("/tasks/{task_id:int}/claim", dependencies=CSRF)
async def claim(request: Request, task_id: int, desk: DeskDep, actions: ActionsDep,
                officer: CurrentOfficer) -> Response:
    """Claim the task, so that this officer answers it."""
    return await act(request, desk, actions, officer, task_id, "claim")


@router.post("/tasks/{task_id:int}/unclaim", dependencies=CSRF)
async def unclaim(request: Request, task_id: int, desk: DeskDep, actions: ActionsDep,
                  officer: CurrentOfficer) -> Response:
    """Give the task back to the unit's queue."""
    return await act(request, desk, actions, officer, task_id, "unclaim")


@router.post("/tasks/{task_id:int}/answer", dependencies=CSRF)
async def answer(request: Request, task_id: int, desk: DeskDep, actions: ActionsDep,
                 officer: CurrentOfficer) -> Response:
    """Send the unit's answer: each record released, withheld with a ground, corrected or not."""
    form = await request.form()
    return await act(request, desk, actions, officer, task_id, "answer",
                     lambda _: lambda records, kind: inputs.answer_from_form(form, records, kind))


@router.post("/tasks/{task_id:int}/clarify", dependencies=CSRF)
async def clarify(request: Request, task_id: int, desk: DeskDep, actions: ActionsDep,
                  officer: CurrentOfficer) -> Response:
    """Ask the family, through the provider, to make the request clearer."""
    return await act(request, desk, actions, officer, task_id, "clarify")


@router.post("/tasks/{task_id:int}/extend", dependencies=CSRF)
async def extend(request: Request, task_id: int, desk: DeskDep, actions: ActionsDep,
                 officer: CurrentOfficer) -> Response:
    """Extend the time limit on a ground the Act allows, before the original due date."""
    return await act(request, desk, actions, officer, task_id, "extend")


@router.post("/tasks/{task_id:int}/transfer", dependencies=CSRF)
async def transfer(request: Request, task_id: int, desk: DeskDep, actions: ActionsDep,
                   officer: CurrentOfficer) -> Response:
    """Transfer the request to another agency that holds the information."""
    return await act(request, desk, actions, officer, task_id, "transfer")
