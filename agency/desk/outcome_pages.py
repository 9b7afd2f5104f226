"""Outcomes of information use: the decisions, advice and reports the unit's information informed, for
the programme or a participant; each is told to the provider (outcome.reported)."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from agency.desk import inputs, store
from agency.desk.actions import Actions
from agency.desk.deps import CSRF, ActionsDep, CurrentOfficer, DeskDep
from agency.desk.inputs import OUTCOME_KINDS, OutcomeIn
from agency.models import Officer
from deskkit.desk import Desk, Message
from deskkit.inputs import form_values
from deskkit.problems import DeskProblem

LABELS = {"kind": "The kind of outcome", "participant_id": "The participant id", "summary": "The summary"}
KIND_WORDS = {"decision": "A decision", "advice": "Advice", "report": "A report"}

router = APIRouter(prefix="/agency", include_in_schema=False)


async def render(request: Request, desk: Desk, actions: Actions, officer: Officer, page_no: int = 1,
                 status: int = 200, error: str = "", values: dict | None = None) -> Response:
    async with actions.sessions() as session:
        rows, total = await store.outcomes_page(session, officer.unit_id, page_no)
    return desk.render(request, "outcomes.html", {
        "rows": rows, "total": total, "page": page_no, "pages": max(1, -(-total // store.PAGE_SIZE)),
        "kinds": OUTCOME_KINDS, "kind_words": KIND_WORDS, "values": values or {}, "nav": "outcomes",
        "messages": [Message(error, "error")] if error else []}, status_code=status)


@router.get("/outcomes")
async def outcomes(request: Request, desk: DeskDep, actions: ActionsDep, officer: CurrentOfficer, page: str = "1",
                   participant: str = "") -> Response:
    """The unit's recorded outcomes, newest first, and the form to record one."""
    page_no = int(page) if page.isdigit() and len(page) < 7 else 1
    return await render(request, desk, actions, officer, max(1, page_no), values={"participant_id": participant[:32]})


@router.post("/outcomes", dependencies=CSRF)
async def record(request: Request, desk: DeskDep, actions: ActionsDep, officer: CurrentOfficer) -> Response:
    """Record an outcome of information use; the provider is told."""
    values = await form_values(request, "kind", "participant_id", "summary", "about")
    data = {k: values[k] for k in ("kind", "summary") if k in values}
    if values.get("about") != "programme":
        data["participant_id"] = values.get("participant_id", "").strip()
    try:
        use = await actions.report_outcome(officer, inputs.parse(OutcomeIn, data, LABELS))
    except DeskProblem as refused:
        return await render(request, desk, actions, officer, status=refused.status, error=refused.sentence,
                            values=values)
    response = RedirectResponse("/agency/outcomes", status_code=303)
    whom = use.participant_id or "the programme"
    desk.flash(response, f"Recorded: {KIND_WORDS[use.kind].lower()} for {whom}. The provider is told.")
    return response
