"""Issue #7's crash test: `tono run` is killed with SIGKILL at random points of the journey (during the
relay, during an agency answer, during delivery, now and then during the family's chat or at any moment)
and started again on the same database, over many runs. Every run must end where an uninterrupted run
ends, with nothing lost and nothing done twice, to the family or at the agency. The one allowed repeat is
a family message whose sender died between Telegram taking it and the outbox recording it (counted in
`in_doubt`; the Bot API has no idempotency key).

TONO_CRASH_RUNS (default 3) sets how many killed runs, TONO_CRASH_PARALLEL (default 4) how many at once,
TONO_CRASH_SEED the seed (run n uses seed + n: a failing run's seed S is in the report, and
TONO_CRASH_SEED=S-1 TONO_CRASH_RUNS=1 plans its kills again). The counts are printed and written to
test-artifacts/crash-report.json.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
from pathlib import Path

import pytest

from tests.crash.chaos import plan_kills
from tests.crash.harness import build_template
from tests.crash.runs import one_run, summarise

pytestmark = pytest.mark.slow
RUNS = int(os.environ.get("TONO_CRASH_RUNS", "3"))
PARALLEL = int(os.environ.get("TONO_CRASH_PARALLEL", "4"))  # the reference counts as one
JOURNEY_SECONDS = 45.0  # about how long a run takes here: random-moment kills fall within it
REPORT = Path(__file__).resolve().parents[2] / "test-artifacts" / "crash-report.json"


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return build_template(tmp_path_factory.mktemp("crash") / "template")


async def test_after_kills_at_random_points_every_request_ends_as_an_uninterrupted_run_does(template, tmp_path):
    seed = int(os.environ.get("TONO_CRASH_SEED") or random.randrange(1_000_000))
    plans = [(seed + n, plan_kills(random.Random(seed + n), JOURNEY_SECONDS)) for n in range(1, RUNS + 1)]
    room = asyncio.Semaphore(PARALLEL)

    async def run(n: int, run_seed: int | None, plan):
        async with room:
            return await one_run(tmp_path / f"run-{n}", template, n, run_seed, plan)

    # The reference goes alongside the killed runs, under the same load.
    reference, *runs = await asyncio.gather(run(0, None, []), *(run(n, s, p) for n, (s, p) in enumerate(plans, 1)))

    assert not reference.problems, reference.problems
    assert reference.end.requests[0][2] == "delivered"
    assert any(method == "sendDocument" for method, *_ in reference.messages), "the family got the copies"
    # Without a kill nothing is sent again, however long pacing holds a turn's replies past their lease.
    assert reference.end.in_doubt == {}, f"sent again without a crash: {reference.end.in_doubt}"
    summary = summarise(runs, reference, seed)

    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    print("\nCRASH REPORT", json.dumps({k: v for k, v in summary.items() if k not in ("per_run", "failed_runs")},
                                      indent=2))
    assert summary["failed_runs"] == [], json.dumps(summary["failed_runs"], indent=2, ensure_ascii=False)
    assert summary["kills"] > 0
    assert (summary["lost_to_family"], summary["duplicates_applied_at_agency"]) == (0, 0)
    assert summary["family_updates_lost_by_a_kill"] == 0, "a press Telegram had handed over died with the bot"
    assert summary["duplicates_to_family"] <= summary["in_doubt_resends"]
