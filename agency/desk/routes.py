"""The agency desk's pages: the unit's queue, a task with its records and history, and the task's actions.

No `from __future__ import annotations`: FastAPI reads the route signatures' Annotated aliases, made inside
page_router, as real objects.
"""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from agency.answering import unit_records
from agency.desk import inputs, store
from agency.desk.actions import NOT_FOUND, Actions, DeskError, Move
from agency.desk.inputs import ClarifyIn, ExtendIn, InputError, TransferIn
from agency.desk.views import EXTENSION_CHOICES, GROUND_SECTIONS, GROUNDS, KINDS, TASK_STATES, record_view, task_view
from agency.models import Officer
from agency.moves import record_opening
from deskkit.desk import Desk, Message
from protocol.tasks import allowed_task_triggers

LABELS = {
    "question": "The question for the family", "ground": "The ground for the extension",
    "new_due": "The new due date", "reasons": "The reasons for the extension", "to_agency": "The other agency",
    "reason": "The reason for the transfer",
}


# The task states from which an officer may claim, asked of the task lifecycle (for the queue's buttons).
CLAIMABLE = frozenset(s for s in TASK_STATES if "claim" in allowed_task_triggers(s, "officer"))


def not_found(desk: Desk, request: Request, text: str = NOT_FOUND) -> Response:
    return desk.render(request, "problem.html", {"heading": "Not found", "text": text}, status_code=404)


def page_router(desk: Desk, actions: Actions) -> APIRouter:
    router = APIRouter(prefix="/agency", include_in_schema=False)
    CurrentOfficer = Annotated[Officer, Depends(desk.current_account)]
    csrf = [Depends(desk.require_csrf)]

    @router.get("/")
    async def queue(request: Request, officer: CurrentOfficer, show: str = "todo", after: str = "") -> Response:
        """The unit's tasks: to do (earliest due first, overdue ones marked) or finished, a page at a time; each
        next page starts after the last task shown (`after`), so a page far back costs what the first does."""
        show = show if show in store.QUEUE_VIEWS else "todo"
        try:
            cursor = store.Cursor.parse(after)
        except store.BadCursor as broken:
            return desk.render(request, "problem.html", {
                "heading": "That page could not be shown", "text": str(broken)}, status_code=400)
        async with actions.sessions() as session:
            found = await store.queue_page(session, officer.unit_id, show, actions.today(), after=cursor)
        return desk.render(request, "queue.html", {
            "rows": found.rows, "total": found.total, "more_than": found.total_is_lower_bound,
            "next_after": found.next_after, "later_page": cursor is not None, "page_size": store.PAGE_SIZE,
            "show": show, "kinds": KINDS, "states": TASK_STATES, "officer": officer, "nav": "queue",
            "claimable": CLAIMABLE})

    async def show_task(request: Request, officer: Officer, task_id: int, *, status: int = 200,
                        error: str = "", failed: str = "", values: dict | None = None) -> Response:
        """The task page; opening it is recorded, except when it is shown again after a refused action."""
        opening = not error
        async with actions.sessions.begin() as session:
            try:
                task, agency_request = await store.unit_task(session, officer, task_id, lock=opening)
            except store.NotFound:
                return not_found(desk, request)
            records = await unit_records(session, task, agency_request)
            if opening:
                await record_opening(session, agency_request.id, task.id, "officer", officer.login,
                                     "the request and the unit's records", outbox=actions.outbox)
            events = await store.history(session, agency_request, task)
            names = await store.officer_names(session, {task.claimed_by} if task.claimed_by else set())
        view = task_view(task, agency_request, officer, events, actions.today(), names.get(task.claimed_by))
        return desk.render(request, "task.html", {
            "task": view, "records": [record_view(r) for r in records], "kinds": KINDS, "states": TASK_STATES,
            "grounds": GROUNDS, "ground_sections": GROUND_SECTIONS, "extension_grounds": EXTENSION_CHOICES,
            "decisions": inputs.DECISIONS,
            "values": values or {}, "failed": failed, "officer": officer, "nav": "queue",
            "messages": [Message(error, "error")] if error else []}, status_code=status)

    @router.get("/tasks/{task_id:int}")
    async def task_page(request: Request, task_id: int, officer: CurrentOfficer) -> Response:
        """One task: the request, the unit's records for the person, the history, and what can be done."""
        return await show_task(request, officer, task_id)

    async def act(request: Request, officer: Officer, task_id: int, name: str,
                  make: Callable[[dict], Move]) -> Response:
        form = await request.form()
        values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}
        try:
            said = await actions.on_task(officer, task_id, make(values))
        except InputError as wrong:
            return await show_task(request, officer, task_id, status=422, error=str(wrong), failed=name,
                                   values=values)
        except DeskError as refused:
            if refused.status == 404:
                return not_found(desk, request)
            return await show_task(request, officer, task_id, status=refused.status, error=refused.sentence,
                                   failed=name, values=values)
        response = RedirectResponse(f"/agency/tasks/{task_id}", status_code=303)
        desk.flash(response, said)
        return response

    @router.post("/tasks/{task_id:int}/claim", dependencies=csrf)
    async def claim(request: Request, task_id: int, officer: CurrentOfficer) -> Response:
        """Claim the task, so that this officer answers it."""
        return await act(request, officer, task_id, "claim", lambda _: actions.claim(officer))

    @router.post("/tasks/{task_id:int}/unclaim", dependencies=csrf)
    async def unclaim(request: Request, task_id: int, officer: CurrentOfficer) -> Response:
        """Give the task back to the unit's queue."""
        return await act(request, officer, task_id, "unclaim", lambda _: actions.unclaim(officer))

    @router.post("/tasks/{task_id:int}/answer", dependencies=csrf)
    async def answer(request: Request, task_id: int, officer: CurrentOfficer) -> Response:
        """Send the unit's answer: each record released, withheld with a ground, corrected or not."""
        form = await request.form()
        return await act(request, officer, task_id, "answer", lambda _: actions.answer(
            officer, lambda records, kind: inputs.answer_from_form(form, records, kind)))

    @router.post("/tasks/{task_id:int}/clarify", dependencies=csrf)
    async def clarify(request: Request, task_id: int, officer: CurrentOfficer) -> Response:
        """Ask the family, through the provider, to make the request clearer."""
        return await act(request, officer, task_id, "clarify", lambda v: actions.clarify(
            officer, inputs.parse(ClarifyIn, _only(v, "question"), LABELS)))

    @router.post("/tasks/{task_id:int}/extend", dependencies=csrf)
    async def extend(request: Request, task_id: int, officer: CurrentOfficer) -> Response:
        """Extend the time limit on a ground the Act allows, before the original due date."""
        return await act(request, officer, task_id, "extend", lambda v: actions.extend(
            officer, inputs.parse(ExtendIn, _only(v, "ground", "new_due", "reasons"), LABELS)))

    @router.post("/tasks/{task_id:int}/transfer", dependencies=csrf)
    async def transfer(request: Request, task_id: int, officer: CurrentOfficer) -> Response:
        """Transfer the request to another agency that holds the information."""
        return await act(request, officer, task_id, "transfer", lambda v: actions.transfer(
            officer, inputs.parse(TransferIn, _only(v, "to_agency", "reason"), LABELS)))

    return router


def _only(values: dict, *names: str) -> dict:
    return {name: values[name] for name in names if name in values}
