"""Real HTTP servers on loopback for the queue's tests: an ASGI app served by uvicorn in the test's own
event loop, on a port bound before it starts (so two tests never race for one)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI

from linkqueue.http import inbox_router
from tono.first_hour import bind_port


def free_port() -> int:
    """A port nothing listens on now (for a server in another process, which must bind it itself)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@asynccontextmanager
async def serving(app, sock: socket.socket | None = None) -> AsyncIterator[str]:
    """Serve `app` with uvicorn in this event loop; yields its base URL, and stops it afterwards."""
    async with serving_all([app], [sock]) as (url,):
        yield url


@asynccontextmanager
async def serving_all(apps: list, socks: list[socket.socket | None] | None = None) -> AsyncIterator[list[str]]:
    """Serve several apps at once; stopping them together saves a test uvicorn's shutdown pauses."""
    socks = [sock or _loopback_socket() for sock in socks or [None] * len(apps)]
    servers = [uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False))
               for app in apps]
    tasks = [asyncio.create_task(server.serve(sockets=[sock])) for server, sock in zip(servers, socks, strict=True)]
    try:
        while not all(server.started for server in servers):
            for task in tasks:
                if task.done():
                    task.result()
            await asyncio.sleep(0.01)
        yield [f"http://127.0.0.1:{sock.getsockname()[1]}" for sock in socks]
    finally:
        for server in servers:
            server.should_exit = True
        await asyncio.gather(*tasks)
        for sock in socks:
            sock.close()


def _loopback_socket() -> socket.socket:
    return bind_port("127.0.0.1", 0)  # as `tono run` binds, TCP_NODELAY included


def inbox_app(end, **options) -> FastAPI:
    """An app with nothing but one queue end's inbox, as the other organisation's server would have."""
    app = FastAPI()
    app.include_router(inbox_router(end, **options))
    return app
