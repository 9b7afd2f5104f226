"""Moving a provider request through the lifecycle: ask protocol.lifecycle whether the move is
allowed, change the state, and append the hash-chained event, all in the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.models import Request, RequestEvent
from protocol import lifecycle
from protocol.clock import utcnow
from protocol.history import GENESIS, event_hash, fields_of, jsonable


async def move(session: AsyncSession, request: Request, trigger: str, role: str, actor_label: str = "",
               note: dict | None = None, **context: Any) -> RequestEvent:
    """Fire `trigger` as `role`; raises lifecycle.IllegalMove (and changes nothing) when not allowed."""
    step = lifecycle.fire(request.state, trigger, role, **context)
    last = (await session.exec(
        select(RequestEvent).where(RequestEvent.request_id == request.id).order_by(RequestEvent.seq.desc()).limit(1)
    )).first()
    event = RequestEvent(
        request_id=request.id, seq=(last.seq + 1) if last else 1, at=utcnow(), actor_role=str(role),
        actor_label=actor_label, trigger=trigger, from_state=step.source, to_state=step.dest,
        detail=jsonable({**dict(step.context), **(note or {})}), prev_hash=last.hash if last else GENESIS,
    )
    event.hash = event_hash(event.prev_hash, fields_of(event))
    request.state = step.dest
    request.updated_at = event.at
    session.add(event)
    session.add(request)
    await session.flush()
    return event
