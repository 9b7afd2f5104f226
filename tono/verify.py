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
                # Each request names the newest event of its history (its head): a chain cut short, with its
                # newest events deleted, still links up, but no longer ends at the head.
                heads = dict((await session.exec(select(request_model.id, request_model.history_head))).all())
                rows = await session.exec(select(event_model).order_by(event_model.request_id, event_model.seq))
                for request_id, events in groupby(rows, key=lambda e: e.request_id):
                    events = list(events)
                    checked += 1
                    index = first_broken((e.prev_hash, e.hash, fields_of(e)) for e in events)
                    head = heads.pop(request_id, None)
                    if index is not None:
                        request = await session.get(request_model, request_id)
                        bad = events[index]
                        problems.append(f"{side} request {name(request)}: event {bad.seq} ({bad.trigger}, "
                                        f"{bad.at:%Y-%m-%d %H:%M}) does not match its hash chain; it or one before "
                                        "it was changed.")
                    elif head is not None and head != events[-1].hash:
                        request = await session.get(request_model, request_id)
                        problems.append(f"{side} request {name(request)}: its history ends at event "
                                        f"{events[-1].seq}, but the request records a newer one; events after "
                                        f"{events[-1].seq} were removed.")
                for request_id, head in heads.items():  # requests left with no events at all
                    if head:
                        checked += 1
                        request = await session.get(request_model, request_id)
                        problems.append(f"{side} request {name(request)}: it records a history, but every event "
                                        "of it was removed.")
    finally:
        await engine.dispose()
    return checked, problems
