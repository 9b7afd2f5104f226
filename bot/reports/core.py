"""Running a SQLAlchemy Core statement inside the session's transaction: reports read and write their rows
this way, in batches, never as one ORM object per row."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession


async def run(session: AsyncSession, statement, params=None):
    """Execute on the session's own connection (a list of params: executemany). Pending ORM changes are not
    flushed first: flush them before a statement that must see them."""
    return await (await session.connection()).execute(statement, params)
