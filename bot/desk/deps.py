"""The provider desk's FastAPI dependencies, as Annotated aliases the routes read like sentences
(`staff: CurrentStaff`, `ctx: DeskContextDep`), after FastAPI's full-stack template. install_provider_desk puts
the one DeskContext on the app's state; the routers are plain module-level APIRouters that ask for it here."""

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPBearer

from bot.desk.auth import BAD_TOKEN, KIND, TOKEN_FOR_CHANGES, staff_for_token
from bot.desk.context import DeskContext
from bot.models import StaffAccount
from deskkit.tokens import bearer_token

STATE = "provider_desk_context"  # where install_provider_desk keeps the context on app.state


def desk_context(request: Request) -> DeskContext:
    return getattr(request.app.state, STATE)


DeskContextDep = Annotated[DeskContext, Depends(desk_context)]


async def current_staff(request: Request, ctx: DeskContextDep) -> StaffAccount:
    """The signed-in staff member, or a redirect to the login page (401 for JSON)."""
    return await ctx.desk.current_account(request)


async def require_csrf(request: Request, ctx: DeskContextDep) -> None:
    """A form post carries this session's CSRF token (403 if not)."""
    await ctx.desk.require_csrf(request)


async def api_caller(request: Request, ctx: DeskContextDep) -> StaffAccount:
    """A bearer token for anything; the desk's session cookie for reading only. Each staff member's calls
    are counted together, however many tokens they use (429 when too many)."""
    token = bearer_token(request)
    if token is not None:
        staff = await staff_for_token(ctx.sessions, token)
        if staff is None:
            raise HTTPException(401, BAD_TOKEN, headers={"WWW-Authenticate": "Bearer"})
    elif request.method not in ("GET", "HEAD"):
        raise HTTPException(401, TOKEN_FOR_CHANGES, headers={"WWW-Authenticate": "Bearer"})
    else:
        staff = await ctx.desk.current_account(request)
    ctx.desk.check_rate(ctx.desk.api_rate, f"{KIND}:{staff.id}")
    return staff


CurrentStaff = Annotated[StaffAccount, Depends(current_staff)]
ApiCaller = Annotated[StaffAccount, Depends(api_caller)]
CSRF = [Depends(require_csrf)]
# Declared so /openapi.json shows how to authenticate; the check itself is api_caller's.
BEARER = HTTPBearer(auto_error=False, scheme_name="ProviderStaffToken",
                    description="A CCSS staff API token, made on /provider/tokens.")
