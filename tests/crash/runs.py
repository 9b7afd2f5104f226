"""One run of the journey on its own server and fake Telegram, killed as its plan says (or not at all, for
the reference), and the counts of many runs put together for the report."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tests.crash.chaos import PHASES, Chaos, Kill
from tests.crash.end_state import EndState, compare_messages, family_messages, quiet, read_end_state
from tests.crash.harness import RecordingTelegram, Server, Template
from tests.crash.journey import CHAT_ID, Effort, Journey, Stuck

QUIET_LIMIT = 90.0  # seconds for the last messages to settle after the family has the copies


@dataclass
class Run:
    index: int
    seed: int | None
    plan: list[Kill]
    seconds: float = 0.0
    kills: Counter = field(default_factory=Counter)
    restarts: int = 0
    lost_updates: int = 0
    effort: Effort = field(default_factory=Effort)
    end: EndState | None = None
    messages: list[tuple] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


async def one_run(folder: Path, template: Template, index: int, seed: int | None, plan: list[Kill]) -> Run:
    """The journey from the chat to the copies; with a plan, killed and restarted as it says."""
    run = Run(index, seed, list(plan))
    started = time.monotonic()
    async with RecordingTelegram() as telegram:
        server = Server(folder, template, telegram)
        chaos = Chaos(server, telegram, list(plan), random.Random(seed)) if seed is not None else None
        journey = Journey(server, telegram, template, chaos)
        server.start()
        try:
            if chaos is not None:
                chaos.start()
            await journey.run()
            if chaos is not None:
                await chaos.settle()
            await _until_quiet(server)
        except AssertionError as failed:  # stuck, a server that died by itself, a refusal that makes no sense
            run.problems.append(f"{type(failed).__name__}: {failed}")
        finally:
            if chaos is not None:
                await chaos.settle()
            await server.stop()
        run.seconds = time.monotonic() - started
        run.restarts, run.effort = server.starts - 1, journey.effort
        if chaos is not None:
            run.kills, run.lost_updates = chaos.kills, len(chaos.lost_updates)
        run.end = read_end_state(server)
        run.end.broken_chains = await server.verify_events()
        run.messages = family_messages(telegram, CHAT_ID)
    return run


async def _until_quiet(server: Server) -> None:
    deadline = time.monotonic() + QUIET_LIMIT
    while time.monotonic() < deadline:
        server.check_alive()
        if quiet(server):
            await asyncio.sleep(1.0)  # a late copy, if one were coming, would show now
            if quiet(server):
                return
        await asyncio.sleep(0.2)
    raise Stuck(f"messages still waiting after {QUIET_LIMIT} s\n{server.log_tail()}")


def judge(run: Run, reference: Run) -> dict:
    """Compare a run with the reference; record what is wrong in run.problems; return its counts."""
    end, ref = run.end, reference.end
    difference = compare_messages(reference.messages, run.messages)
    duplicates = sum(difference.extra.values())
    resends = sum(end.in_doubt.values())
    unexplained = [m for m in difference.extra if m[1] not in end.in_doubt]
    expected = ref.comparable()
    for part, value in end.comparable().items():
        if value != expected[part]:
            run.problems.append(f"{part} differ: {_brief(value)} where the reference has {_brief(expected[part])}")
    if difference.lost:
        run.problems.append(f"the family never got: {list(difference.lost)}")
    if difference.out_of_order:
        run.problems.append(f"the family's messages came in another order: {_brief(run.messages)} where the "
                            f"reference has {_brief(reference.messages)}")
    if unexplained or duplicates > resends:
        run.problems.append(f"repeated without a sender dying mid-send: {unexplained or difference.extra}")
    if end.unsent_notifications or end.broken_chains:
        run.problems.append(f"unsent: {end.unsent_notifications}; broken chains: {end.broken_chains}")
    applied = {side: Counter(end.queue[side]["applied"]) - Counter(ref.queue[side]["applied"])
               for side in ("provider", "agency")}
    return {"lost": sum(difference.lost.values()), "duplicates": duplicates, "in_doubt": resends,
            "applied_twice": {side: sum(extra.values()) for side, extra in applied.items()}}


def _brief(value) -> str:
    """Enough of a part of the end state to see what differs: message texts and notification ids shortened."""
    if isinstance(value, list) and value and isinstance(value[0], tuple) and value[0][0] in ("sendMessage",
                                                                                           "sendDocument"):
        return repr([m[1][:25] for m in value])
    if isinstance(value, list) and value and isinstance(value[0], tuple) and isinstance(value[0][0], dict):
        return repr([n[0].get("msgid", n[0].get("plain", ""))[:25] for n in value])
    return repr(value)[:3000]


def summarise(runs: list[Run], reference: Run, seed: int) -> dict:
    counts = [judge(run, reference) for run in runs]
    kills = Counter()
    for run in runs:
        kills.update(run.kills)
    delivered = [r for r in runs if r.end and r.end.requests and r.end.requests[0][2] == "delivered"]
    return {
        "seed": seed,
        "runs": len(runs),
        "kills": sum(kills.values()),
        "kills_per_phase": {phase: kills[phase] for phase in PHASES},
        "restarts": sum(r.restarts for r in runs),
        "requests_completed": len([r for r in delivered if not r.problems]),
        "requests": len(runs),
        "lost_to_family": sum(c["lost"] for c in counts),
        "duplicates_to_family": sum(c["duplicates"] for c in counts),
        "in_doubt_resends": sum(c["in_doubt"] for c in counts),
        "duplicates_applied_at_agency": sum(c["applied_twice"]["agency"] for c in counts),
        "duplicates_applied_at_provider": sum(c["applied_twice"]["provider"] for c in counts),
        "family_updates_lost_by_a_kill": sum(r.lost_updates for r in runs),
        "family_presses_repeated": sum(r.effort.family_repeats for r in runs),
        "api_calls_retried": sum(r.effort.retried_calls for r in runs),
        "retries_found_already_done": sum(r.effort.already_done for r in runs),
        "reference_seconds": round(reference.seconds, 1),
        "seconds_per_run": {"mean": round(sum(r.seconds for r in runs) / max(1, len(runs)), 1),
                            "max": round(max((r.seconds for r in runs), default=0), 1)},
        "per_run": [{"run": r.index, "seed": r.seed, "kills": dict(r.kills), "seconds": round(r.seconds, 1),
                     "duplicates": c["duplicates"], "in_doubt": c["in_doubt"], "updates_lost": r.lost_updates}
                    for r, c in zip(runs, counts, strict=True)],
        "failed_runs": [{"run": r.index, "seed": r.seed, "plan": [k.__dict__ for k in r.plan],
                         "problems": [p[:2000] for p in r.problems]} for r in runs if r.problems],
    }
