"""Signing out of either real desk ends the login's sessions in the database (issue 17, item 1), on SQLite and
PostgreSQL: a session cookie copied before the sign-out, by someone at another computer, opens nothing."""

from __future__ import annotations

import pytest

from tests.security.hostile_support import HTML, browser, csrf_in, sign_in

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.mark.parametrize("side", ["provider", "agency"])
async def test_a_session_cookie_copied_before_signing_out_of_the_real_desk_opens_nothing_afterwards(tono, side):
    async with browser(tono) as person, browser(tono) as copier:
        await sign_in(person, side)
        copied = person.cookies[f"tono_{side}"]
        copier.cookies.set(f"tono_{side}", copied, domain="tono.test", path=f"/{side}")
        before = await copier.get(f"/{side}/", headers=HTML)

        page = await person.get(f"/{side}/", headers=HTML)
        out = await person.post(f"/{side}/logout", headers=HTML, data={"csrf": csrf_in(page)})
        after = await copier.get(f"/{side}/", headers=HTML)
        await sign_in(person, side)
        again = await person.get(f"/{side}/", headers=HTML)

    assert before.status_code == 200
    assert out.status_code == 303
    assert after.status_code == 303 and after.headers["location"].startswith(f"/{side}/login")
    assert again.status_code == 200  # signing in again works: only the sessions before the sign-out ended
