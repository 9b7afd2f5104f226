"""Desk passwords, kept only as argon2 hashes (DESIGN.md §8)."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Checked against when a login is unknown, so a wrong login takes as long as a wrong password
# and the timing does not tell an attacker which logins exist.
_DUMMY_HASH = _hasher.hash("not a real password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; an unknown login (None) costs the same time and is False."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def check_password(password_hash: str | None, password: str) -> bool:
    """verify_password in a worker thread: argon2 spends a good fraction of a second of CPU on purpose,
    and the event loop (the chat, the queue, other desk pages) must keep serving meanwhile."""
    return await asyncio.to_thread(verify_password, password_hash, password)
