"""The "prepare the answer" page: each item the family will get, its adult text as released, and the
versions staff write beside it. Opening it is recorded in the request's history (it shows the records)."""

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, ValidationError

from bot.desk import prepare
from bot.desk.context import DeskContext
from bot.desk.deps import CSRF, CurrentStaff, DeskContextDep
from bot.desk.forms import VersionIn, from_form
from bot.desk.web import back_to, problem_page, with_error
from bot.models import StaffAccount
from bot.requests.moves import record_opening
from deskkit.inputs import form_values
from deskkit.problems import DeskProblem

router = APIRouter(prefix="/provider/requests", include_in_schema=False)


async def show(ctx: DeskContext, request: Request, staff: StaffAccount, ref: str, *, status: int = 200,
               problem: DeskProblem | None = None, typed: dict | None = None) -> Response:
    async with ctx.sessions.begin() as session:
        found = await prepare.request_preparing(session, ref)
        await record_opening(session, found, "staff", staff.display_name, prepare.SEEN_AS)
        page = await prepare.load(session, ctx.agreement, found, typed, problem.sentence if problem else "")
    context: dict[str, Any] = {"page": page, "r": page.request, "aims": prepare.AIM, "section": "queue"}
    return ctx.desk.render(request, "prepare.html", with_error(context, problem) if problem else context,
                           status_code=status)


@router.get("/{ref}/prepare")
async def prepare_page(request: Request, ctx: DeskContextDep, staff: CurrentStaff, ref: str) -> Response:
    """Each item the family will get, with its versions to write and what is still missing."""
    try:
        return await show(ctx, request, staff, ref)
    except DeskProblem as problem:
        return problem_page(ctx, request, problem)


@router.post("/{ref}/prepare/{item_key}/{language}/{register}", dependencies=CSRF)
async def save_version(request: Request, ctx: DeskContextDep, staff: CurrentStaff, ref: str, item_key: str,
                       language: str, register: str) -> Response:
    """Write or rewrite one version (language and register) of one item."""
    values: dict = {}
    try:
        prepare.check_variant(language, register)
        values = await form_values(request)
        done = await prepare.save(ctx, staff, ref, item_key, language, register, from_form(VersionIn, values))
    except DeskProblem as problem:
        if problem.status != 422 or not values:
            return problem_page(ctx, request, problem)
        typed = {"key": (item_key, language, register), "title": values.get("title", "")[:200],
                 "text": values.get("text", "")[:20_000]}
        try:
            return await show(ctx, request, staff, ref, status=422, problem=problem, typed=typed)
        except DeskProblem as other:
            return problem_page(ctx, request, other)
    return back_to(ctx, f"/provider/requests/{ref}/prepare#{prepare.anchor_of(item_key)}", done)


@router.post("/{ref}/prepare/reading-level", dependencies=CSRF)
async def reading_level(request: Request, staff: CurrentStaff, ref: str) -> dict:
    """The reading level of a text as staff type it (the live meter on the prepare page)."""
    json_body = request.headers.get("content-type", "").startswith("application/json")
    try:
        body = ReadingIn.model_validate(await request.json() if json_body else dict(await request.form()))
    except (ValueError, ValidationError):
        raise HTTPException(422, "Send the text (up to 20,000 characters) and the register: adult or "
                                 "child.") from None
    level = prepare.reading(body.text, body.audience)
    if level is None:
        return {"grade": None, "aim": prepare.AIM[body.audience], "word": ""}
    return {"grade": level.shown, "aim": level.aim, "word": level.word}


class ReadingIn(BaseModel):
    text: str = Field("", max_length=20_000)
    # "register" is also a pydantic BaseModel attribute, so the field has another name and takes this one.
    audience: Literal["adult", "child"] = Field(alias="register")
