"""API tokens for a desk's JSON API: made once and shown once, kept only as a SHA-256 hash (a token is 256
random bits, so a slow password hash would add nothing), read from `Authorization: Bearer`. Each desk keeps
its own prefix (so a token says which desk it is for) and its own table. Every token stops working after the
number of days chosen when it was made (90 unless said), so one forgotten in an old script or a leaked
config file does not work for ever."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from fastapi import Request

# Far longer than any token made here; a longer one is not looked up at all.
LONGEST = 200
# How long a new token may work, in days, as the tokens page offers it; long enough for a case system, short
# enough that a forgotten one ends on its own.
LIFETIMES = (30, 90, 365)
DEFAULT_LIFETIME = 90


def lifetime(days: str | int | None) -> int | None:
    """The chosen lifetime in days (the default when none was chosen), or None for one not offered."""
    if days in (None, ""):
        return DEFAULT_LIFETIME
    text = str(days).strip()
    return int(text) if text.isdigit() and int(text) in LIFETIMES else None


def expiry(now: datetime, days: int = DEFAULT_LIFETIME) -> datetime:
    """When a token made `now` for `days` days stops working."""
    return now + timedelta(days=days)


def new_token(prefix: str) -> str:
    """A token to show once: the desk's prefix, then about 256 random bits."""
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the desk stores and looks up instead of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def worth_looking_up(token: str, prefix: str) -> bool:
    """Whether a presented token could be one of this desk's (others are refused without a query)."""
    return token.startswith(prefix) and len(token) <= LONGEST


def bearer_token(request: Request) -> str | None:
    """The token in the request's `Authorization: Bearer …` header, if it has one."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None
