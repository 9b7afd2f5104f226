"""Signed desk session cookies (DESIGN.md §8): who is signed in, since when, last seen when, and under which
of the login's session generations.

Signed with HMAC-SHA256 from the standard library rather than itsdangerous, so the desks need no extra
dependency. The cookie holds no secret (kind, id, a random nonce, a generation, two times) but cannot be
forged or altered without the key. The server keeps one number per login, its session generation: a cookie
issued under an older one is refused (deskkit/desk.py), so adding one to it ends every session of that
login at once, copied cookies included, without a table of sessions to keep and sweep.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from starlette.requests import HTTPConnection
from starlette.responses import Response

EIGHT_HOURS = 8 * 60 * 60
HALF_AN_HOUR = 30 * 60
# "Last seen" is rewritten at most this often, so a busy desk does not set a cookie on every response.
TOUCH_EVERY = 60
# A session issued further than this in the future was not issued by a clock we trust.
CLOCK_SKEW = 60


def first_cookie(request: HTTPConnection, name: str) -> str | None:
    """The first cookie of that name. Browsers send the one with the longest path first, so a same-named
    cookie tossed in for a wider path ("/", say from a sibling subdomain) cannot shadow the desk's own;
    Starlette's request.cookies would keep the last."""
    for chunk in request.headers.get("cookie", "").split(";"):
        key, _, value = chunk.partition("=")
        if key.strip() == name:
            return value.strip()
    return None


def derive_key(secret: str, purpose: str) -> bytes:
    """One key per purpose and desk from the one secret, so a provider-desk cookie (or CSRF token) signed
    with the shared TONO_SECRET_KEY means nothing at the agency desk, and a CSRF token is never a signature."""
    if len(secret) < 32:
        raise ValueError("The desk secret must be at least 32 characters long (TONO_SECRET_KEY).")
    return hmac.new(secret.encode(), f"tono-deskkit:{purpose}".encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(key: bytes, payload: dict) -> str:
    """`payload.signature`, both base64url: safe in a cookie without quoting."""
    body = _b64(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    return f"{body}.{_b64(hmac.new(key, body.encode(), hashlib.sha256).digest())}"


def unsign(key: bytes, value: str | None) -> dict | None:
    """The payload, or None when the value is missing, malformed or not signed with this key."""
    if not value or value.count(".") != 1 or len(value) > 4000:
        return None
    body, signature = value.split(".")
    expected = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        return None
    try:
        payload = json.loads(_unb64(body))
    except (binascii.Error, ValueError):
        return None
    return payload if isinstance(payload, dict) else None


@dataclass(frozen=True)
class Session:
    """A signed-in account on one desk. The nonce is new at every login: it names this session. The
    generation is the login's session generation when it signed in; the session ends when that moves on."""

    kind: str
    account_id: str | int
    nonce: str
    issued: int
    seen: int
    generation: int = 0


class SessionCookies:
    """Makes, reads and clears one desk's session cookie."""

    def __init__(self, secret: str, name: str, path: str, *, secure: bool = False, max_age: int = EIGHT_HOURS,
                 idle_timeout: int = HALF_AN_HOUR, clock: Callable[[], float] = time.time) -> None:
        self.name, self.path, self.secure = name, path, secure
        self.max_age, self.idle_timeout, self.clock = max_age, idle_timeout, clock
        self._key = derive_key(secret, f"session:{name}")

    def now(self) -> int:
        return int(self.clock())

    def new(self, kind: str, account_id: str | int, generation: int = 0) -> Session:
        """A fresh session: never derived from any cookie the browser sent, so a planted one is not reused."""
        now = self.now()
        return Session(kind, account_id, secrets.token_urlsafe(24), now, now, generation)

    def encode(self, session: Session) -> str:
        return sign(self._key, {"k": session.kind, "i": session.account_id, "n": session.nonce,
                                "t": session.issued, "s": session.seen, "g": session.generation})

    def decode(self, value: str | None) -> Session | None:
        """The session, or None when the cookie is missing, tampered with, too old, or idle too long."""
        payload = unsign(self._key, value)
        if payload is None:
            return None
        kind, account_id, nonce = payload.get("k"), payload.get("i"), payload.get("n")
        issued, seen, generation = payload.get("t"), payload.get("s"), payload.get("g")
        if not (isinstance(kind, str) and isinstance(account_id, str | int) and isinstance(nonce, str)
                and isinstance(issued, int) and isinstance(seen, int) and isinstance(generation, int)):
            return None
        now = self.now()
        if issued > now + CLOCK_SKEW or seen < issued:
            return None
        if now - issued > self.max_age or now - seen > self.idle_timeout:
            return None
        return Session(kind, account_id, nonce, issued, seen, generation)

    def needs_touch(self, session: Session) -> bool:
        return self.now() - session.seen >= TOUCH_EVERY

    def touched(self, session: Session) -> Session:
        return replace(session, seen=self.now())

    def set(self, response: Response, session: Session) -> None:
        # Max-Age lets the browser forget it too; the server still checks issued-at and last-seen itself.
        response.set_cookie(self.name, self.encode(session), max_age=self.max_age, path=self.path,
                            httponly=True, samesite="strict", secure=self.secure)

    def clear(self, response: Response) -> None:
        response.delete_cookie(self.name, path=self.path, httponly=True, samesite="strict", secure=self.secure)

    def set_cookie_header(self, session: Session) -> str:
        """The Set-Cookie header value alone, for a middleware that adds it to a response it did not build."""
        scratch = Response()
        self.set(scratch, session)
        return scratch.headers["set-cookie"]
