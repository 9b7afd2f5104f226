"""The families' side of the chat benchmark, in a process of its own: the fake Bot API server and K
families who talk to whichever bot polls it, each waiting for the bot's answer before going on, as a
person does. Prints `READY <base url>` when the server is up, then one JSON line of figures when done, and
keeps the server up until its standard input closes (the bot under test has stopped by then).

Reuses the test suite's fake Bot API (tests/fakes): the same server the channel tests trust.

Latency is measured on this side only (one clock): from the moment an update first leaves getUpdates to
the moment the first message of the bot's answer arrives at this server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time

from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_users import FakeUser

# (what the family does, what it sends, words in the answer's last message that mean the turn is over;
# None: the first message with buttons). Start, language both ways, register, an access request to
# submitted; then "where is my request?" until the run's updates are used up.
JOURNEY = [
    ("command", "/start", "Would you like to know"),
    ("press", "Not now", "What would you like to do?"),
    ("command", "/language", "Which language"),
    ("press", "Te reo Māori", "He aha tāu"),
    ("command", "/language", "Ko tēhea reo"),
    ("press", "English", "What would you like to do?"),
    ("press", "Adult or young person", "Who is using Tono"),
    ("press", "A parent or caregiver", None),
    ("command", "/menu", "What would you like to do?"),
    ("press", "What do you hold about me?", "Whose information"),
    ("press", "Mine", "Whose records"),
    ("press", "Both CCSS and the agency", "anything in particular"),
    ("press", "Skip", "How would you like"),
    ("press", "A copy here in the chat", "urgently"),
    ("press", "No", "full name"),
    ("text", "Aroha Tester", "Please check your request"),
    ("press", "Send my request", "What would you like to do?"),
]
STATUS = ("command", "/status", "That's all your requests")


class Run:
    def __init__(self, fake: FakeTelegram, updates: int, timeout: float):
        self.fake, self.left, self.timeout = fake, updates, timeout
        self.latencies: list[float] = []
        self.failures: list[str] = []

    def take(self) -> bool:
        if self.left <= 0:
            return False
        self.left -= 1
        return True

    async def act(self, user: FakeUser, kind: str, what: str, done_when: str | None) -> None:
        seen = len(user.messages)
        if kind == "command":
            await user.send_command(what)
        elif kind == "text":
            await user.send(what)
        else:
            await user.press_button(what)
        update_id = self.fake.last_update_id  # nothing yielded since the update was queued
        deadline = time.monotonic() + self.timeout
        while True:
            new = user.messages[seen:]
            if any(done_when in m.get("text", "") if done_when else m.get("reply_markup") for m in new):
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"no answer to {what!r}; got {[m.get('text', '')[:40] for m in new]}")
            await user.next_message(timeout=max(0.01, deadline - time.monotonic()))
        delivered = self.fake.delivered_at.get(update_id)
        if delivered is not None:
            self.latencies.append(user.arrived_at[seen] - delivered)

    async def family(self, user: FakeUser, script: list) -> None:
        steps = iter(script)
        step = None
        try:
            while self.take():
                step = next(steps, None) or STATUS
                await self.act(user, *step)
        except (TimeoutError, AssertionError) as error:
            got = [m.get("text", "")[:40] for m in user.messages[-3:]]
            self.failures.append(f"{user.id} at {step[1]!r}: {error}; last: {got}")


async def main(kind: str, chats: int, updates: int, timeout: float) -> None:
    async with FakeTelegram() as fake:
        print(f"READY {fake.base_url} {fake.token}", flush=True)
        while not fake.requests_for("getUpdates"):  # the bot under test has started polling
            await asyncio.sleep(0.05)
        run = Run(fake, updates, timeout)
        users = [fake.user(10_000 + n, f"Whānau {n}") for n in range(chats)]
        if kind == "echo":
            scripts = [[("text", f"kia ora {n}-{i}", f"kia ora {n}-{i}") for i in range(updates)] for n in range(chats)]
        else:
            scripts = [JOURNEY] * chats
        started = time.monotonic()
        await asyncio.gather(*(run.family(user, script) for user, script in zip(users, scripts, strict=True)))
        elapsed = time.monotonic() - started
        print(json.dumps(figures(run, kind, chats, updates, elapsed)), flush=True)
        await asyncio.to_thread(sys.stdin.read)


def figures(run: Run, kind: str, chats: int, updates: int, elapsed: float) -> dict:
    answered = len(run.latencies)
    ordered = sorted(run.latencies)
    return {
        "kind": kind, "chats": chats, "updates": updates - run.left, "answered": answered,
        "seconds": round(elapsed, 3), "updates_per_s": round(answered / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(statistics.median(ordered) * 1000, 2) if ordered else None,
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 2) if ordered else None,
        "failures": run.failures[:5], "failed_chats": len(run.failures),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kind", choices=["tono", "echo"], required=True)
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--updates", type=int, default=5000)
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args()
    asyncio.run(main(args.kind, args.chats, args.updates, args.timeout))
    sys.exit(0)
