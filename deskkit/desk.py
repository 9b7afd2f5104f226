"""One web desk: its sign-in session, CSRF checks, page templates and flash messages (DESIGN.md §8).

The provider's staff desk and the agency's officer desk each make one `Desk`; different cookie names
and paths keep their sessions apart even when one process serves both.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from deskkit import csrf
from deskkit.middleware import DeskHeaders, RequestLimits
from deskkit.sessions import EIGHT_HOURS, HALF_AN_HOUR, Session, SessionCookies, derive_key, first_cookie, sign, unsign
from deskkit.templating import desk_templates
from deskkit.throttle import LoginThrottle, RateLimit, Throttle, too_many_sentence

HERE = Path(__file__).parent
FLASH_SECONDS = 5 * 60
# The largest field a desk form takes is about 20,000 characters; as UTF-8, percent-encoded, that is under
# a quarter of this (and Starlette's form parser takes no field over 1 MB anyway). A desk whose JSON API
# carries more (whole records) says so with `max_api_body`.
MAX_BODY = 1024 * 1024
# A person at a desk posts a form every few seconds at most: 60 a minute is far more than hands can do,
# and few enough that a stuck script cannot fill the history of a request.
FORMS_PER_MINUTE = 60
# A case system's sync pages through the queue and its changes: 300 calls a minute (5 a second) keeps a
# big sync moving while one runaway tool cannot crowd out the desk for everyone else.
API_CALLS_PER_MINUTE = 300
LoadAccount = Callable[[str, Any], Awaitable[Any]]
# The login's session generation, read from the account load_account gave (see deskkit/sessions.py).
GenerationOf = Callable[[Any], int]
# End every session of (kind, id) issued under that generation: add one to the login's generation, only if it
# is still that one (so an ended session cannot be used again to sign the login out of its newer sessions).
EndSessions = Callable[[str, Any, int], Awaitable[None]]


@dataclass(frozen=True)
class Message:
    """A line in the page's message area; kind "error" is announced at once by screen readers."""

    text: str
    kind: str = "info"


@dataclass
class _Visit:
    """What the desk learnt about the current request, kept in the request's state."""

    checked: bool = False
    session: Session | None = None
    account: Any = None
    csrf_token: str | None = None
    refreshed_cookie: str | None = None


def _label(account: Any) -> str:
    return str(getattr(account, "display_name", None) or getattr(account, "name", None) or account)


