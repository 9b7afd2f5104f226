"""Families and people: find and add people, record who may act for whom, add CCSS's own records, and
give a family a one-time enrolment link with its QR code."""

import io
from typing import Annotated

import segno
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlmodel import or_, select

from bot.desk import people, store
from bot.desk.context import DeskContext, not_found
from bot.desk.deps import CSRF, CurrentStaff, DeskContextDep
from bot.desk.forms import AuthorityIn, PersonIn, RecordIn, from_form
from bot.desk.views import RELATIONSHIPS
from bot.desk.web import back_to, problem_page, with_error
from bot.models import ChatLink, Family, Person, ProviderRecord
from bot.models import Request as FamilyRequest
from bot.records.overview import programme_data
from bot.reports.ledger import person_ledger
from bot.reports.outcomes import OUTCOME_KINDS, outcome_views
from deskkit.inputs import form_values
from deskkit.problems import DeskProblem
from deskkit.sessions import derive_key, first_cookie, sign, unsign

PAGE_ROWS = 50
QR_COOKIE = "tono_provider_enrolment"
QR_SECONDS = 10 * 60

router = APIRouter(prefix="/provider/people", include_in_schema=False)


def public_base(request: Request) -> str:
    """Where families reach this Tono: TONO_PUBLIC_URL when set, else the address staff used."""
    settings = getattr(request.app.state, "settings", None)
    return getattr(settings, "public_url", None) or str(request.base_url)


def qr_key(ctx: DeskContext) -> bytes:
    return derive_key(ctx.secret, "provider-enrolment-qr")


@router.get("")
async def people_list(request: Request, ctx: DeskContextDep, staff: CurrentStaff,
                      q: Annotated[str, Query(max_length=200)] = "",
                      before: Annotated[int | None, Query(ge=1, le=store.MAX_ID)] = None) -> Response:
    """People, newest first; search by name, person or family reference, or programme id."""
    async with ctx.sessions.begin() as session:
        rows, next_before = await store.find_people(session, q, before, PAGE_ROWS)
        families = await store.families_of(session, rows)
    return ctx.desk.render(request, "people.html", {"rows": rows, "families": families, "q": q,
                                                    "next_before": next_before, "section": "people"})


def new_form(ctx: DeskContext, request: Request, values: dict, problem: DeskProblem | None = None) -> Response:
    context = {"values": values, "section": "people"}
    return ctx.desk.render(request, "person_new.html", with_error(context, problem) if problem else context,
                           status_code=problem.status if problem else 200)


@router.get("/new")
async def new_person(request: Request, ctx: DeskContextDep, staff: CurrentStaff,
                     family: Annotated[str, Query(max_length=32)] = "") -> Response:
    """The form to add a person."""
    return new_form(ctx, request, {"family_ref": family})


@router.post("", dependencies=CSRF)
async def create_person(request: Request, ctx: DeskContextDep, staff: CurrentStaff) -> Response:
    """Add a person, to an existing family or a new one."""
    values = await form_values(request)
    try:
        person = await people.create_person(ctx, from_form(PersonIn, values))
    except DeskProblem as problem:
        return new_form(ctx, request, values, problem)
    return back_to(ctx, f"/provider/people/{person.ref}",
                   f"Added {person.given_name} {person.family_name} ({person.ref}).")


async def show(ctx: DeskContext, request: Request, ref: str, problem: DeskProblem | None = None,
               values: dict | None = None, enrolment: people.Enrolment | None = None) -> Response:
    """The person's page (with a problem on top and what staff typed, after a refused form)."""
    async with ctx.sessions.begin() as session:
        person = await store.person_by_ref(session, ref)
        if person is None:
            return problem_page(ctx, request, not_found("person", ref))
        family = await session.get(Family, person.family_id) if person.family_id else None
        members = list(await session.exec(select(Person).where(Person.family_id == family.id)
                                          .order_by(Person.id))) if family else []
        acting_for, acts_for = await store.authorities(session, person)
        records = list(await session.exec(select(ProviderRecord).where(ProviderRecord.person_id == person.id)
                                          .order_by(ProviderRecord.record_date.desc()).limit(100)))
        requests = list(await session.exec(select(FamilyRequest).where(
            or_(FamilyRequest.requester_id == person.id, FamilyRequest.subject_id == person.id))
            .order_by(FamilyRequest.id.desc()).limit(20)))
        chats = list(await session.exec(select(ChatLink.channel).where(ChatLink.person_id == person.id)))
        programme = await programme_data(session, ctx.agreement, person)
        sendings = await person_ledger(session, ctx.agreement, person.id)
        outcomes = await outcome_views(session, ctx.agreement, person_id=person.id)
    context = {"outcomes": outcomes, "outcome_kinds": OUTCOME_KINDS,
               "outcomes_about": "the reports that carried this person's information",
               "programme": programme, "sendings": sendings, "person": person, "family": family, "members": members,
               "acting_for": acting_for, "acts_for": acts_for, "records": records, "requests": requests, "chats": chats,
               "relationships": RELATIONSHIPS, "values": values or {}, "enrolment": enrolment, "section": "people"}
    return ctx.desk.render(request, "person.html", with_error(context, problem) if problem else context,
                           status_code=problem.status if problem else 200)


