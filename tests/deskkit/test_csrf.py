"""CSRF: every POST of a signed-in desk carries its session's token; the login form carries its own."""

from __future__ import annotations

import pytest

from deskkit.csrf import REFUSED
from tests.deskkit.desk_app import API_TOKEN, HTML, PASSWORD, browser, csrf_in, set_cookies, sign_in


async def signed_in_page(client):
    await sign_in(client)
    return await client.get("/provider/", headers=HTML)


async def test_a_post_without_a_csrf_token_is_refused_with_a_sentence(client):
    await signed_in_page(client)

    refused = await client.post("/provider/notes", data={"note": "kia ora"})

    assert refused.status_code == 403
    assert refused.json() == {"detail": REFUSED}


async def test_a_post_with_a_wrong_csrf_token_is_refused(client):
    page = await signed_in_page(client)

    token = csrf_in(page)
    wrong = token[:-1] + ("1" if token.endswith("0") else "0")  # never the token itself (it may end in 0)
    refused = await client.post("/provider/notes", data={"note": "kia ora", "csrf": wrong})

    assert refused.status_code == 403


async def test_a_post_with_the_right_csrf_token_goes_through_and_flashes_once(client):
    page = await signed_in_page(client)

    saved = await client.post("/provider/notes", data={"note": "kia ora, whānau", "csrf": csrf_in(page)})
    after = await client.get("/provider/", headers=HTML)
    later = await client.get("/provider/", headers=HTML)

    assert saved.status_code == 303
    assert 'role="status">Note saved: kia ora, whānau</p>' in after.text
    assert "Note saved" not in later.text


async def test_the_token_may_come_in_a_header_instead(client):
    page = await signed_in_page(client)

    saved = await client.post("/provider/notes", data={"note": "x"}, headers={"X-CSRF-Token": csrf_in(page)})

    assert saved.status_code == 303


async def test_a_token_from_an_earlier_session_is_refused_after_signing_in_again(client):
    old = csrf_in(await signed_in_page(client))
    client.cookies.clear()
    await sign_in(client)

    refused = await client.post("/provider/notes", data={"note": "x", "csrf": old})

    assert refused.status_code == 403


async def test_a_token_from_another_persons_session_is_refused(desk_app):
    async with browser(desk_app[0]) as mere, browser(desk_app[0]) as hemi:
        mere_token = csrf_in(await signed_in_page(mere))
        await sign_in(hemi, login="hemi")

        refused = await hemi.post("/provider/notes", data={"note": "x", "csrf": mere_token})

    assert refused.status_code == 403


async def test_a_post_without_a_session_asks_to_sign_in_before_speaking_of_tokens(client):
    page_post = await client.post("/provider/notes", data={"note": "x"}, headers=HTML)
    api_post = await client.post("/provider/notes", data={"note": "x"})

    assert page_post.status_code == 303
    assert page_post.headers["location"] == "/provider/login"
    assert api_post.status_code == 401


async def test_a_bearer_api_call_needs_no_csrf_token(client):
    answer = await client.post("/provider/api/ping", headers={"Authorization": f"Bearer {API_TOKEN}"})

    assert answer.status_code == 200
    assert answer.json() == {"pong": "script"}


async def test_a_request_with_a_bearer_header_is_never_signed_in_by_the_cookie(client):
    await sign_in(client)

    answer = await client.get("/provider/api/me", headers={"Authorization": "Bearer anything"})

    assert answer.status_code == 401


async def test_the_login_form_is_refused_without_its_token(client):
    await client.get("/provider/login", headers=HTML)

    refused = await client.post("/provider/login", headers=HTML, data={"login": "mere", "password": PASSWORD})

    assert refused.status_code == 403
    assert "This sign-in form had expired" in refused.text
    assert "tono_provider" not in set_cookies(refused)


async def test_the_login_form_is_refused_without_its_cookie_even_with_a_real_token(desk_app):
    """Another site can fetch a token for its own browser, but cannot put the matching cookie in yours."""
    async with browser(desk_app[0]) as attacker, browser(desk_app[0]) as victim:
        token = csrf_in(await attacker.get("/provider/login", headers=HTML))

        refused = await victim.post("/provider/login", headers=HTML,
                                    data={"login": "mere", "password": PASSWORD, "csrf": token})

    assert refused.status_code == 403
    assert "tono_provider" not in set_cookies(refused)


@pytest.mark.parametrize("cookie", ["", "short", "x" * 43 + "!"])
async def test_a_planted_login_cookie_that_is_not_ours_gets_a_fresh_one(client, cookie):
    client.cookies.set("tono_provider_login", cookie, domain="desk.test", path="/provider/login")

    page = await client.get("/provider/login", headers=HTML)

    fresh = set_cookies(page)["tono_provider_login"]
    assert "httponly" in fresh and "samesite=strict" in fresh and "path=/provider/login" in fresh


async def test_the_login_cookie_is_dropped_once_signed_in(client):
    signed_in = await sign_in(client)

    assert "max-age=0" in set_cookies(signed_in)["tono_provider_login"]
