"""Signing in and out of a desk: passwords, cookies, session fixation, expiry, JSON versus pages."""

from __future__ import annotations

from tests.deskkit.desk_app import HTML, PASSWORD, browser, build_app, csrf_in, set_cookies, sign_in


async def test_staff_sign_in_with_the_right_password_and_see_their_name_with_its_macrons(client):
    signed_in = await sign_in(client)

    page = await client.get("/provider/", headers=HTML)

    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/provider/"
    assert page.status_code == 200
    assert "charset=utf-8" in page.headers["content-type"]
    assert "Signed in as <strong>Mere Tūhoe-Ngāti</strong>" in page.text


async def test_a_wrong_password_is_refused_and_sets_no_session(client):
    refused = await sign_in(client, password="not it")

    assert refused.status_code == 401
    assert "That login and password do not match" in refused.text
    assert "tono_provider" not in set_cookies(refused)
    assert (await client.get("/provider/api/me")).status_code == 401


async def test_an_unknown_login_is_refused_with_the_same_words(client):
    refused = await sign_in(client, login="nobody")

    assert refused.status_code == 401
    assert "That login and password do not match" in refused.text


async def test_an_empty_form_asks_for_both_and_counts_as_no_try(client, desk_app):
    refused = await sign_in(client, login="", password="")

    assert refused.status_code == 400
    assert "Enter your login and your password." in refused.text
    assert await desk_app[1].throttle.wait_seconds("", "192.0.2.10") == 0


async def test_the_session_cookie_is_httponly_strict_and_only_for_the_desks_path(client):
    signed_in = await sign_in(client)

    cookie = set_cookies(signed_in)["tono_provider"]

    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "path=/provider;" in cookie or cookie.endswith("path=/provider")
    assert "max-age=28800" in cookie
    assert "secure" not in cookie


async def test_the_session_cookie_is_secure_when_the_desk_is_told_so(clock, store):
    app, _desk = build_app(clock, store, secure_cookies=True)

    async with browser(app, scheme="https") as client:
        signed_in = await sign_in(client)

    assert "; secure" in set_cookies(signed_in)["tono_provider"]


async def test_the_session_is_not_sent_to_the_other_desk_or_the_chat(client):
    await sign_in(client)

    cookie = next(c for c in client.cookies.jar if c.name == "tono_provider")

    assert cookie.path == "/provider"


async def test_a_tampered_session_cookie_sends_the_browser_back_to_sign_in(client):
    await sign_in(client)
    value = client.cookies.get("tono_provider", path="/provider")
    client.cookies.delete("tono_provider", path="/provider")
    body, signature = value.split(".")
    client.cookies.set("tono_provider", body[:-1] + ("x" if body[-1] != "x" else "y") + "." + signature,
                       domain="desk.test", path="/provider")

    page = await client.get("/provider/", headers=HTML)

    assert page.status_code == 303
    assert page.headers["location"].startswith("/provider/login")


async def test_a_session_past_its_eight_hours_is_refused(client, clock):
    await sign_in(client)

    for _ in range(16):
        clock.advance(29 * 60)
        assert (await client.get("/provider/api/me")).status_code == 200
    clock.advance(17 * 60)

    assert (await client.get("/provider/api/me")).status_code == 401


async def test_a_session_left_idle_for_over_half_an_hour_is_refused(client, clock):
    await sign_in(client)

    clock.advance(30 * 60 + 1)

    assert (await client.get("/provider/api/me")).status_code == 401


async def test_using_the_desk_keeps_the_session_alive_past_the_idle_timeout(client, clock):
    await sign_in(client)

    clock.advance(20 * 60)
    first = await client.get("/provider/", headers=HTML)
    clock.advance(20 * 60)
    second = await client.get("/provider/api/me")

    assert "tono_provider" in set_cookies(first)
    assert second.status_code == 200


