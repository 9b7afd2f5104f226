"""Signed session cookies: what they hold, and every way an old or altered one is refused."""

from __future__ import annotations

import pytest

from deskkit.sessions import SessionCookies
from tests.deskkit.desk_app import SECRET, Clock


def cookies(clock: Clock, secret: str = SECRET, name: str = "tono_provider") -> SessionCookies:
    return SessionCookies(secret, name, "/provider", max_age=8 * 3600, idle_timeout=1800, clock=clock)


def test_a_session_cookie_reads_back_as_the_same_account():
    clock = Clock()
    jar = cookies(clock)
    session = jar.new("staff", 7)

    read = jar.decode(jar.encode(session))

    assert read == session
    assert (read.kind, read.account_id) == ("staff", 7)


def test_every_new_session_has_a_new_nonce():
    jar = cookies(Clock())

    assert jar.new("staff", 7).nonce != jar.new("staff", 7).nonce


@pytest.mark.parametrize("where", ["body", "signature"])
def test_a_cookie_altered_anywhere_is_refused(where):
    jar = cookies(Clock())
    body, signature = jar.encode(jar.new("staff", 7)).split(".")

    if where == "body":
        body = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    else:
        signature = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]

    assert jar.decode(f"{body}.{signature}") is None


@pytest.mark.parametrize("junk", ["", "nonsense", "a.b.c", "....", "é.é"])
def test_junk_in_the_cookie_is_refused_without_an_error(junk):
    assert cookies(Clock()).decode(junk) is None


def test_a_cookie_signed_with_another_secret_is_refused():
    clock = Clock()
    value = cookies(clock, secret="another secret, also long enough to sign").encode(cookies(clock).new("staff", 7))

    assert cookies(clock).decode(value) is None


def test_a_provider_desk_cookie_means_nothing_at_the_agency_desk_even_with_the_same_secret():
    clock = Clock()
    provider = cookies(clock, name="tono_provider")

    value = provider.encode(provider.new("staff", 7))

    assert cookies(clock, name="tono_agency").decode(value) is None


def test_a_session_is_refused_after_its_maximum_age_however_busy():
    clock = Clock()
    jar = cookies(clock)
    session = jar.new("staff", 7)

    for _ in range(19):  # busy every 25 minutes, for 7 hours 55 minutes
        clock.advance(1500)
        session = jar.decode(jar.encode(jar.touched(session)))
    clock.advance(301)

    assert session is not None
    assert jar.decode(jar.encode(session)) is None


def test_a_session_left_idle_past_the_timeout_is_refused():
    clock = Clock()
    jar = cookies(clock)
    value = jar.encode(jar.new("staff", 7))

    clock.advance(1800)
    still = jar.decode(value)
    clock.advance(1)

    assert still is not None
    assert jar.decode(value) is None


def test_a_session_issued_in_the_future_is_refused():
    clock = Clock()
    jar = cookies(clock)
    clock.advance(3600)
    value = jar.encode(jar.new("staff", 7))

    clock.advance(-3600)

    assert jar.decode(value) is None


def test_a_short_secret_is_refused_when_the_desk_starts():
    with pytest.raises(ValueError, match="at least 32 characters"):
        SessionCookies("short", "tono_provider", "/provider")
