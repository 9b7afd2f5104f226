"""`tono verify-events`: check every request's hash-chained history, on both sides, and name the first
event that does not check out (DESIGN.md §8)."""

from __future__ import annotations

from itertools import groupby

from sqlmodel import select

from agency.models import AgencyEvent, AgencyRequest
from bot.models import Request, RequestEvent
from protocol.history import fields_of, first_broken
from tono.database import make_engine, make_sessionmaker
from tono.settings import Settings


async def broken_chains(settings: Settings) -> tuple[int, list[str]]:
    """(how many chains were checked, one sentence per broken chain)."""
    engine = make_engine(settings.database_url)
    problems: list[str] = []
    checked = 0
    try:
        async with make_sessionmaker(engine)() as session:
            for side, event_model, request_model, name in (
                    ("provider", RequestEvent, Request, lambda r: r.ref),
                    ("agency", AgencyEvent, AgencyRequest, lambda r: f"{r.provider_ref} (agency copy)")):
                rows = await session.exec(select(event_model).order_by(event_model.request_id, event_model.seq))
                for request_id, events in groupby(rows, key=lambda e: e.request_id):
                    events = list(events)
                    checked += 1
                    index = first_broken((e.prev_hash, e.hash, fields_of(e)) for e in events)
                    if index is not None:
                        request = await session.get(request_model, request_id)
                        bad = events[index]
                        problems.append(f"{side} request {name(request)}: event {bad.seq} ({bad.trigger}, "
                                        f"{bad.at:%Y-%m-%d %H:%M}) does not match its hash chain; it or one before "
                                        "it was changed.")
    finally:
        await engine.dispose()
    return checked, problems
