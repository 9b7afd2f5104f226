"""The backoff both outboxes wait by: doubling from one second, never past the longest wait, spread only when asked."""

from __future__ import annotations

from datetime import timedelta

from outbox import Backoff


def test_the_waits_double_from_one_second_up_to_the_longest():
    waits = [Backoff(longest=timedelta(seconds=20)).after(n) for n in range(1, 8)]

    assert waits == [timedelta(seconds=s) for s in (1, 2, 4, 8, 16, 20, 20)]


def test_the_first_wait_is_one_second_even_for_a_count_below_one():
    assert Backoff().after(0) == Backoff().after(-3) == timedelta(seconds=1)


def test_the_longest_wait_is_five_minutes_unless_told():
    assert Backoff().after(40) == timedelta(minutes=5)


def test_a_row_that_failed_for_years_still_has_a_wait_and_no_overflow():
    assert Backoff(longest=timedelta(days=36500)).after(10**9) == timedelta(seconds=2**30)


def test_without_a_spread_the_waits_are_exact_and_no_chance_is_asked():
    def never(_low, _high):
        raise AssertionError("no spread was asked for")

    assert Backoff(uniform=never).after(3) == timedelta(seconds=4)


def test_a_spread_stretches_or_shrinks_each_wait_within_its_fraction():
    asked = []

    def lowest(low, high):
        asked.append((low, high))
        return low

    assert Backoff(spread=0.2, uniform=lowest).after(4) == timedelta(seconds=8 * 0.8)
    assert asked == [(0.8, 1.2)]
    spread = [Backoff(spread=0.2).after(4) for _ in range(200)]
    assert all(timedelta(seconds=6.4) <= wait <= timedelta(seconds=9.6) for wait in spread)
    assert len(set(spread)) > 1, "many chats that failed together do not all come back in the same instant"