@router.get("/{ref}")
async def person_detail(request: Request, ctx: DeskContextDep, staff: CurrentStaff, ref: str) -> Response:
    """One person: family, who may act for whom, CCSS's records, requests, enrolment."""
    return await show(ctx, request, ref)


@router.post("/{ref}/authorities", dependencies=CSRF)
async def add_authority(request: Request, ctx: DeskContextDep, staff: CurrentStaff, ref: str) -> Response:
    """Record that someone may act for this person, and how CCSS knows."""
    values = await form_values(request)
    try:
        done = await people.add_authority(ctx, ref, from_form(AuthorityIn, values))
    except DeskProblem as problem:
        return await show(ctx, request, ref, problem, {**values, "form": "authority"})
    return back_to(ctx, f"/provider/people/{ref}", done)


@router.post("/{ref}/authorities/{authority_id}/revoke", dependencies=CSRF)
async def revoke_authority(request: Request, ctx: DeskContextDep, staff: CurrentStaff, ref: str,
                           authority_id: int) -> Response:
    """Revoke a recorded authority to act for someone."""
    try:
        return back_to(ctx, f"/provider/people/{ref}", await people.revoke_authority(ctx, ref, authority_id))
    except DeskProblem as problem:
        if problem.status == 404:
            return problem_page(ctx, request, problem)
        return await show(ctx, request, ref, problem)


@router.post("/{ref}/records", dependencies=CSRF)
async def add_record(request: Request, ctx: DeskContextDep, staff: CurrentStaff, ref: str) -> Response:
    """Add a record CCSS itself holds about this person."""
    values = await form_values(request)
    try:
        done = await people.add_record(ctx, staff, ref, from_form(RecordIn, values))
    except DeskProblem as problem:
        return await show(ctx, request, ref, problem, {**values, "form": "record"})
    return back_to(ctx, f"/provider/people/{ref}", done)


@router.post("/{ref}/enrolment", dependencies=CSRF)
async def enrol(request: Request, ctx: DeskContextDep, staff: CurrentStaff, ref: str) -> Response:
    """Issue a one-time enrolment link for this person; shown once, with its QR code."""
    try:
        enrolment = await people.enrol(ctx, ref, public_base(request), await people.telegram_username(request.app))
    except DeskProblem as problem:
        return problem_page(ctx, request, problem)
    response = await show(ctx, request, ref, enrolment=enrolment)
    # The QR image is fetched by the browser next; the code reaches it in a short-lived signed cookie
    # for that one path, never in a URL that server logs would keep.
    sessions = ctx.desk.sessions
    response.set_cookie(QR_COOKIE, sign(qr_key(ctx), {"p": ref, "l": enrolment.qr_link, "t": sessions.now()}),
                        max_age=QR_SECONDS, path=f"/provider/people/{ref}/enrolment-qr.png", httponly=True,
                        samesite="strict", secure=sessions.secure)
    return response


@router.get("/{ref}/enrolment-qr.png")
async def enrolment_qr(request: Request, ctx: DeskContextDep, staff: CurrentStaff, ref: str) -> Response:
    """The QR code of the enrolment link just issued for this person."""
    issued = unsign(qr_key(ctx), first_cookie(request, QR_COOKIE))
    if not issued or issued.get("p") != ref or ctx.desk.sessions.now() - int(issued.get("t", 0)) > QR_SECONDS:
        return Response("No enrolment link was issued for this person just now: issue a new one.",
                        status_code=404, media_type="text/plain")
    png = io.BytesIO()
    segno.make(str(issued["l"]), error="m").save(png, kind="png", scale=8, border=4)
    return Response(png.getvalue(), media_type="image/png")
