"""How the scale benchmark says what it found: a table per size, the sizes side by side, the machine."""

from __future__ import annotations

import asyncio
import os
import platform
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

out = sys.stdout  # stderr when stdout carries the JSON


def say(*lines: str) -> None:
    print(*lines, sep="\n", file=out, flush=True)


def table(database: str, size: int, rows: dict[str, int], seconds: float | None, results: list[dict]) -> None:
    seeded = f"seeded in {seconds:.1f} s" if seconds is not None else "already seeded"
    say("", f"== {database} · {size:,} requests · {sum(rows.values()):,} rows ({seeded}) ==",
        f"{'query':<34}{'median ms':>11}{'p95 ms':>10}  statements  full scans")
    for r in results:
        say(f"{r['name']:<34}{r['median_ms']:>11.1f}{r['p95_ms']:>10.1f}  {r['statements']:>10}  "
            f"{', '.join(r['full_scans']) or '-'}")


def growth(runs: list[dict]) -> None:
    say("", "== growth: median ms (p95) by size ==",
        f"{'query':<34}" + "".join(f"{run['requests']:>18,}" for run in runs))
    for k, first in enumerate(runs[0]["queries"]):
        cells = "".join(f"{run['queries'][k]['median_ms']:>9.1f} ({run['queries'][k]['p95_ms']:>5.1f})" for run in runs)
        say(f"{first['name']:<34}{cells}")


def machine(database: str, url: str | None) -> dict:
    info = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "nproc": os.cpu_count(),
            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            # Others' work on a shared machine shows in the figures: say how busy it was.
            "load_average": [round(x, 2) for x in os.getloadavg()]}
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        info["cpu"] = next(line.split(":", 1)[1].strip() for line in cpuinfo.splitlines()
                           if line.startswith("model name"))
        meminfo = Path("/proc/meminfo").read_text().split()
        info["memory_gb"] = round(int(meminfo[meminfo.index("MemTotal:") + 1]) / 1024 / 1024, 1)
    except (OSError, StopIteration, ValueError):
        pass  # not Linux: the figures still stand, with less said about the machine
    if database == "postgresql" and url:
        info["postgresql"] = asyncio.run(_server_version(url))
    return info


async def _server_version(url: str) -> str:
    from tono.database import make_engine

    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(text("SHOW server_version"))).scalar_one()
    finally:
        await engine.dispose()
