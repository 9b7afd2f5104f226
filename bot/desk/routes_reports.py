"""Reports under the agreement, on the provider desk: every flow's reports (due, overdue by the working-day rule,
due soon, held back, sent, received), a preview of exactly what one would send, and Approve or Hold back.
Nothing is sent without a staff member's approval here or with `tono reports approve`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import select

from bot.desk.context import DeskContext
from bot.desk.deps import CSRF, CurrentStaff, DeskContextDep
from bot.desk.web import back_to, problem_page
from bot.reports.approving import UnknownReport, approve, hold_back, report_by_ref
from bot.reports.corrections import prepare_corrections, stale_rows
from bot.reports.outcomes import OUTCOME_KINDS, outcome_views
from bot.reports.overview import flows_overview
from bot.reports.preparing import ReportProblem, prepare
from bot.reports.tables import Report, ReportRow
from deskkit.inputs import form_values
from deskkit.problems import DeskProblem
from protocol.agreement import Agreement

SAMPLE = 10  # rows shown in a preview: enough to see the shape, not a copy of the report
PAGE = "/provider/reports"
router = APIRouter(prefix=PAGE, include_in_schema=False)

STATE_WORDS = {"prepared": "Prepared, waiting for approval", "held_back": "Held back", "replaced": "Replaced",
               "approved": "Approved", "sent": "Sent", "received": "Received by the unit"}


def unit_name(agreement: Agreement, unit_id: str) -> str:
    return agreement.text(agreement.unit(unit_id).name, "en", "adult")


@router.get("")
async def reports(request: Request, ctx: DeskContextDep, staff: CurrentStaff) -> Response:
    """Every flow with its reports: due, overdue, due soon, held back, sent, received."""
    async with ctx.sessions() as session:
        flows = await flows_overview(session, ctx.agreement, ctx.today())
        corrections = len(await stale_rows(session, ctx.agreement))
    context = {"section": "reports", "flows": flows, "unit_name": lambda u: unit_name(ctx.agreement, u),
               "text": lambda t: ctx.agreement.text(t, "en", "adult"), "state_words": STATE_WORDS,
               "corrections_waiting": corrections,
               "reminder": ctx.agreement.service_levels.reminder_before_due_working_days}
    return ctx.desk.render(request, "reports.html", context)


@router.post("/prepare", dependencies=CSRF)
async def prepare_one(request: Request, ctx: DeskContextDep, staff: CurrentStaff) -> Response:
    """Prepare (or prepare again) a flow's report for a month; nothing is sent."""
    values = await form_values(request)
    try:
        async with ctx.sessions.begin() as session:
            report = await prepare(session, ctx.agreement, values.get("flow", ""), values.get("period", ""),
                                   ctx.study_number_key, prepared_by=staff.login)
            ref = report.ref
    except ReportProblem as problem:
        return problem_page(ctx, request, DeskProblem(422, str(problem)), "The report could not be prepared")
    return back_to(ctx, f"{PAGE}/{ref}", f"Prepared {ref}. Check it below, then approve it or hold it back.")


@router.post("/corrections", dependencies=CSRF)
async def prepare_correction_reports(request: Request, ctx: DeskContextDep, staff: CurrentStaff) -> Response:
    """Prepare a correction report for each sent report whose rows were corrected since."""
    async with ctx.sessions.begin() as session:
        made = [r.ref for r in await prepare_corrections(session, ctx.agreement, ctx.study_number_key,
                                                         prepared_by=staff.login)]
    sentence = (f"Prepared {len(made)} correction {'report' if len(made) == 1 else 'reports'}: {', '.join(made)}."
                if made else "No sent row has been corrected since it was sent: there is nothing to correct.")
    return back_to(ctx, PAGE, sentence)


async def _preview(ctx: DeskContext, ref: str) -> dict:
    async with ctx.sessions() as session:
        try:
            report = await report_by_ref(session, ref)
        except ReportProblem as problem:
            raise DeskProblem(404, str(problem)) from None
        rows = list(await session.exec(select(ReportRow).where(ReportRow.report_id == report.id,
                                                               ReportRow.held_back.is_(False))
                                       .order_by(ReportRow.id).limit(SAMPLE)))
        corrects = await session.get(Report, report.corrects_id) if report.corrects_id else None
        outcomes = await outcome_views(session, ctx.agreement, report_id=report.id)
    flow = ctx.agreement.flow(report.flow)
    holding = ctx.agreement.holding(flow.holding)
    return {"section": "reports", "report": report, "flow": flow, "sample": rows, "corrects": corrects,
            "unit": unit_name(ctx.agreement, report.unit),
            "purpose": ctx.agreement.text(flow.why, "en", "adult"),
            "labels": [holding.field(n).label if n in holding.field_names else n for n in report.fields],
            "state_words": STATE_WORDS, "in_force": report.agreement_version == ctx.agreement.version,
            "small": report.small_groups or {}, "outcomes": outcomes, "outcome_kinds": OUTCOME_KINDS,
            "outcomes_about": "this report"}


@router.get("/{ref}")
async def report_page(request: Request, ctx: DeskContextDep, staff: CurrentStaff, ref: str) -> Response:
    """Exactly what a report sends: unit, fields, people and rows, held-back rows and why, a sample, checks."""
    try:
        context = await _preview(ctx, ref[:64])
    except DeskProblem as problem:
        return problem_page(ctx, request, problem)
    return ctx.desk.render(request, "reports_preview.html", context)


@router.post("/{ref}/approve", dependencies=CSRF)
async def approve_one(request: Request, ctx: DeskContextDep, staff: CurrentStaff, ref: str) -> Response:
    """Approve the report and send it to its unit (its parts leave with the link's next push)."""
    try:
        async with ctx.sessions.begin() as session:
            sent = await approve(session, ctx.agreement, ref[:64], login=staff.login, outbox=ctx.outbox,
                                 today=ctx.today())
    except ReportProblem as problem:
        status = 404 if isinstance(problem, UnknownReport) else 409
        return problem_page(ctx, request, DeskProblem(status, str(problem)), "The report was not approved")
    return back_to(ctx, f"{PAGE}/{sent.report.ref}", (
        f"Approved and sent {sent.report.ref} to {unit_name(ctx.agreement, sent.report.unit)}: {sent.rows} rows "
        f"about {sent.people} people, in {sent.parts} {'part' if sent.parts == 1 else 'parts'}."))


@router.post("/{ref}/hold-back", dependencies=CSRF)
async def hold_back_one(request: Request, ctx: DeskContextDep, staff: CurrentStaff, ref: str) -> Response:
    """Hold the report back with a reason: nothing is sent."""
    values = await form_values(request)
    try:
        async with ctx.sessions.begin() as session:
            report = await hold_back(session, ref[:64], login=staff.login, reason=values.get("reason", ""))
    except ReportProblem as problem:
        status = 404 if isinstance(problem, UnknownReport) else 422
        return problem_page(ctx, request, DeskProblem(status, str(problem)), "The report was not held back")
    return back_to(ctx, f"{PAGE}/{report.ref}", f"Held back {report.ref}: nothing was sent.")
