"""Login slow-down: five wrong tries at one login from one address, ten from one address at any logins, a hundred
at one login from anywhere (but not where it signs in), and the desk says how long to wait."""

from __future__ import annotations

import asyncio

from deskkit.login import wait_sentence
from deskkit.throttle import LoginThrottle
from tests.deskkit.desk_app import HTML, Clock, browser, csrf_in, sign_in

IP, OTHER_IP = "192.0.2.10", "198.51.100.7"


async def test_five_failures_lock_a_login_for_thirty_seconds_then_twice_as_long_each_time():
    clock = Clock()
    throttle = LoginThrottle(clock=clock)

    waits = [await throttle.failed("mere", IP) for _ in range(5)]
    clock.advance(30)
    free_again = await throttle.wait_seconds("mere", IP)
    next_wait = await throttle.failed("mere", IP)

    assert waits == [0, 0, 0, 0, 30]
    assert free_again == 0
    assert next_wait == 60


async def test_the_wait_never_grows_past_fifteen_minutes():
    clock = Clock()
    throttle = LoginThrottle(clock=clock)

    for _ in range(40):
        clock.advance(await throttle.wait_seconds("mere", IP))
        await throttle.failed("mere", IP)

    assert await throttle.wait_seconds("mere", IP) == 15 * 60


async def test_failures_are_forgotten_after_a_quiet_window():
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    for _ in range(4):
        await throttle.failed("mere", IP)

    clock.advance(15 * 60 + 1)

    assert await throttle.failed("mere", IP) == 0


async def test_logins_differing_only_by_case_or_spaces_share_a_count():
    throttle = LoginThrottle(clock=Clock())

    for login in ["mere", "Mere", " MERE ", "mere", "mEre"]:
        await throttle.failed(login, IP)

    assert await throttle.wait_seconds("mere", IP) == 30


async def test_a_success_resets_that_logins_count_there_but_not_the_addresss():
    throttle = LoginThrottle(clock=Clock())
    for _ in range(4):
        await throttle.failed("mere", IP)
    for login in ["aroha", "tane", "wiremu", "rangi", "huia"]:
        await throttle.failed(login, IP)

    await throttle.succeeded("mere", IP)

    assert await throttle.failed("mere", IP) == 30  # the address's tenth failure, whoever it was for
    assert await throttle.wait_seconds("mere", OTHER_IP) == 0


async def test_a_strangers_wrong_passwords_elsewhere_do_not_lock_the_login_at_its_own_address():
    throttle = LoginThrottle(clock=Clock())
    await throttle.succeeded("mere", IP)  # where Mere signs in

    for n in range(200):  # a stranger, spread over many addresses
        await throttle.failed("mere", f"203.0.113.{n % 250}")

    assert await throttle.wait_seconds("mere", IP) == 0
    assert await throttle.wait_seconds("mere", OTHER_IP) > 0  # guessing from a new address stays slowed


async def test_a_login_guessed_at_from_many_addresses_is_slowed_after_a_hundred_failures():
    throttle = LoginThrottle(clock=Clock())

    waits = [await throttle.failed("mere", f"203.0.113.{n}") for n in range(100)]

    assert waits[:99] == [0] * 99 and waits[99] == 30
    assert await throttle.wait_seconds("mere", "203.0.113.200") == 30


async def test_the_sixth_try_is_told_to_wait_even_with_the_right_password(client):
    fifth = None
    for _ in range(5):
        fifth = await sign_in(client, password="wrong")

    sixth = await sign_in(client)

    assert "Please wait 30 seconds" in fifth.text
    assert sixth.status_code == 429
    assert sixth.headers["retry-after"] == "30"
    assert "Too many tries. Please wait 30 seconds before trying again." in sixth.text
    assert "tono_provider" not in [c.name for c in client.cookies.jar]


async def test_after_the_wait_the_right_password_works_and_clears_that_logins_count(desk_app, clock):
    async with browser(desk_app[0], ip=IP) as first, browser(desk_app[0], ip=OTHER_IP) as second:
        for _ in range(5):
            await sign_in(first, password="wrong")
        clock.advance(30)

        signed_in = await sign_in(first)
        elsewhere = await sign_in(second, password="wrong")

    assert signed_in.status_code == 303
    assert elsewhere.status_code == 401
    assert "Please wait" not in elsewhere.text


async def test_one_address_trying_many_logins_is_slowed_too(client):
    for n in range(10):
        await sign_in(client, login=f"made-up-{n}", password="wrong")

    eleventh = await sign_in(client, login="mere")

    assert eleventh.status_code == 429
    assert "Please wait 30 seconds" in eleventh.text


async def test_five_wrong_passwords_from_a_stranger_do_not_lock_the_person_out_at_their_own_address(desk_app):
    async with browser(desk_app[0], ip=OTHER_IP) as stranger, browser(desk_app[0], ip=IP) as mere:
        for _ in range(5):
            await sign_in(stranger, password="wrong")
        stranger_again = await sign_in(stranger)

        signed_in = await sign_in(mere)

    assert stranger_again.status_code == 429
    assert signed_in.status_code == 303


async def test_another_login_from_another_address_is_not_held_up(desk_app):
    async with browser(desk_app[0], ip=IP) as first, browser(desk_app[0], ip=OTHER_IP) as second:
        for _ in range(5):
            await sign_in(first, password="wrong")

        hemi = await sign_in(second, login="hemi")

    assert hemi.status_code == 303


def test_long_waits_are_said_in_minutes():
    assert wait_sentence(1) == "Too many tries. Please wait 1 second before trying again."
    assert wait_sentence(600) == "Too many tries. Please wait 10 minutes before trying again."


async def test_the_login_page_still_opens_while_locked(client):
    for _ in range(5):
        await sign_in(client, password="wrong")

    page = await client.get("/provider/login", headers=HTML)

    assert page.status_code == 200


async def test_a_burst_of_parallel_guesses_gets_no_more_than_five_password_checks(client, store):
    forms = [await client.get("/provider/login", headers=HTML) for _ in range(20)]

    answers = await asyncio.gather(*[
        client.post("/provider/login", headers=HTML, data={"login": "mere", "password": f"guess {i}",
                                                           "csrf": csrf_in(form)})
        for i, form in enumerate(forms)])

    assert store.passwords_checked == 5
    assert sorted(a.status_code for a in answers) == [401] * 5 + [429] * 15
