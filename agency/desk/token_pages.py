"""API tokens: an officer makes (and sees once) or revokes tokens for their own use, so their unit's case
system can use the JSON API as them: their unit, nothing more."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from agency.desk import store
from agency.desk.actions import Actions
from agency.desk.deps import CSRF, ActionsDep, CurrentOfficer, DeskDep
from agency.desk.views import moment
from agency.models import Officer
from deskkit.desk import Desk, Message
from deskkit.inputs import form_values
from deskkit.text import has_control_characters
from deskkit.tokens import DEFAULT_LIFETIME, LIFETIMES, lifetime
from protocol.clock import utcnow

TOO_MANY = (f"You already have {store.MOST_TOKENS} tokens that work. Revoke one you no longer use, then make a new "
            "one.")

router = APIRouter(prefix="/agency", include_in_schema=False)


async def page(request: Request, desk: Desk, actions: Actions, officer: Officer, *, new_token: str = "",
               status: int = 200, error: str = "", label: str = "") -> Response:
    async with actions.sessions() as session:
        tokens = await store.own_tokens(session, officer)
    now = utcnow()
    rows = [{"id": t.id, "label": t.label, "made": moment(t.created_at),
             "revoked": moment(t.revoked_at) if t.revoked_at else "", "expires": moment(t.expires_at),
             "expired": t.expires_at <= now} for t in tokens]
    return desk.render(request, "tokens.html", {
        "tokens": rows, "new_token": new_token, "label": label, "nav": "tokens", "lifetimes": LIFETIMES,
        "default_lifetime": DEFAULT_LIFETIME,
        "messages": [Message(error, "error")] if error else []}, status_code=status)


@router.get("/tokens")
async def tokens(request: Request, desk: DeskDep, actions: ActionsDep, officer: CurrentOfficer) -> Response:
    """This officer's API tokens (only their names and dates: the tokens themselves are not kept)."""
    return await page(request, desk, actions, officer)


@router.post("/tokens", dependencies=CSRF)
async def make(request: Request, desk: DeskDep, actions: ActionsDep, officer: CurrentOfficer) -> Response:
    """Make a new token and show it, once."""
    values = await form_values(request, "label", "days")
    label, days = values.get("label", "").strip(), lifetime(values.get("days"))
    if days is None:
        return await page(request, desk, actions, officer, status=422, label=label[:100],
                          error=f"Choose how long the token works: {', '.join(map(str, LIFETIMES))} days.")
    if not label or len(label) > 100 or has_control_characters(label):
        return await page(request, desk, actions, officer, status=422, label=label[:100],
                          error="Name the token in plain words (at most 100 characters), e.g. the case system "
                                "that uses it.")
    async with actions.sessions.begin() as session:
        token = await store.create_token(session, officer, label, days)
    if token is None:
        return await page(request, desk, actions, officer, status=409, error=TOO_MANY)
    return await page(request, desk, actions, officer, new_token=token, status=201)


@router.post("/tokens/{token_id:int}/revoke", dependencies=CSRF)
async def revoke(request: Request, token_id: int, desk: DeskDep, actions: ActionsDep,
                 officer: CurrentOfficer) -> Response:
    """Revoke one of this officer's own tokens; it stops working at once."""
    try:
        async with actions.sessions.begin() as session:
            revoked = await store.revoke_token(session, officer, token_id)
    except store.NotFound:
        return desk.render(request, "problem.html", {
            "heading": "Not found", "text": "You have no such token that still works."}, status_code=404)
    response = RedirectResponse("/agency/tokens", status_code=303)
    desk.flash(response, f"The token “{revoked.label}” is revoked and no longer works.")
    return response
