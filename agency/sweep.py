"""The agency's deadline sweep: mark open tasks whose statutory due date is near, so each unit's queue
shows a reminder, once per task."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select

from agency.models import Task
from protocol import deadlines
from protocol.agreement import Agreement
from protocol.tasks import OPEN_TASK_STATES


async def sweep(sessions: async_sessionmaker, agreement: Agreement, today: date) -> int:
    horizon = deadlines.add_working_days(today, agreement.service_levels.reminder_before_due_working_days)
    reminded = 0
    async with sessions.begin() as session:
        due_soon = await session.exec(select(Task).where(
            Task.state.in_(OPEN_TASK_STATES), Task.due_on <= horizon, Task.reminded_on.is_(None)).with_for_update())
        for task in due_soon:
            task.reminded_on = today
            session.add(task)
            reminded += 1
    return reminded
