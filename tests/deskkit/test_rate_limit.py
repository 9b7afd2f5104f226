"""Request rates (deskkit.throttle.RateLimit) and the desk's limits on what one request may carry
(deskkit.middleware.RequestLimits), on deskkit's tiny desk app."""

from __future__ import annotations

import pytest

from deskkit.desk import Desk
from deskkit.throttle import RateLimit, too_many_sentence
from tests.deskkit.desk_app import HTML, Clock, browser, build_app, csrf_in, sign_in


def test_uses_up_to_the_limit_go_ahead_and_the_next_is_told_when_the_window_has_room():
    clock = Clock()
    rate = RateLimit(3, 60, clock=clock)

    first = [rate.hit("kaimahi") for _ in range(3)]
    clock.advance(20)
    refused = rate.hit("kaimahi")
    clock.advance(40)
    again = rate.hit("kaimahi")

    assert first == [0, 0, 0]
    assert refused == 40
    assert again == 0


def test_a_caller_that_keeps_going_stays_refused_when_refusals_count():
    clock = Clock()
    rate = RateLimit(2, 10, count_refused=True, clock=clock)

    answers = []
    for _ in range(6):
        answers.append(rate.hit("chat"))
        clock.advance(3)  # one every 3 seconds: more than 2 in 10
    clock.advance(10)

    assert answers[:2] == [0, 0] and all(answers[2:])
    assert rate.hit("chat") == 0  # slowed down: served again


def test_each_key_has_its_own_count():
    rate = RateLimit(1, 60, clock=Clock())

    assert (rate.hit("one"), rate.hit("two"), rate.hit("one")) == (0, 0, 60)


def test_memory_stays_bounded_when_many_keys_come_and_go():
    clock = Clock()
    rate = RateLimit(1, 1, max_keys=100, clock=clock)

    for n in range(1000):
        rate.hit(f"key-{n}")
        clock.advance(0.5)

    assert len(rate._uses) <= 100


def test_a_limit_needs_a_use_and_a_window():
    with pytest.raises(ValueError):
        RateLimit(0, 60)


def test_the_wait_is_said_in_a_sentence_with_its_unit():
    assert too_many_sentence(1) == ("Too many requests in a short time. Please wait 1 second, then try again; "
                                    "nothing was changed.")


async def test_form_posts_over_the_rate_get_429_with_retry_after(clock, store):
    app, desk = build_app(clock, store, form_rate=RateLimit(2, 60, clock=clock))
    async with browser(app) as client:
        await sign_in(client)
        csrf = csrf_in(await client.get("/provider/", headers=HTML))

        posts = [await client.post("/provider/notes", data={"csrf": csrf, "note": "hi"}, headers=HTML)
                 for _ in range(3)]

    assert [p.status_code for p in posts[:2]] == [303, 303]
    assert posts[2].status_code == 429 and posts[2].headers["retry-after"] == "60"
    assert "Please wait 60 seconds" in posts[2].text


async def test_a_body_over_the_desks_limit_is_refused_before_it_is_read(clock, store):
    app, _desk = build_app(clock, store, max_body=1024)
    async with browser(app) as client:
        await sign_in(client)
        csrf = csrf_in(await client.get("/provider/", headers=HTML))

        declared = await client.post("/provider/notes", data={"csrf": csrf, "note": "x" * 2000}, headers=HTML)

    assert declared.status_code == 413
    assert declared.json() == {"detail": "What was sent is too large: at most 1 KB can be sent at a time. "
                                         "Nothing was saved."}


def test_a_desk_takes_a_larger_api_body_only_where_it_says_so():
    desk = Desk(prefix="/agency", title="Agency desk", cookie="tono_agency", secret="s" * 40,
                load_account=_nobody, generation_of=_nothing, end_sessions=_end_nothing, max_api_body=16 * 1024 * 1024)

    assert (desk.max_body, desk.max_api_body) == (1024 * 1024, 16 * 1024 * 1024)


async def _nobody(kind, account_id):
    return None


def _nothing(account) -> int:
    return 0


async def _end_nothing(kind, account_id, generation) -> None:
    return None
