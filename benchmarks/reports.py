"""Reports: one month's attendance report for N participants (8 rows each: 80,000 rows for 10,000 people)
prepared, approved (its parts signed into the outbox), sent, applied whole by the unit, and marked received
back at the provider; timed end to end, with the resident memory it took above what the process held before.

    python -m benchmarks.reports --participants 10000 --database sqlite|postgresql --transport sql|http [--json]

`sql`: both organisations in one process on one database, the queue moved as `tono run` moves it. `http`: each
organisation its own database and its own signing key, the parts pushed to the other's /protocol/inbox over
loopback HTTP (uvicorn, in this process: its memory counts both sides). The programme data is loaded first
and not timed. Targets (issue #18): at most 10 s end to end, at most 200 MB above the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import socket
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import uvicorn
import yaml
from fastapi import FastAPI
from sqlalchemy import insert, select

from benchmarks.chat_load import resident_mb
from benchmarks.scale import fresh_database, say

PERIOD = "2027-01"
TODAY = date(2027, 2, 22)
SESSIONS = [date(2027, 1, 19), date(2027, 1, 26)]  # two Tuesdays of group sessions
VISITS_EACH = 6  # home visits, every fourth day from early January: 8 rows a person in all


def agreement_with_keys(folder: Path):
    """The bundled agreement with real keys for both parties, each private key in its own folder."""
    from protocol.agreement import DEFAULT_AGREEMENT_PATH, load_agreement
    from tono.keys import generate_key_files

    data = yaml.safe_load(DEFAULT_AGREEMENT_PATH.read_text(encoding="utf-8"))
    for party in data["parties"]:
        data["parties"][party]["public_key"] = generate_key_files(folder / party, party)[1]
    path = folder / "agreement.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_agreement(path)


async def load(sessions, agreement, participants: int) -> None:
    """N people with a participant id, and their month of attendance, written in bulk (not timed)."""
    from bot.models import Family, Person, StaffAccount
    from bot.records.tables import ProgrammeRecord
    from protocol.field_values import row_key
    from tono.agreement_setup import set_up_units

    holding = agreement.holding("attendance")
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        await set_up_units(session, agreement)
        session.add(StaffAccount(login="kaimahi", display_name="Benchmark staff", password_hash="-"))
        session.add(Family(ref="F-0001", name="Benchmark family"))
        await session.flush()
        family = (await session.exec(select(Family.id))).one()[0]
        conn = await session.connection()
        for start in range(0, participants, 2000):
            await conn.execute(insert(Person.__table__), [
                {"ref": f"P-{n:06d}", "participant_id": f"BFF-P-{n:06d}", "family_id": family, "given_name": f"G{n}",
                 "family_name": "Bench", "is_young_person": False, "language": "en", "created_at": now}
                for n in range(start, min(start + 2000, participants))])
        ids = (await conn.execute(select(Person.__table__.c.id).order_by(Person.__table__.c.id))).scalars().all()
        batch = []
        for person in ids:
            first_visit = date(2027, 1, 4) + timedelta(days=person % 4)
            days = [(day, "group session") for day in SESSIONS] + [
                (first_visit + timedelta(days=4 * n), "home visit") for n in range(VISITS_EACH)]
            for day, kind in days:
                values = {"session_date": day.isoformat(), "session": kind, "attended": "yes"}
                batch.append({"holding": "attendance", "person_id": person, "row_key": row_key(holding, values),
                              "values": values, "revision": 1, "recorded_by": "import", "recorded_at": now,
                              "updated_at": now})
            if len(batch) >= 8000:
                await conn.execute(insert(ProgrammeRecord.__table__), batch)
                batch = []
        if batch:
            await conn.execute(insert(ProgrammeRecord.__table__), batch)


class PeakMemory:
    """The highest resident memory seen, sampled every 20 ms while the run goes on."""

    def __init__(self) -> None:
        self.peak = resident_mb()
        self._task: asyncio.Task | None = None

    async def _watch(self) -> None:
        while True:
            self.peak = max(self.peak, resident_mb())
            await asyncio.sleep(0.02)

    def __enter__(self) -> PeakMemory:
        self._task = asyncio.get_running_loop().create_task(self._watch())
        return self

    def __exit__(self, *_exc) -> None:
        self.peak = max(self.peak, resident_mb())
        self._task.cancel()


async def _received(sessions, ref: str) -> bool:
    from bot.reports.tables import Report

    async with sessions() as session:
        return (await session.exec(select(Report.state).where(Report.ref == ref))).one()[0] == "received"


async def _serve(apps: list[FastAPI], socks: list[socket.socket]) -> list[uvicorn.Server]:
    servers = [uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False))
               for app in apps]
    for server, sock in zip(servers, socks, strict=True):
        asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
    while not all(server.started for server in servers):
        await asyncio.sleep(0.01)
    return servers


async def measure(urls: list[str], participants: int, transport: str, folder: Path) -> dict:
    from bot.reports.approving import approve
    from bot.reports.preparing import prepare
    from linkqueue.http import inbox_router
    from tono.database import make_engine, make_sessionmaker
    from tono.link import Link, PeerLink

    agreement = agreement_with_keys(folder)
    engines = [make_engine(url) for url in urls]
    provider_sessions = make_sessionmaker(engines[0])
    agency_sessions = make_sessionmaker(engines[-1])
    await load(provider_sessions, agreement, participants)
    if transport == "http":
        from tono.agreement_setup import set_up_units
        from tono.first_hour import bind_port

        async with agency_sessions.begin() as session:
            await set_up_units(session, agreement)
        socks = [bind_port("127.0.0.1", 0) for _ in range(2)]  # as `tono run` binds
        addresses = [f"http://127.0.0.1:{sock.getsockname()[1]}" for sock in socks]
        provider = PeerLink("provider", provider_sessions, agreement, folder / "ccss", addresses[1], lambda: TODAY)
        agency = PeerLink("agency", agency_sessions, agreement, folder / "agency", addresses[0], lambda: TODAY)
        apps = []
        for end in (provider.end, agency.end):
            app = FastAPI()
            app.include_router(inbox_router(end))
            apps.append(app)
        servers = await _serve(apps, socks)
        links, outbox = [provider, agency], provider.end
    else:
        keys = folder / "both"
        for party in ("ccss", "agency"):
            keys.mkdir(exist_ok=True)
            (keys / f"{party}.pem").write_bytes((folder / party / f"{party}.pem").read_bytes())
        link = Link(provider_sessions, agreement, keys, today=lambda: TODAY)
        servers, links, outbox = [], [link], link.provider
    gc.collect()
    before = resident_mb()
    steps: dict[str, float] = {}
    started = time.perf_counter()
    with PeakMemory() as memory:
        async with provider_sessions.begin() as session:
            report = await prepare(session, agreement, "attendance", PERIOD, bytes(32), prepared_by="kaimahi")
            ref, rows = report.ref, report.rows
        steps["prepared_s"] = round(time.perf_counter() - started, 2)
        async with provider_sessions.begin() as session:
            sent = await approve(session, agreement, ref, login="kaimahi", outbox=outbox, today=TODAY)
        steps["approved_and_signed_s"] = round(time.perf_counter() - started, 2)
        while not await _received(provider_sessions, ref):
            for link in links:
                await link.step()
        elapsed = time.perf_counter() - started
    for server in servers:
        server.should_exit = True
    for link in links:
        await link.aclose()
    for engine in engines:
        await engine.dispose()
    return {"benchmark": "reports", "participants": participants, "rows": rows, "parts": sent.parts,
            "transport": transport, "end_to_end_s": round(elapsed, 2), **steps,
            "memory_above_baseline_mb": round(memory.peak - before, 1), "rss_before_mb": before,
            "machine": {"nproc": os.cpu_count(), "python": platform.python_version()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--transport", choices=("sql", "http"), default="sql")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    from tono import migrate

    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="tono-reports-") as folder:
        count = 2 if args.transport == "http" else 1
        urls = [stack.enter_context(fresh_database(args.database, args.participants + n, keep=False))
                for n in range(count)]
        for url in urls:
            migrate.upgrade(url)
        result = asyncio.run(measure(urls, args.participants, args.transport, Path(folder)))
    result["database"] = args.database
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            say(f"{key:>26}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
