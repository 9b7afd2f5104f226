"""API tokens: a signed-in staff member makes tokens for their own tools (each shown once) and revokes them."""

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import select

from bot.desk import auth
from bot.desk.context import DeskContext
from bot.desk.deps import CSRF, CurrentStaff, DeskContextDep
from bot.desk.forms import TokenIn, from_form
from bot.desk.web import back_to, problem_page, with_error
from bot.models import StaffAccount, StaffToken
from deskkit.inputs import form_values, stored_id
from deskkit.problems import DeskProblem
from deskkit.tokens import DEFAULT_LIFETIME, LIFETIMES, lifetime
from protocol.clock import utcnow

MAX_LIVE_TOKENS = 20  # more than anyone needs; a runaway script cannot fill the table

router = APIRouter(prefix="/provider/tokens", include_in_schema=False)


async def page(ctx: DeskContext, request: Request, staff: StaffAccount, *, new_token: str = "", status: int = 200,
               problem: DeskProblem | None = None, values: dict | None = None) -> Response:
    async with ctx.sessions.begin() as session:
        tokens = list(await session.exec(select(StaffToken).where(StaffToken.staff_id == staff.id)
                                         .order_by(StaffToken.id.desc()).limit(100)))
    context = {"tokens": tokens, "new_token": new_token, "values": values or {}, "section": "tokens",
               "lifetimes": LIFETIMES, "default_lifetime": DEFAULT_LIFETIME, "now": utcnow()}
    return ctx.desk.render(request, "tokens.html", with_error(context, problem) if problem else context,
                           status_code=status)


@router.get("")
async def tokens(request: Request, ctx: DeskContextDep, staff: CurrentStaff) -> Response:
    """Your API tokens."""
    return await page(ctx, request, staff)


@router.post("", dependencies=CSRF)
async def create(request: Request, ctx: DeskContextDep, staff: CurrentStaff) -> Response:
    """Make a token; it is shown on this page once and never again."""
    values = await form_values(request)
    try:
        days = lifetime(values.get("days"))
        if days is None:
            raise DeskProblem(422, f"Choose how long the token works: {', '.join(map(str, LIFETIMES))} days.")
        data = from_form(TokenIn, {key: value for key, value in values.items() if key != "days"})
        async with ctx.sessions.begin() as session:
            live = (await session.exec(select(StaffToken.id).where(
                StaffToken.staff_id == staff.id, StaffToken.revoked_at.is_(None),
                StaffToken.expires_at > utcnow()))).all()
            if len(live) >= MAX_LIVE_TOKENS:
                raise DeskProblem(409, f"You already have {MAX_LIVE_TOKENS} tokens: revoke one you no longer "
                                       "use first.")
            token, _row = await auth.create_token(session, staff, data.label, days)
    except DeskProblem as problem:
        return await page(ctx, request, staff, status=problem.status, problem=problem, values=values)
    return await page(ctx, request, staff, new_token=token)


@router.post("/{token_id}/revoke", dependencies=CSRF)
async def revoke(request: Request, ctx: DeskContextDep, staff: CurrentStaff, token_id: int) -> Response:
    """Revoke one of your tokens: tools using it stop working at once."""
    async with ctx.sessions.begin() as session:
        row = await auth.revoke_token(session, staff, token_id) if stored_id(token_id) else None
    if row is None:
        return problem_page(ctx, request, DeskProblem(404, "You have no such token."))
    return back_to(ctx, "/provider/tokens", f"Revoked the token “{row.label}”.")
