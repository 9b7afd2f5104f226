"""API tokens: shown once with the desk's prefix, stored only as a hash, read from a bearer header."""

from __future__ import annotations

from starlette.requests import Request

from deskkit.tokens import LONGEST, bearer_token, new_token, token_hash, worth_looking_up


def request_with(authorization: str | None) -> Request:
    headers = [(b"authorization", authorization.encode())] if authorization is not None else []
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers})


def test_a_new_token_starts_with_the_desks_prefix_and_is_never_the_same_twice():
    first, second = new_token("tono_staff_"), new_token("tono_staff_")

    assert first.startswith("tono_staff_") and first != second
    assert len(first) - len("tono_staff_") >= 43  # 32 random bytes, URL-safe base64


def test_only_the_hash_is_kept_and_it_is_the_same_for_the_same_token():
    token = new_token("tono_agency_")

    assert token_hash(token) == token_hash(token) and token not in token_hash(token)
    assert token_hash(token) != token_hash(token + "x")


def test_a_token_of_another_desk_or_far_too_long_is_not_looked_up():
    assert worth_looking_up(new_token("tono_staff_"), "tono_staff_")
    assert not worth_looking_up(new_token("tono_agency_"), "tono_staff_")
    assert not worth_looking_up("tono_staff_" + "x" * LONGEST, "tono_staff_")


def test_the_bearer_token_is_read_from_the_authorization_header():
    assert bearer_token(request_with("Bearer  abc ")) == "abc"
    assert bearer_token(request_with("bearer abc")) == "abc"
    assert bearer_token(request_with("Basic abc")) is None
    assert bearer_token(request_with(None)) is None
