"""Ending desk sessions on the server (issue 17, item 1): a session cookie copied before a logout, a new password
or a disabled login stops working, because the login's session generation has moved on."""

from __future__ import annotations

from tests.deskkit.desk_app import HTML, browser, csrf_in, sign_in


def _cookie(client) -> str:
    return client.cookies["tono_provider"]


async def _sign_out(client) -> None:
    page = await client.get("/provider/", headers=HTML)
    assert (await client.post("/provider/logout", headers=HTML, data={"csrf": csrf_in(page)})).status_code == 303


async def test_a_session_cookie_copied_before_signing_out_no_longer_opens_the_desk(desk_app, client):
    await sign_in(client)
    copied = _cookie(client)

    await _sign_out(client)

    async with browser(desk_app[0], ip="198.51.100.7") as thief:
        answer = await thief.get("/provider/api/me", headers={"Cookie": f"tono_provider={copied}"})
    assert answer.status_code == 401


async def test_signing_out_ends_the_logins_sessions_on_every_browser(desk_app, client):
    async with browser(desk_app[0], ip="192.0.2.11") as other_computer:
        await sign_in(client)
        await sign_in(other_computer)

        await _sign_out(client)

        assert (await other_computer.get("/provider/api/me")).status_code == 401


async def test_signing_out_leaves_other_logins_signed_in(desk_app, client):
    async with browser(desk_app[0], ip="192.0.2.11") as hemi:
        await sign_in(client)
        await sign_in(hemi, login="hemi")

        await _sign_out(client)

        assert (await hemi.get("/provider/api/me")).json() == {"name": "Hēmi Pōtae"}


async def test_a_new_session_after_signing_out_works_and_an_ended_one_cannot_sign_it_out(desk_app, client, store):
    await sign_in(client)
    page = await client.get("/provider/", headers=HTML)
    old_cookie, old_csrf = _cookie(client), csrf_in(page)
    await _sign_out(client)
    await sign_in(client)

    async with browser(desk_app[0], ip="198.51.100.7") as thief:
        tried = await thief.post("/provider/logout", headers={**HTML, "Cookie": f"tono_provider={old_cookie}"},
                                 data={"csrf": old_csrf})

    assert tried.status_code == 303  # signed out of nothing: the cookie is cleared, as for anyone
    assert store.by_login["mere"].session_generation == 1
    assert (await client.get("/provider/api/me")).status_code == 200


async def test_a_session_from_an_older_generation_is_refused_as_the_login_moves_on(client, store):
    await sign_in(client)
    assert (await client.get("/provider/api/me")).status_code == 200

    store.by_login["mere"].session_generation += 1  # what a new password or disabling the login does

    assert (await client.get("/provider/api/me")).status_code == 401
    assert (await client.get("/provider/", headers=HTML)).status_code == 303


async def test_a_session_signed_in_after_the_login_moved_on_carries_the_new_generation(client, store):
    store.by_login["mere"].session_generation = 7

    await sign_in(client)

    assert (await client.get("/provider/api/me")).status_code == 200
