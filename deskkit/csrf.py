"""CSRF tokens for desk forms (DESIGN.md §8).

A signed-in form carries an HMAC of the session nonce: nothing to store, and a new login (a new nonce)
makes every older token useless. The login form, which has no session yet, uses a double-submit pair:
a random value in an HttpOnly cookie and its HMAC in the form, so another site cannot sign a browser in
to an account of its choosing (login CSRF). SameSite=Strict cookies already stop most cross-site posts;
the tokens are the second lock, for old browsers and same-site attackers.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from fastapi import HTTPException, Request
from markupsafe import Markup, escape

FIELD = "csrf"
HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
REFUSED = ("This form did not come with a valid security token, so nothing was changed. "
           "Go back, reload the page and try again.")
_LOGIN_SECRET = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


def _mac(key: bytes, purpose: str, value: str) -> str:
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def session_token(key: bytes, nonce: str) -> str:
    """The token every form of this session carries."""
    return _mac(key, "session", nonce)


def new_login_secret() -> str:
    """The random half of the login form's double-submit pair; it lives in a cookie."""
    return secrets.token_urlsafe(32)


def is_login_secret(value: str | None) -> bool:
    return bool(value and _LOGIN_SECRET.match(value))


def login_token(key: bytes, login_secret: str) -> str:
    """The other half, in the login form. Signed, so a value planted in the cookie is not enough."""
    return _mac(key, "login", login_secret)


def matches(expected: str | None, given: str | None) -> bool:
    return bool(expected and given) and hmac.compare_digest(expected.encode(), given.encode())


def hidden_field(token: str) -> Markup:
    return Markup('<input type="hidden" name="{}" value="{}">').format(FIELD, escape(token))


def uses_bearer_token(request: Request) -> bool:
    """JSON API calls with a bearer token carry no cookie authority, so they need (and get) no CSRF check;
    the desk's cookie session, in turn, is never used for a request that sends one."""
    return request.headers.get("authorization", "").lower().startswith("bearer ")


def is_exempt(request: Request) -> bool:
    return request.method in SAFE_METHODS or uses_bearer_token(request)


async def submitted_token(request: Request) -> str | None:
    """The token from the X-CSRF-Token header, or from the form's `csrf` field."""
    if header := request.headers.get(HEADER):
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        # Starlette keeps the parsed form on the request, so the route's own Form() fields still work.
        value = (await request.form()).get(FIELD)
        return value if isinstance(value, str) else None
    return None


async def check(request: Request, expected: str | None) -> None:
    """Refuse (403) an unsafe request whose token is missing or wrong."""
    if is_exempt(request):
        return
    if not matches(expected, await submitted_token(request)):
        raise HTTPException(403, REFUSED)
