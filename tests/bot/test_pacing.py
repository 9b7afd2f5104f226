"""The pacer keeps sends within Telegram's limits, on a clock the test moves by hand."""

from __future__ import annotations

import asyncio

from bot.outbound.pacing import Pacer


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


def pacer(clock: Clock, **limits) -> Pacer:
    return Pacer(clock=clock, sleep=clock.sleep, margin=0.0, **limits)


async def test_one_chat_gets_a_short_burst_then_one_message_a_second():
    clock = Clock()
    paced = pacer(clock, per_chat=1, burst=3, overall=30)

    times = []
    for _ in range(6):
        await paced.slot("chat")
        times.append(round(clock.now, 3))

    assert times == [0.0, 0.0, 0.0, 1.0, 2.0, 3.0]


async def test_many_chats_together_never_pass_thirty_in_any_second():
    clock = Clock()
    paced = pacer(clock, per_chat=1, burst=3, overall=30)

    times = []
    for chat in range(90):
        await paced.slot(str(chat))
        times.append(clock.now)

    busiest = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
    assert busiest == 30
    assert times[-1] >= 2.0


async def test_a_pause_for_retry_after_holds_every_chat():
    clock = Clock()
    paced = pacer(clock, per_chat=1, burst=3, overall=30)
    await paced.slot("a")

    paced.pause(5)
    await paced.slot("b")

    assert clock.now >= 5


async def test_the_margin_spaces_sends_a_little_wider_than_the_limit():
    clock = Clock()
    paced = Pacer(per_chat=1, burst=1, overall=30, margin=0.05, clock=clock, sleep=clock.sleep)

    await paced.slot("chat")
    await paced.slot("chat")

    assert clock.now >= 1.05
