"""API tokens for a desk's JSON API: made once and shown once, kept only as a SHA-256 hash (a token is 256
random bits, so a slow password hash would add nothing), read from `Authorization: Bearer`. Each desk keeps
its own prefix (so a token says which desk it is for) and its own table."""

from __future__ import annotations

import hashlib
import secrets

from fastapi import Request

# Far longer than any token made here; a longer one is not looked up at all.
LONGEST = 200


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
