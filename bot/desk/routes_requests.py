"""The request page: who asked, about whom, what; its timeline, the agency's answers, and the steps the
lifecycle allows staff now. Opening it is itself recorded in the request's history."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from bot.copies.items import answer_items, missing, versions
from bot.desk import actions, request_page, store
from bot.desk.context import DeskContext
from bot.desk.deps import CSRF, CurrentStaff, DeskContextDep
from bot.desk.forms import LinkIn, from_form
from bot.desk.prepare import check_variant
from bot.desk.views import FORMS, IDENTITY_CHECKS, KINDS, SCOPES
from bot.desk.web import back_to, problem_page, with_error
from bot.models import StaffAccount
from bot.requests import delivery
from bot.requests.moves import record_opening, record_still
from deskkit.inputs import form_values
from deskkit.problems import DeskProblem
from protocol import lifecycle

SEEN_AS = "request page"

router = APIRouter(prefix="/provider/requests", include_in_schema=False)


async def show(ctx: DeskContext, request: Request, staff: StaffAccount, ref: str, *, find: str = "",
               requester: str = "", status: int = 200, problem: DeskProblem | None = None,
               values: dict | None = None) -> Response:
    async with ctx.sessions.begin() as session:
        found = await store.request_to_change(session, ref)
        await record_opening(session, found, "staff", staff.display_name, SEEN_AS)
        page = await request_page.load(session, ctx.agreement, found, ctx.today(), ctx.relay_days, find, requester)
    troubles = getattr(ctx.outbox, "troubles", None)  # the linked queue's end: what of this request has not gone
    context: dict[str, Any] = {
        "page": page, "r": page.request, "values": values or {}, "kinds": KINDS, "scopes": SCOPES,
        "forms": FORMS, "identity_checks": IDENTITY_CHECKS, "section": "queue",
        "troubles": await troubles(page.request.ref) if troubles else [],
        "agency_name": ctx.agreement.agency.names.en.short,
    }
    return ctx.desk.render(request, "request.html", with_error(context, problem) if problem else context,
                           status_code=status)


async def refused(ctx: DeskContext, request: Request, staff: StaffAccount, ref: str, problem: DeskProblem,
                  values: dict, requester: str = "") -> Response:
    """The request page again, with the problem on top and what staff typed still in the form."""
    try:
        return await show(ctx, request, staff, ref, requester=requester[:32], status=problem.status,
                          problem=problem, values=values)
    except DeskProblem as missing:
        return problem_page(ctx, request, missing)


@router.get("/{ref}")
async def request_detail(request: Request, ctx: DeskContextDep, staff: CurrentStaff, ref: str,
                         find: Annotated[str, Query(max_length=200)] = "",
                         requester: Annotated[str, Query(max_length=32)] = "") -> Response:
    """One request: details, timeline, answers and the staff steps allowed now."""
    try:
        return await show(ctx, request, staff, ref, find=find, requester=requester)
    except DeskProblem as problem:
        return problem_page(ctx, request, problem)


@router.get("/{ref}/copies/{language}/{register}")
async def copies_to_print(request: Request, ctx: DeskContextDep, staff: CurrentStaff, ref: str, language: str,
                          register: str) -> Response:
    """The delivered answer's copies as a PDF, in one language and register, for staff to print for a family who
    asked for them on paper. Downloading them is recorded, as opening the records is."""
    try:
        if (language, register) != ("en", "adult"):
            check_variant(language, register)
        async with ctx.sessions.begin() as session:
            found = await store.request_to_change(session, ref)
            if found.state not in lifecycle.ANSWER_GIVEN:
                raise DeskProblem(409, "Copies are printed once the answer is delivered.")
            items = await answer_items(session, found)
            if missing(items, language, register, await versions(session, found)):
                raise DeskProblem(409, "That version is not written yet: write it on the prepare page first.")
            # Always recorded (not quietened as a re-opening is): the records leave the system on paper.
            await record_still(session, found, "opened", "staff", staff.display_name, {"what": "copies to print"})
            _explained, document = await delivery.copies(session, found, ctx.agreement, language, register,
                                                         ctx.today())
    except DeskProblem as problem:
        return problem_page(ctx, request, problem)
    return Response(document.content, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{document.filename}"'})


@router.post("/{ref}/steps/{trigger}", dependencies=CSRF)
async def take_step(request: Request, ctx: DeskContextDep, staff: CurrentStaff, ref: str, trigger: str) -> Response:
    """Take one staff step (approve, decline, relay …) that the lifecycle allows now."""
    values: dict = {}
    try:
        actions.STEPS.step(trigger)
        values = await form_values(request)
        data = actions.STEPS.input_of(trigger, lambda takes: from_form(takes, values))
        done = await actions.take_step(ctx, staff, ref, trigger, data)
    except DeskProblem as problem:
        return await refused(ctx, request, staff, ref, problem, {**values, "step": trigger})
    return back_to(ctx, f"/provider/requests/{ref}", done)


@router.post("/{ref}/link", dependencies=CSRF)
async def link(request: Request, ctx: DeskContextDep, staff: CurrentStaff, ref: str) -> Response:
    """Link a request to the person asking and the person it is about."""
    values = await form_values(request)
    try:
        done = await actions.link(ctx, staff, ref, from_form(LinkIn, values))
    except DeskProblem as problem:
        return await refused(ctx, request, staff, ref, problem, {**values, "step": "link"},
                             requester=values.get("requester_ref", ""))
    return back_to(ctx, f"/provider/requests/{ref}", done)
