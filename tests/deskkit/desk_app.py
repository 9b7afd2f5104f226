"""A tiny desk app built in the test: one provider desk over a fake account store, a fake clock.

No `from __future__ import annotations` here: FastAPI resolves a route's string annotations in the
module's globals, so an `Annotated` alias made inside a function (CurrentStaff) must stay a real object.
"""

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import httpx
from fastapi import Depends, FastAPI, Form, Header, HTTPException, Request
from fastapi.responses import RedirectResponse

from deskkit.desk import Desk
from deskkit.login import login_router
from deskkit.passwords import check_password, hash_password
from deskkit.throttle import LoginThrottle

SECRET = "a test secret that is long enough to sign with"
PASSWORD = "kōrero-tika-42"
API_TOKEN = "bearer-token-for-tests"
CSRF_IN_PAGE = re.compile(r'name="csrf" value="([^"]+)"')
HTML = {"Accept": "text/html,application/xhtml+xml"}
PASSWORD_HASH = hash_password(PASSWORD)  # once: argon2 is slow on purpose


class Clock:
    """Time that moves only when a test says so; shared by the sessions and the throttle."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Staff:
    id: int
    login: str
    display_name: str
    password_hash: str
    active: bool = True
    session_generation: int = 0


class FakeStaffStore:
    def __init__(self) -> None:
        self.by_login = {
            "mere": Staff(1, "mere", "Mere Tūhoe-Ngāti", PASSWORD_HASH),
            "hemi": Staff(2, "hemi", "Hēmi Pōtae", PASSWORD_HASH),
        }
        self.passwords_checked = 0

    async def verify(self, login: str, password: str) -> tuple[str, int] | None:
        self.passwords_checked += 1
        staff = self.by_login.get(login)
        if await check_password(staff.password_hash if staff and staff.active else None, password):
            return "staff", staff.id
        return None

    async def load(self, kind: str, account_id: int) -> Staff | None:
        if kind != "staff":
            return None
        return next((s for s in self.by_login.values() if s.id == account_id and s.active), None)

    async def end_sessions(self, kind: str, account_id: int, generation: int) -> None:
        staff = await self.load(kind, account_id)
        if staff is not None and staff.session_generation == generation:
            staff.session_generation += 1


def build_app(clock: Clock, store: FakeStaffStore, **desk_options) -> tuple[FastAPI, Desk]:
    desk = Desk(prefix="/provider", title="CCSS provider desk", cookie="tono_provider", secret=SECRET,
                load_account=store.load, generation_of=lambda staff: staff.session_generation,
                end_sessions=store.end_sessions, templates_dirs=[Path(__file__).parent / "templates"], clock=clock,
                throttle=LoginThrottle(clock=clock), **desk_options)
    app = FastAPI()
    desk.install(app)
    app.include_router(login_router(desk, store.verify))
    CurrentStaff = Annotated[Staff, Depends(desk.current_account)]

    @app.get("/provider/")
    async def queue(request: Request, staff: CurrentStaff):
        return desk.render(request, "queue.html", {"rows": [("Request 7", "3 March 2027", True)]})

    @app.post("/provider/notes", dependencies=[Depends(desk.require_csrf)])
    async def add_note(staff: CurrentStaff, note: Annotated[str, Form()] = ""):
        response = RedirectResponse("/provider/", status_code=303)
        desk.flash(response, f"Note saved: {note}")
        return response

    @app.get("/provider/api/me")
    async def me(staff: CurrentStaff) -> dict:
        return {"name": staff.display_name}

    async def bearer(authorization: Annotated[str, Header()] = "") -> str:
        if authorization != f"Bearer {API_TOKEN}":
            raise HTTPException(401, "A bearer token is needed.")
        return "script"

    @app.post("/provider/api/ping", dependencies=[Depends(desk.require_csrf)])
    async def ping(caller: Annotated[str, Depends(bearer)]) -> dict:
        return {"pong": caller}

    return app, desk


def browser(app: FastAPI, ip: str = "192.0.2.10", scheme: str = "http") -> httpx.AsyncClient:
    """A browser at `ip`: keeps cookies (honouring Path and Secure), does not follow redirects."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(ip, 50000)),
                             base_url=f"{scheme}://desk.test")


def csrf_in(page: httpx.Response) -> str:
    """The CSRF token in a desk page's form (any desk's: deskkit writes the field)."""
    found = CSRF_IN_PAGE.search(page.text)
    assert found, f"no CSRF field in the page ({page.status_code}):\n{page.text[:2000]}"
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, login: str = "mere", password: str = PASSWORD,
                  **extra: str) -> httpx.Response:
    """Open the login page, then post its form, as a person would."""
    page = await client.get("/provider/login", headers=HTML)
    return await client.post("/provider/login", headers=HTML,
                             data={"login": login, "password": password, "csrf": csrf_in(page), **extra})


def set_cookies(response: httpx.Response) -> dict[str, str]:
    """Each Set-Cookie header of a response, by cookie name, lower-cased for attribute checks."""
    return {h.split("=", 1)[0]: h.lower() for h in response.headers.get_list("set-cookie")}
