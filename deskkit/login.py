"""The login and logout routes both desks share; each side supplies only `verify(login, password)`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from deskkit.desk import Desk, Message

Verify = Callable[[str, str], Awaitable[tuple[str, Any] | None]]

EXPIRED_FORM = "This sign-in form had expired or did not come from this desk. Please sign in again."
MISSING = "Enter your login and your password."
WRONG = "That login and password do not match. Check them and try again."
SIGNED_OUT = "You have signed out."


def wait_sentence(seconds: int) -> str:
    """How long to wait, in the unit a person would say."""
    if seconds >= 120:
        return f"Too many tries. Please wait {round(seconds / 60)} minutes before trying again."
    unit = "second" if seconds == 1 else "seconds"
    return f"Too many tries. Please wait {seconds} {unit} before trying again."


def login_router(desk: Desk, verify: Verify, *, home: str | None = None) -> APIRouter:
    """GET/POST {prefix}/login and POST {prefix}/logout; `verify(login, password)` gives (kind, id) or None.
    After signing in, a person goes to `home` (the desk's first page unless said)."""
    home = home or f"{desk.prefix}/"
    router = APIRouter(prefix=desk.prefix, include_in_schema=False)
    # One password check at a time (per desk and process): otherwise a burst of parallel guesses would all
    # pass the throttle before the first of their failures was counted.
    checking = asyncio.Lock()

    def page(request: Request, status: int = 200, login: str = "", next_: str = "", error: str = "",
             wait: int = 0) -> Response:
        secret, fresh = desk.login_form_secret(request)
        response = desk.render(request, "login.html", {
            "login": login, "next": desk.safe_next(next_) or "",
            "messages": [Message(error, "error")] if error else [],
        }, status_code=status, headers={"retry-after": str(wait)} if wait else None)
        if fresh:
            # Lives only on the login path, only as long as the browser is open.
            response.set_cookie(desk.login_cookie, secret, path=desk.login_path, httponly=True, samesite="strict",
                                secure=desk.sessions.secure)
        return response

    @router.get("/login")
    async def login_page(request: Request, next: str = "") -> Response:
        """The sign-in form."""
        return page(request, next_=next)

    @router.post("/login")
    async def sign_in(request: Request, login: Annotated[str, Form(max_length=200)] = "",
                      password: Annotated[str, Form(max_length=1000)] = "",
                      csrf: Annotated[str, Form(max_length=200)] = "",
                      next: Annotated[str, Form(max_length=2000)] = "") -> Response:
        """Check the login form's token, then the throttle, then the password; a new session on success."""
        login = login.strip()
        if not desk.login_form_ok(request, csrf):
            return page(request, 403, login, next, EXPIRED_FORM)
        if not login or not password:
            return page(request, 400, login, next, MISSING)
        # Behind a proxy this is the proxy's address unless uvicorn runs with --proxy-headers.
        ip = request.client.host if request.client else "unknown"
        async with checking:
            # Refused before the password is looked at, so a locked-out guesser learns nothing, even when right.
            if wait := await desk.throttle.wait_seconds(login, ip):
                return page(request, 429, login, next, wait_sentence(wait), wait)
            # A login never holds a control character; one with a NUL would not even reach PostgreSQL.
            who = await verify(login, password) if login.isprintable() else None
            if who is None:
                wait = await desk.throttle.failed(login, ip)
                return page(request, 401, login, next, WRONG + (" " + wait_sentence(wait) if wait else ""), wait)
            await desk.throttle.succeeded(login, ip)
        response = RedirectResponse(desk.safe_next(next) or home, status_code=303)
        if await desk.login(response, *who) is None:
            # Disabled between the password check and now: as good as a wrong password.
            return page(request, 401, login, next, WRONG)
        return response

    @router.post("/logout", dependencies=[Depends(desk.require_csrf)])
    async def sign_out(request: Request) -> Response:
        """End this login's sessions (this browser's and any other's)."""
        response = RedirectResponse(desk.login_path, status_code=303)
        await desk.logout(request, response)
        desk.flash(response, SIGNED_OUT)
        return response

    return router
