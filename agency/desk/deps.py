"""The agency desk's FastAPI dependencies, as Annotated aliases the routes read like sentences
(`officer: CurrentOfficer`, `actions: ActionsDep`), after FastAPI's full-stack template. install_agency_desk
puts the desk and its actions on the app's state; the routers are module-level and ask for them here."""

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from agency.desk import store
from agency.desk.actions import Actions
from agency.models import Officer
from deskkit.desk import Desk

DESK, ACTIONS = "agency_desk", "agency_desk_actions"  # where install_agency_desk keeps them on app.state
NO_TOKEN = "Send your agency API token as 'Authorization: Bearer <token>' (make one at /agency/tokens)."
BAD_TOKEN = "That API token is not valid: it is unknown, revoked or expired."
BEARER = HTTPBearer(auto_error=False, description="An agency API token from /agency/tokens.")


def agency_desk(request: Request) -> Desk:
    return getattr(request.app.state, DESK)


def desk_actions(request: Request) -> Actions:
    return getattr(request.app.state, ACTIONS)


DeskDep = Annotated[Desk, Depends(agency_desk)]
ActionsDep = Annotated[Actions, Depends(desk_actions)]


async def current_officer(request: Request, desk: DeskDep) -> Officer:
    """The signed-in officer, or a redirect to the login page (401 for JSON)."""
    return await desk.current_account(request)


async def require_csrf(request: Request, desk: DeskDep) -> None:
    """A form post carries this session's CSRF token (403 if not)."""
    await desk.require_csrf(request)


async def token_officer(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
                        desk: DeskDep, actions: ActionsDep) -> Officer:
    """The officer whose API token the call carries (401 without a live one); their calls are counted."""
    if credentials is None:
        raise HTTPException(401, NO_TOKEN, headers={"WWW-Authenticate": "Bearer"})
    officer = await store.officer_for_token(actions.sessions, credentials.credentials)
    if officer is None:
        raise HTTPException(401, BAD_TOKEN, headers={"WWW-Authenticate": "Bearer"})
    # Per officer, however many tokens they made, so more tokens do not mean more calls.
    desk.check_rate(desk.api_rate, f"officer:{officer.id}")
    return officer


CurrentOfficer = Annotated[Officer, Depends(current_officer)]
TokenOfficer = Annotated[Officer, Depends(token_officer)]
CSRF = [Depends(require_csrf)]
