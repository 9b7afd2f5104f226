"""Moving a provider request through the lifecycle: ask protocol.lifecycle whether the move is
allowed, change the state, and append the hash-chained event, all in the caller's transaction.

Some events record something done to a request without moving it (from_state == to_state): a desk
opening it, staff linking it to the people it is from and about. They join the same chain, so the
history stays one tamper-evident list, and a family can be told who has seen their information."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.models import Request, RequestEvent
from protocol import lifecycle
from protocol.clock import utcnow
from protocol.history import after, jsonable, seal

# The events that move nothing, each with what it records. Frozen: the history's meaning depends on it.
STILL_EVENTS = {
    "opened": "Someone opened the request on a desk (who, in which role, and what they looked at).",
    "linked": "Staff linked the request to the person asking and the person it is about.",
    "version_ready": "Another version of a delivered answer (a language or register) was written; the family was told.",
}
# The same person re-opening the same page within this time adds nothing to "who has seen it".
REOPEN_QUIET = timedelta(minutes=15)


async def _last_event(session: AsyncSession, request: Request) -> RequestEvent | None:
    return (await session.exec(
        select(RequestEvent).where(RequestEvent.request_id == request.id).order_by(RequestEvent.seq.desc()).limit(1)
    )).first()


async def _append(session: AsyncSession, request: Request, last: RequestEvent | None, *, trigger: str, role: str,
                  actor_label: str, from_state: str, to_state: str, detail: dict) -> RequestEvent:
    event = RequestEvent(request_id=request.id, at=utcnow(), actor_role=str(role), actor_label=actor_label[:100],
                         trigger=trigger, from_state=from_state, to_state=to_state, detail=jsonable(detail),
                         **after(last))
    request.history_head = seal(event)
    session.add_all([event, request])
    return event


async def move(session: AsyncSession, request: Request, trigger: str, role: str, actor_label: str = "",
               note: dict | None = None, **context: Any) -> RequestEvent:
    """Fire `trigger` as `role`; raises lifecycle.IllegalMove (and changes nothing) when not allowed."""
    step = lifecycle.fire(request.state, trigger, role, **context)
    event = await _append(session, request, await _last_event(session, request), trigger=trigger, role=role,
                          actor_label=actor_label, from_state=step.source, to_state=step.dest,
                          detail={**dict(step.context), **(note or {})})
    request.state = step.dest
    request.updated_at = event.at
    session.add(request)
    await session.flush()
    return event


async def record_still(session: AsyncSession, request: Request, trigger: str, role: str, actor: str,
                       detail: dict) -> RequestEvent:
    """Append an event that moves nothing (one of STILL_EVENTS) to the request's chain."""
    if trigger not in STILL_EVENTS:
        raise ValueError(f"'{trigger}' is not an event that leaves a request where it is.")
    lifecycle.Role(role)  # an unknown role is a programming error: say so rather than store it
    event = await _append(session, request, await _last_event(session, request), trigger=trigger, role=role,
                          actor_label=actor, from_state=request.state, to_state=request.state, detail=detail)
    await session.flush()
    return event


async def record_opening(session: AsyncSession, request: Request, role: str, actor: str,
                         what: str) -> RequestEvent | None:
    """Note that `actor` (in `role`) opened the request (`what`: e.g. "request page"). None, and nothing
    added, when the last event is that actor's own from moments ago (they opened it, or acted on it and
    came back to it): another line would say nothing new about who has seen it."""
    last = await _last_event(session, request)
    if (last is not None and last.actor_role == role and last.actor_label == actor[:100]
            and utcnow() - last.at < REOPEN_QUIET
            and (last.trigger != "opened" or last.detail.get("what") == what)):
        return None
    return await record_still(session, request, "opened", role, actor, {"what": what})
