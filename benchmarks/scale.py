"""Scale: seed 10 thousand, 100 thousand and a million family requests (with their people, events, agency
tasks, events and records), then time what people wait on at each size, so growth shows.

    python -m benchmarks.scale --sizes 10000,100000,1000000 --database sqlite|postgresql [--json]

Each size gets a fresh database migrated to head (tono.migrate), the demo logins (tono.demo) and the bulk
rows (benchmarks.seed); then each wait in benchmarks.queries runs --warmup times untimed and --repeat
times timed. A table per size shows the median and 95th percentile in milliseconds and any growing table
a statement read from end to end (its plan); a last table puts the sizes side by side. With --json the
tables go to stderr and one JSON object to stdout. PostgreSQL databases are made on
TONO_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres) and dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path

from sqlalchemy import func, select

from benchmarks import report
from benchmarks.plans import Recorder
from benchmarks.queries import waits
from benchmarks.report import growth, machine, say, table
from benchmarks.seed import TABLES, seed

POSTGRES = os.environ.get("TONO_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SECRET = "scale-benchmark-secret-0123456789-abcdefghijklmnop"
LARGE = 1000  # rows from which a full scan of a growing table is named in the tables


async def _admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(POSTGRES, timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextmanager
def fresh_database(database: str, size: int, keep: bool):
    """An empty database's URL: a SQLite file in a new folder, or a new PostgreSQL database."""
    if database == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix=f"tono-scale-{size}-"))
        try:
            yield f"sqlite+aiosqlite:///{folder / 'tono.db'}"
        finally:
            if keep:
                say(f"  kept: sqlite+aiosqlite:///{folder / 'tono.db'}")
            else:
                shutil.rmtree(folder, ignore_errors=True)
        return
    name = f"tono_scale_{size}_{os.getpid()}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    url = f"{POSTGRES.rsplit('/', 1)[0].replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
    try:
        yield url
    finally:
        if keep:
            say(f"  kept: {url}")
        else:
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _settings(url: str, keys: Path):
    from tono.settings import load_settings

    return load_settings(TONO_DATABASE_URL=url, TONO_KEYS_DIR=str(keys), TONO_SECRET_KEY=SECRET, TONO_ROLE="both")


async def load(url: str, size: int, keys: Path) -> dict:
    """The demo's logins, units and officers, then `size` requests and all around them."""
    from agency.models import Officer
    from protocol import deadlines
    from protocol.agreement import load_agreement
    from protocol.clock import nz_today
    from tono.database import make_engine
    from tono.demo import seed_demo

    agreement = load_agreement()
    await seed_demo(_settings(url, keys), agreement)
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            officers = {unit: officer for officer, unit in (await conn.execute(
                select(Officer.id, Officer.unit_id).order_by(Officer.id.desc()))).all()}
        horizon = deadlines.add_working_days(nz_today(), agreement.service_levels.reminder_before_due_working_days)
        return await seed(engine, size, horizon, officers)
    finally:
        await engine.dispose()


async def row_counts(url: str) -> dict[str, int]:
    from tono.database import make_engine

    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return {t.name: (await conn.execute(select(func.count()).select_from(t))).scalar_one() for t in TABLES}
    finally:
        await engine.dispose()


def _ms(seconds: list[float], q: float) -> float:
    """The q-quantile in milliseconds (0.5: the median)."""
    if q == 0.5:
        return round(1000 * statistics.median(seconds), 2)
    ordered = sorted(seconds)
    return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


async def measure(url: str, size: int, keys: Path, rows: dict[str, int], args: argparse.Namespace) -> list[dict]:
    from protocol.agreement import load_agreement
    from tono.app import create_app

    app = create_app(_settings(url, keys), load_agreement(), start_telegram=False, run_loops=False)
    recorder = Recorder(app.state.engine)
    large = {name for name, count in rows.items() if count >= LARGE}
    results = []
    try:
        catalogue = await waits(app, size)
        if args.gc_freeze:
            # What a server gains by freezing its start-up objects: full collections stop walking them.
            gc.collect()
            gc.freeze()
        for wait in catalogue:
            for i in range(args.warmup):
                await wait.run(i)
            times = []
            for i in range(args.warmup, args.warmup + args.repeat):
                with recorder.recording() if i == args.warmup else nullcontext():
                    started = time.perf_counter()
                    await wait.run(i)
                    times.append(time.perf_counter() - started)
            plans = await recorder.plans(large)
            scans = sorted({table for plan in plans for table in plan.full_scans})
            results.append({"name": wait.name, "what": wait.what, "median_ms": _ms(times, 0.5),
                            "p95_ms": _ms(times, 0.95), "statements": len(recorder.statements), "full_scans": scans})
            if args.explain:
                say(f"\n-- {wait.name}: {wait.what}")
                for plan in plans:
                    say(f"   {plan.statement[:400]}", *(f"      {line}" for line in plan.lines))
            if args.profile and args.profile in wait.name:
                await _profile(wait, args.warmup + args.repeat)
    finally:
        gc.unfreeze()
        await app.state.engine.dispose()
    return results


async def _profile(wait, start: int) -> None:
    """Where one wait's time goes, in Python and in awaiting the database (pyinstrument, a dev extra)."""
    from pyinstrument import Profiler

    profiler = Profiler(async_mode="enabled", interval=0.0005)
    with profiler:
        for i in range(start, start + 10):
            await wait.run(i)
    say(f"\n-- profile of 10 × {wait.name}", profiler.output_text(unicode=True, show_all=False))


def run(args: argparse.Namespace) -> dict:
    from tono import migrate

    runs, about = [], None
    with tempfile.TemporaryDirectory(prefix="tono-scale-keys-") as keys:
        targets = [(None, args.url)] if args.url else [(size, None) for size in args.sizes]
        for size, url in targets:
            with (fresh_database(args.database, size, args.keep) if url is None else nullcontext(url)) as url:
                migrate.upgrade(url)
                seconds = None
                if size is not None:
                    started = time.perf_counter()
                    asyncio.run(load(url, size, Path(keys)))
                    seconds = time.perf_counter() - started
                rows = asyncio.run(row_counts(url))
                size = size if size is not None else rows["provider_request"]
                about = about or machine(args.database, url)
                results = asyncio.run(measure(url, size, Path(keys), rows, args))
            table(args.database, size, rows, seconds, results)
            runs.append({"requests": size, "rows": rows, "total_rows": sum(rows.values()),
                         "seed_s": round(seconds, 1) if seconds is not None else None, "queries": results})
    growth(runs)
    return {"benchmark": "scale", "database": args.database, "repeat": args.repeat, "warmup": args.warmup,
            "gc_freeze": args.gc_freeze, "machine": about, "sizes": runs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000",
                        type=lambda v: [int(s.replace("_", "")) for s in v.split(",") if s.strip()],
                        help="numbers of family requests, comma-separated (default 10000,100000,1000000)")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--repeat", type=int, default=30, help="timed repetitions of each wait (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed repetitions first (default 3)")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout; the tables go to stderr")
    parser.add_argument("--explain", action="store_true", help="print every statement's plan")
    parser.add_argument("--profile", metavar="WORDS", help="profile the waits whose names contain WORDS")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="gc.freeze() the app's start-up objects before timing (see BENCHMARKS.md)")
    parser.add_argument("--keep", action="store_true", help="keep each database and print its URL")
    parser.add_argument("--url", help="measure this already seeded database (upgraded to head first)")
    args = parser.parse_args(argv)
    if args.url:
        args.database = "sqlite" if args.url.startswith("sqlite") else "postgresql"
    report.out = sys.stderr if args.json else sys.stdout
    figures = run(args)
    if args.json:
        print(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
