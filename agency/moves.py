"""Moving the agency's copy of a request, and its units' tasks, through the agreed lifecycles, with a
hash-chained event for each move in the caller's transaction."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from agency.models import AgencyEvent, AgencyRequest, Task
from protocol import lifecycle, tasks
from protocol.clock import nz_today, utcnow
from protocol.history import after, jsonable, seal
from protocol.queue import Outbox


async def _append(session: AsyncSession, request_id: int, task_id: int | None, step, role: str, actor: str,
                  note: dict | None) -> AgencyEvent:
    last = (await session.exec(select(AgencyEvent).where(AgencyEvent.request_id == request_id)
                               .order_by(AgencyEvent.seq.desc()).limit(1))).first()
    event = AgencyEvent(request_id=request_id, task_id=task_id, at=utcnow(), actor_role=str(role), actor_label=actor,
                        trigger=step.trigger, from_state=step.source, to_state=step.dest,
                        detail=jsonable({**dict(step.context), **(note or {})}), **after(last))
    request = await session.get(AgencyRequest, request_id)
    request.history_head = seal(event)
    session.add_all([event, request])
    return event


async def move_request(session: AsyncSession, request: AgencyRequest, trigger: str, role: str, actor: str = "",
                       note: dict | None = None, *, for_task: int | None = None, **context: Any) -> AgencyEvent:
    """Fire a request trigger; lifecycle.IllegalMove (and no change) when not allowed. `for_task`: the task on
    whose behalf the request moved (a unit's clarification question, and the family's answer to it), so only that
    unit sees the event (agency.desk.store.history)."""
    step = lifecycle.fire(request.state, trigger, role, **context)
    request.state = step.dest
    session.add(request)
    return await _append(session, request.id, for_task, step, role, actor, note)


async def move_task(session: AsyncSession, task: Task, trigger: str, role: str, actor: str = "",
                    note: dict | None = None, **context: Any) -> AgencyEvent:
    """Fire a task trigger; tasks.IllegalMove (and no change) when not allowed."""
    step = tasks.fire_task(task.state, trigger, role, **context)
    task.state = step.dest
    session.add(task)
    return await _append(session, task.request_id, task.id, step, role, actor, note)


async def record_opening(session: AsyncSession, request_id: int, task_id: int | None, role: str, actor: str,
                         what: str, outbox: Outbox | None = None, officer_role: str = "") -> AgencyEvent:
    """Opening a family's records is itself an event, so the family can be told who has seen them; with
    an outbox, the provider is told too (the unit, the day and the officer's role in the unit when they
    have one from the agreement's seen_by, never the officer's name)."""
    if outbox is not None and task_id is not None:
        request, task = await session.get(AgencyRequest, request_id), await session.get(Task, task_id)
        body = {"unit": task.unit_id, "opened_on": nz_today().isoformat()}
        if officer_role:
            body["role"] = officer_role
        await outbox.send(session, type="records.opened", recipient=request.provider, request=request.provider_ref,
                          body=body)

    seen = SimpleNamespace(trigger="opened", source="", dest="", context={"what": what})  # changes no state
    return await _append(session, request_id, task_id, seen, role, actor, None)