async def test_a_session_cookie_planted_before_sign_in_is_replaced_by_a_new_one(client, desk_app):
    desk = desk_app[1]
    planted = desk.sessions.encode(desk.sessions.new("staff", 2))
    client.cookies.set("tono_provider", planted, domain="desk.test", path="/provider")

    signed_in = await sign_in(client)

    fresh = client.cookies.get("tono_provider", path="/provider")
    assert "tono_provider" in set_cookies(signed_in)
    assert fresh != planted
    assert desk.sessions.decode(fresh).nonce != desk.sessions.decode(planted).nonce
    assert desk.sessions.decode(fresh).account_id == 1


async def test_a_page_without_a_session_goes_to_sign_in_and_comes_back_after(client):
    away = await client.get("/provider/?page=2", headers=HTML)
    form = await client.get(away.headers["location"], headers=HTML)

    back = await client.post("/provider/login", headers=HTML, data={
        "login": "mere", "password": PASSWORD, "csrf": csrf_in(form), "next": "/provider/?page=2"})

    assert away.status_code == 303
    assert away.headers["location"] == "/provider/login?next=%2Fprovider%2F%3Fpage%3D2"
    assert 'name="next" value="/provider/?page=2"' in form.text
    assert back.headers["location"] == "/provider/?page=2"


async def test_after_sign_in_the_browser_never_goes_to_another_site(client):
    for target in ["https://evil.example/", "//evil.example/provider/", "/provider\\..\\//evil.example", "/chat/"]:
        client.cookies.clear()
        signed_in = await sign_in(client, next=target)

        assert signed_in.headers["location"] == "/provider/", target


async def test_a_json_request_without_a_session_gets_401_not_a_redirect(client):
    answer = await client.get("/provider/api/me", headers={"Accept": "application/json"})

    assert answer.status_code == 401
    assert answer.json() == {"detail": "Sign in to the CCSS provider desk first."}


async def test_an_account_closed_after_sign_in_is_refused_at_once(client, store):
    await sign_in(client)

    store.by_login["mere"].active = False

    assert (await client.get("/provider/api/me")).status_code == 401


async def test_signing_out_needs_the_csrf_token(client):
    await sign_in(client)

    refused = await client.post("/provider/logout", headers=HTML)

    assert refused.status_code == 403
    assert (await client.get("/provider/api/me")).status_code == 200


async def test_signing_out_clears_the_session_and_says_so_once(client):
    await sign_in(client)
    page = await client.get("/provider/", headers=HTML)

    out = await client.post("/provider/logout", headers=HTML, data={"csrf": csrf_in(page)})
    login_page = await client.get(out.headers["location"], headers=HTML)
    again = await client.get("/provider/login", headers=HTML)

    assert out.status_code == 303
    assert "max-age=0" in set_cookies(out)["tono_provider"]
    assert (await client.get("/provider/api/me")).status_code == 401
    assert "You have signed out." in login_page.text
    assert "You have signed out." not in again.text


async def test_the_header_of_a_signed_in_page_has_a_sign_out_form_with_csrf(client):
    await sign_in(client)

    page = await client.get("/provider/", headers=HTML)

    assert '<form method="post" action="/provider/logout">' in page.text
    assert page.text.count('name="csrf"') == 2  # the sign-out form and the page's own form


async def test_a_session_cookie_tossed_in_for_a_wider_path_does_not_shadow_the_desks_own(desk_app):
    desk = desk_app[1]
    ours = desk.sessions.encode(desk.sessions.new("staff", 1))
    tossed = desk.sessions.encode(desk.sessions.new("staff", 2))

    async with browser(desk_app[0]) as client:
        # What a browser sends when both exist: the cookie with the longer path (/provider) first.
        both = f"tono_provider={ours}; tono_provider={tossed}"
        answer = await client.get("/provider/api/me", headers={"Cookie": both})

    assert answer.json() == {"name": "Mere Tūhoe-Ngāti"}