class Desk:
    """Sign-in, sessions, CSRF and layout for the desk served under `prefix` (e.g. "/provider")."""

    def __init__(self, *, prefix: str, title: str, cookie: str, secret: str, load_account: LoadAccount,
                 generation_of: GenerationOf, end_sessions: EndSessions, templates_dirs: Iterable[str | Path] = (),
                 secure_cookies: bool = False,
                 max_age: int = EIGHT_HOURS, idle_timeout: int = HALF_AN_HOUR, throttle: Throttle | None = None,
                 account_label: Callable[[Any], str] = _label, clock: Callable[[], float] = time.time,
                 max_body: int = MAX_BODY, max_api_body: int | None = None, form_rate: RateLimit | None = None,
                 api_rate: RateLimit | None = None) -> None:
        if not prefix.startswith("/") or prefix.endswith("/"):
            raise ValueError(f"A desk prefix starts with / and does not end with one: {prefix!r}")
        self.prefix, self.title, self.load_account, self.account_label = prefix, title, load_account, account_label
        self.generation_of, self.end_sessions = generation_of, end_sessions
        self.sessions = SessionCookies(secret, cookie, prefix, secure=secure_cookies, max_age=max_age,
                                       idle_timeout=idle_timeout, clock=clock)
        self.throttle: Throttle = throttle or LoginThrottle()
        self.max_body, self.max_api_body = max_body, max_api_body or max_body
        self.form_rate = form_rate or RateLimit(FORMS_PER_MINUTE, 60)
        self.api_rate = api_rate or RateLimit(API_CALLS_PER_MINUTE, 60)
        self.login_path, self.logout_path = f"{prefix}/login", f"{prefix}/logout"
        self.static_path = f"{prefix}/static/deskkit"
        self.login_cookie, self.flash_cookie = f"{cookie}_login", f"{cookie}_flash"
        self._csrf_key = derive_key(secret, f"csrf:{cookie}")
        self._flash_key = derive_key(secret, f"flash:{cookie}")
        self._state_key = f"deskkit:{cookie}"
        self.templates = desk_templates(
            templates_dirs, names=dict(desk_title=title, desk_prefix=prefix, desk_static=self.static_path,
                                       login_path=self.login_path, logout_path=self.logout_path),
            csrf_token_of=lambda request: self.visit(request).csrf_token, signed_in_label_of=self._signed_in_label)

    def _signed_in_label(self, request: Request) -> str | None:
        account = self.visit(request).account
        return None if account is None else self.account_label(account)

    # -- requests ---------------------------------------------------------------------------------------

    def visit(self, request: Request) -> _Visit:
        state = request.scope.setdefault("state", {})
        return state.setdefault(self._state_key, _Visit())

    def session(self, request: Request) -> Session | None:
        """The valid session this request carries, if any (read once per request)."""
        visit = self.visit(request)
        if not visit.checked:
            visit.checked = True
            if not csrf.uses_bearer_token(request):
                visit.session = self.sessions.decode(first_cookie(request, self.sessions.name))
            if visit.session is not None:
                visit.csrf_token = csrf.session_token(self._csrf_key, visit.session.nonce)
        return visit.session

    def sign_in_first(self, request: Request) -> HTTPException:
        """A browser page goes to the login page (and back afterwards); anything else gets 401."""
        if "text/html" not in request.headers.get("accept", ""):
            return HTTPException(401, f"Sign in to the {self.title} first.")
        target = self.login_path
        if request.method == "GET":
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            target += "?" + urlencode({"next": here})
        return HTTPException(303, "Sign in first.", headers={"Location": target})

    async def signed_in(self, request: Request) -> Any:
        """The account this request's session names, if the session is valid and has not been ended since."""
        session = self.session(request)
        account = await self.load_account(session.kind, session.account_id) if session else None
        # Ended by a logout, a new password or disabling the login: its generation has moved on.
        return account if account is not None and self.generation_of(account) == session.generation else None

    async def current_account(self, request: Request) -> Any:
        """Dependency: the signed-in account, or a redirect to the login page (401 for JSON)."""
        account = await self.signed_in(request)
        if account is None:
            raise self.sign_in_first(request)
        session = self.session(request)
        visit = self.visit(request)
        visit.account = account
        if self.sessions.needs_touch(session):
            # Added to whatever response the route returns by DeskHeaders (see install).
            visit.refreshed_cookie = self.sessions.set_cookie_header(self.sessions.touched(session))
        return account

    async def require_csrf(self, request: Request) -> None:
        """Dependency: refuse (403) a POST (PUT, PATCH, DELETE) without this session's CSRF token."""
        if csrf.is_exempt(request):
            return
        session = self.session(request)
        if session is None:
            raise self.sign_in_first(request)
        # Per login rather than per session, so signing in again does not reset the count; before the
        # token, so a flood of posts is turned away before its forms are read.
        self.check_rate(self.form_rate, f"{session.kind}:{session.account_id}")
        await csrf.check(request, self.visit(request).csrf_token)

    def check_rate(self, limit: RateLimit, key: str) -> None:
        """Refuse (429, with Retry-After) one more call by `key` when it is over `limit`."""
        if wait := limit.hit(key):
            raise HTTPException(429, too_many_sentence(wait), headers={"retry-after": str(wait)})

    # -- responses --------------------------------------------------------------------------------------

    async def login(self, response: Response, account_kind: str, account_id: str | int) -> Session | None:
        """Sign in on `response` with a brand-new session under the login's current generation; whatever
        cookie came before is replaced. None (nothing set) when the account cannot be loaded after all."""
        account = await self.load_account(account_kind, account_id)
        if account is None:
            return None
        session = self.sessions.new(account_kind, account_id, self.generation_of(account))
        self.sessions.set(response, session)
        response.delete_cookie(self.login_cookie, path=self.login_path, httponly=True, samesite="strict",
                               secure=self.sessions.secure)
        return session

    async def logout(self, request: Request, response: Response) -> None:
        """Clear this browser's cookie and end every session of its login (on every browser, copies of this
        cookie included): a generation per login cannot end one session alone, and signing out everywhere
        is what a person leaving a shared computer wants. A session already ended ends nothing more."""
        session = self.session(request)
        if session is not None and await self.signed_in(request) is not None:
            await self.end_sessions(session.kind, session.account_id, session.generation)
        self.sessions.clear(response)

    def flash(self, response: Response, text: str, kind: str = "info") -> None:
        """A message for the next page this browser sees (after a redirect), signed so no one else can
        put words on the desk."""
        value = sign(self._flash_key, {"m": text[:500], "k": kind, "t": self.sessions.now()})
        response.set_cookie(self.flash_cookie, value, max_age=FLASH_SECONDS, path=self.prefix, httponly=True,
                            samesite="strict", secure=self.sessions.secure)

    def render(self, request: Request, name: str, context: dict | None = None, status_code: int = 200,
               headers: dict[str, str] | None = None) -> Response:
        """A desk page, with any flashed message shown once."""
        context = dict(context or {})
        messages = [m if isinstance(m, Message) else Message(str(m)) for m in context.get("messages", ())]
        flashed = unsign(self._flash_key, first_cookie(request, self.flash_cookie))
        if flashed and self.sessions.now() - int(flashed.get("t", 0)) <= FLASH_SECONDS:
            messages.insert(0, Message(str(flashed.get("m", "")), str(flashed.get("k", "info"))))
        context["messages"] = messages
        response = self.templates.TemplateResponse(request, name, context, status_code=status_code, headers=headers)
        if self.flash_cookie in request.cookies:
            response.delete_cookie(self.flash_cookie, path=self.prefix, httponly=True, samesite="strict",
                                   secure=self.sessions.secure)
        return response

    # -- login form (no session yet: double-submit cookie) ------------------------------------------------

    def login_form_secret(self, request: Request) -> tuple[str, bool]:
        """The browser's login-form secret (new when it has none) and whether it is new; readies csrf_field()."""
        secret = first_cookie(request, self.login_cookie)
        fresh = not csrf.is_login_secret(secret)
        secret = csrf.new_login_secret() if fresh else secret
        self.visit(request).csrf_token = csrf.login_token(self._csrf_key, secret)
        return secret, fresh

    def login_form_ok(self, request: Request, submitted: str) -> bool:
        secret = first_cookie(request, self.login_cookie)
        return csrf.is_login_secret(secret) and csrf.matches(csrf.login_token(self._csrf_key, secret), submitted)

    def safe_next(self, target: str) -> str | None:
        """Where to go after login, only if it is a page of this desk (never another site)."""
        ok = target.startswith(self.prefix + "/") and "\\" not in target and target.isprintable()
        return target if ok and len(target) <= 2000 else None

    # -- wiring -----------------------------------------------------------------------------------------

    def install(self, app: FastAPI) -> None:
        """Serve deskkit's CSS, add the desk's response headers (refreshed session, no caching, no framing)
        and refuse odd addresses and request bodies over `max_body` before anything reads them."""
        app.mount(self.static_path, StaticFiles(directory=HERE / "static"), name=f"{self.sessions.name}_static")
        app.add_middleware(DeskHeaders, prefix=self.prefix, static_path=self.static_path,
                           cookie=self.sessions.name, state_key=self._state_key)
        app.add_middleware(RequestLimits, prefix=self.prefix, max_bytes=self.max_body,
                           api_max_bytes=self.max_api_body)
