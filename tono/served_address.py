"""Where the web chat is: the address a running `tono run` serves on, recorded in the database so that
`tono enrol` prints a link that works for the server that is running (`make run PORT=8123` → …:8123/chat/).

`tono enrol` takes the first of: its --url, TONO_PUBLIC_URL, the address `tono run` recorded last, and the
address `tono run` serves on by default (tono/enrol.py). A server that has stopped leaves its address: it is
still the best guess, as the operator starts it again the same way. Several processes on one database
(docs/postgresql.md) each record theirs as they start, the last one standing; there TONO_PUBLIC_URL says it."""

from __future__ import annotations

import ipaddress
from datetime import datetime

from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from protocol.clock import utcnow

DEFAULT_BASE = "http://127.0.0.1:8000"  # `tono run`'s own defaults (tono/cli.py)
THE_ROW = 1  # one address: the one served on last


class ServedAddress(SQLModel, table=True):
    """The base address of the web chat as `tono run` last served it, e.g. http://127.0.0.1:8123."""

    __tablename__ = "provider_served_address"

    id: int = Field(default=THE_ROW, primary_key=True)
    base_url: str = Field(max_length=300)
    recorded_at: datetime = Field(default_factory=utcnow)


def base_for(host: str, port: int) -> str:
    """The address a person on this machine opens for a server listening on host:port: one listening on every
    address (0.0.0.0, ::) is reached at this machine's own, 127.0.0.1."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return f"http://{host}:{port}"  # a name, e.g. localhost
    if address.is_unspecified:
        return f"http://127.0.0.1:{port}"
    return f"http://[{address}]:{port}" if address.version == 6 else f"http://{address}:{port}"


async def record(session: AsyncSession, host: str, port: int) -> None:
    """`tono run`: remember where the web chat is served, for `tono enrol`."""
    row = await session.get(ServedAddress, THE_ROW) or ServedAddress()
    row.base_url, row.recorded_at = base_for(host, port), utcnow()
    session.add(row)


async def recorded_base(session: AsyncSession) -> str:
    """The address `tono run` recorded last, or its default when it never ran on this database."""
    row = await session.get(ServedAddress, THE_ROW)
    return row.base_url if row is not None else DEFAULT_BASE
