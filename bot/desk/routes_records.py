"""The programme's data on the provider desk: add and correct a person's rows of a holding and record their
consent (forms on the person's page, posted here), and import a holding's rows from a CSV file, all or nothing.
The JSON API (api_records.py) takes the same shapes and does the same things."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import Field
from starlette.datastructures import UploadFile

from bot.desk import store
from bot.desk.context import DeskContext, not_found
from bot.desk.deps import CSRF, CurrentStaff, DeskContextDep
from bot.desk.forms import Input, Ref, from_form
from bot.desk.routes_people import show
from bot.desk.web import back_to, problem_page
from bot.models import Person
from bot.records.consent import record_consent
from bot.records.importing import Imported, expected_header, import_rows
from bot.records.overview import holdings_with_fields
from bot.records.recording import Recorded, RecordsProblem, correct_row, record_row
from deskkit.inputs import Text, form_values, stored_id
from deskkit.problems import DeskProblem

SHOWN_PROBLEMS = 200  # a file with more problems lists these and says how many more
FIELDS_GIVEN = {"csrf", "reason", "problems"}  # what a row form posts besides the holding's fields

router = APIRouter(include_in_schema=False)


class ConsentIn(Input):
    consent: Text(32) = Field(description="The consent's id in the agreement, e.g. evaluation.")
    given: bool = Field(description="True: given; false: withdrawn.")
    on: date = Field(description="The day it was given or withdrawn (YYYY-MM-DD).")
    how: Text(32) = Field(description="form, in person, phone or email.")
    by: Ref | None = Field(None, description="For a child: the person with authority who gave or withdrew it.")


async def person_for_change(session, ref: str) -> Person:
    person = await store.person_by_ref(session, ref, lock=True)
    if person is None:
        raise not_found("person", ref)
    return person


async def save_row(ctx: DeskContext, ref: str, holding: str, typed: dict, *, by: str, reason: str = "",
                   record_id: int | None = None) -> Recorded:
    """Record (or, with `record_id`, correct) one row, in one transaction; RecordsProblem or DeskProblem."""
    async with ctx.sessions.begin() as session:
        person = await person_for_change(session, ref)
        if record_id is None:
            return await record_row(session, ctx.agreement, person, holding, typed, by=by, reason=reason)
        return await correct_row(session, ctx.agreement, person, holding, record_id, typed, by=by, reason=reason)


async def save_consent(ctx: DeskContext, ref: str, data: ConsentIn, *, by: str):
    """Record a consent event, in one transaction; RecordsProblem or DeskProblem."""
    async with ctx.sessions.begin() as session:
        person = await person_for_change(session, ref)
        giver = None
        if data.by:
            giver = await store.person_by_ref(session, data.by)
            if giver is None:
                raise RecordsProblem([f"There is no person {data.by!r} to have given it. Check the reference."])
        return await record_consent(session, ctx.agreement, person, data.consent, given=data.given, on=data.on,
                                    how=data.how, recorded_by=by, today=ctx.today(), by=giver)


def outcome_sentence(done: Recorded, holding: str) -> str:
    return {"added": f"Added a row to {holding}.",
            "unchanged": f"That row of {holding} already says this; nothing changed.",
            "corrected": f"Corrected a row of {holding}; the old values are kept in its corrections."}[done.outcome]


async def refused(ctx: DeskContext, request: Request, ref: str, problem: RecordsProblem | DeskProblem,
                  values: dict) -> Response:
    if problem.status == 404:
        return problem_page(ctx, request, DeskProblem(404, str(problem)))
    problems = [problem.sentence] if isinstance(problem, DeskProblem) else problem.problems
    sentence = problems[0] if len(problems) == 1 else (f"Nothing was recorded: {len(problems)} problems, listed "
                                                        "at the form below.")
    return await show(ctx, request, ref, DeskProblem(problem.status, sentence), {**values, "problems": problems})


@router.post("/provider/people/{ref}/records/rows/{holding}", dependencies=CSRF)
async def add_row(request: Request, ctx: DeskContextDep, staff: CurrentStaff, ref: str, holding: str) -> Response:
    """Add a row of a holding for this person (or say it is already there, or correct it)."""
    values = await form_values(request)
    typed = {k: v for k, v in values.items() if k not in FIELDS_GIVEN}
    try:
        done = await save_row(ctx, ref, holding, typed, by=staff.login)
    except (RecordsProblem, DeskProblem) as problem:
        return await refused(ctx, request, ref, problem, {**values, "form": f"row:{holding}"})
    return back_to(ctx, f"/provider/people/{ref}#holding-{holding}", outcome_sentence(done, holding))


@router.post("/provider/people/{ref}/records/rows/{holding}/{record_id}", dependencies=CSRF)
async def correct(request: Request, ctx: DeskContextDep, staff: CurrentStaff, ref: str, holding: str,
                  record_id: int) -> Response:
    """Correct one of this person's rows; the old values are kept with the reason."""
    values = await form_values(request)
    typed = {k: v for k, v in values.items() if k not in FIELDS_GIVEN}
    if stored_id(record_id) is None:
        return problem_page(ctx, request, DeskProblem(404, f"{ref} has no row {record_id} in {holding}."))
    try:
        done = await save_row(ctx, ref, holding, typed, by=staff.login, reason=values.get("reason", "")[:500],
                              record_id=record_id)
    except (RecordsProblem, DeskProblem) as problem:
        return await refused(ctx, request, ref, problem, {**values, "form": f"edit:{record_id}"})
    return back_to(ctx, f"/provider/people/{ref}#holding-{holding}", outcome_sentence(done, holding))


