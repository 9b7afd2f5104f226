"""What a browser asks of any Tono besides its pages: the favicon of the web chat and both desks (Tono's own, a
speech bubble), and the API description's page (/docs) with Swagger UI's files served from this machine by the
fastapi-offline package, never from a CDN: a provider's server may reach no internet. There is no /redoc: ReDoc
loads its logo from its makers' site whatever it is told."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse, Response
from fastapi_offline import FastAPIOffline

FAVICON = (Path(__file__).parent / "static" / "favicon.svg").read_bytes()
FAVICON_URL = "/favicon.svg"  # named by the chat's page and the desks' layout
DOCS = "/docs"
DOCS_FILES = "/docs/static"  # Swagger UI's script and style sheet, from the installed package


def new_app(**settings) -> FastAPI:
    """A FastAPI app whose /docs loads everything from this server."""
    app = FastAPIOffline(docs_url=DOCS, static_url=DOCS_FILES, redoc_url=None, favicon_url=FAVICON_URL, **settings)
    app.docs_url = DOCS  # served by fastapi-offline's route, which leaves FastAPI's own off; said for whoever asks
    return app


def install_favicon(app: FastAPI) -> None:
    @app.get(FAVICON_URL, include_in_schema=False)
    async def favicon() -> Response:
        return Response(FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon_ico() -> RedirectResponse:
        # Browsers ask for /favicon.ico by themselves where a page names no icon (a JSON answer, a file).
        return RedirectResponse(FAVICON_URL, status_code=301)
