"""The one ASGI app: health now; the web chat, the desks, the webhook and the protocol inbox join it."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import text

from protocol.agreement import Agreement
from tono import migrate
from tono.database import make_engine, make_sessionmaker
from tono.settings import Settings


def create_app(settings: Settings, agreement: Agreement) -> FastAPI:
    """Wire everything Tono serves into one app, from settings already checked at start-up."""
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        await engine.dispose()

    app = FastAPI(title="Tono", summary="Ask what information is held about you, check it, get it fixed.",
                  lifespan=lifespan)
    app.state.settings = settings
    app.state.agreement = agreement
    app.state.engine = engine
    app.state.sessions = make_sessionmaker(engine)

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict:
        """Whether Tono is up and its database answers at the migration this code needs."""
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        current = await migrate.current_revision(engine)
        return {
            "status": "ok" if current == migrate.head_revision() else "migrations behind",
            "database": engine.dialect.name,
            "revision": current,
            "programme": agreement.programme.id,
        }

    return app