@router.post("/provider/people/{ref}/records/consent", dependencies=CSRF)
async def consent(request: Request, ctx: DeskContextDep, staff: CurrentStaff, ref: str) -> Response:
    """Record that this person (or someone with authority for them) gave or withdrew a consent."""
    values = await form_values(request)
    try:
        event = await save_consent(ctx, ref, from_form(ConsentIn, values), by=staff.login)
    except (RecordsProblem, DeskProblem) as problem:
        return await refused(ctx, request, ref, problem, {**values, "form": "consent"})
    said = "given" if event.given else "withdrawn"
    return back_to(ctx, f"/provider/people/{ref}#consent", f"Recorded: consent to {event.consent} {said} on "
                                                          f"{event.on.isoformat()}.")


def import_page(ctx: DeskContext, request: Request, *, holding: str = "", result: Imported | None = None,
                problem: str = "", status: int = 200) -> Response:
    problems = result.problems if result else []
    return ctx.desk.render(request, "records_import.html", {
        "holdings": [(h, expected_header(h)) for h in holdings_with_fields(ctx.agreement)], "chosen": holding,
        "problems": problems[:SHOWN_PROBLEMS], "more": max(0, len(problems) - SHOWN_PROBLEMS),
        "problem": problem, "max_mb": ctx.desk.max_body // (1024 * 1024), "section": "people"},
        status_code=status)


@router.get("/provider/records/import")
async def import_form(request: Request, ctx: DeskContextDep, staff: CurrentStaff,
                      holding: Annotated[str, Query(max_length=32)] = "") -> Response:
    """The form to import a holding's rows from a CSV file."""
    return import_page(ctx, request, holding=holding)


@router.post("/provider/records/import", dependencies=CSRF)
async def import_file(request: Request, ctx: DeskContextDep, staff: CurrentStaff) -> Response:
    """Import a CSV file's rows into a holding, all or nothing; every problem is listed by its line."""
    form = await request.form()
    holding, upload = str(form.get("holding", ""))[:32], form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return import_page(ctx, request, holding=holding, problem="Choose a CSV file to import.", status=422)
    data = await upload.read()
    try:
        async with ctx.sessions.begin() as session:
            result = await import_rows(session, ctx.agreement, holding, data, by=staff.login,
                                       reason=f"Imported from {upload.filename}")
            if result.problems:
                await session.rollback()  # all or nothing; import_rows wrote nothing, and this says so
    except RecordsProblem as wrong:
        return import_page(ctx, request, holding=holding, problem=str(wrong), status=422)
    if result.problems:
        return import_page(ctx, request, holding=holding, result=result, status=422)
    return back_to(ctx, f"/provider/records/import?holding={holding}", result.summary(upload.filename))
