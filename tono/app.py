"""The one ASGI app: health, the web chat, the Telegram webhook; the desks and the protocol inbox join it."""

from __future__ import annotations

import asyncio
import gc
import hmac
import html
import logging
import secrets
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI, Header, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from agency.desk import install_agency_desk
from agency.sweep import sweep as agency_sweep
from bot.channels.telegram_api import TelegramRefused, TelegramUnreachable, webhook_secret
from bot.channels.telegram_common import TelegramChannelBase
from bot.channels.webchat import webchat_router
from bot.chat.conversation import Conversations
from bot.desk import install_provider_desk
from bot.language.i18n import use_agreement_names
from bot.outbound.notifier import Notifier
from bot.outbound.pacing import Pacer
from bot.requests.sweep import sweep as provider_sweep
from deskkit.middleware import RequestLimits
from linkqueue.http import inbox_router
from protocol.agreement import Agreement
from protocol.clock import nz_today
from tono import migrate
from tono.browser_pages import install_favicon, new_app
from tono.database import make_engine, make_sessionmaker
from tono.keys import study_number_key
from tono.link import link_for
from tono.link_status import link_counts
from tono.settings import Settings

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/telegram/webhook"


async def _sweep_forever(sessions, agreement: Agreement, role: str = "both", interval: float = 900) -> None:
    """The deadline sweep of the organisations this Tono runs (TONO_ROLE), every 15 minutes (cheap: it reads by
    indexed due dates)."""
    while True:
        try:
            if role != "agency":
                await provider_sweep(sessions, agreement, nz_today())
            if role != "provider":
                await agency_sweep(sessions, agreement, nz_today())
        except Exception:
            log.exception("the deadline sweep failed; it runs again later")
        await asyncio.sleep(interval)


async def _start_telegram(start, first_delay: float = 1.0, longest_delay: float = 60.0, patience: float = 20.0) -> None:
    """Start Telegram, and while it cannot be reached keep trying in the background: the web chat and the desks
    serve meanwhile. `tono run` has already stopped on a token Telegram refused (tono.first_hour)."""
    delay, failed = first_delay, False
    while True:
        try:
            # A network that drops packets would otherwise hold each try for the library's full minute.
            await asyncio.wait_for(start(), patience)
        except (TelegramUnreachable, TimeoutError, OSError) as error:
            if not failed:  # one sentence for the outage, not one per try
                reason = " ".join(str(error).split())[:160] or "no answer"
                log.warning("Telegram cannot be reached (%s): Tono serves the web chat and the desks, and keeps "
                            "trying Telegram in the background.", reason)
            failed = True
        except TelegramRefused as error:
            log.error("Telegram refused to start the bot (%s): Tono serves the web chat and the desks only; check "
                      "TELEGRAM_BOT_TOKEN and TONO_PUBLIC_URL, then restart.", " ".join(str(error).split())[:160])
            return
        else:
            if failed:
                log.warning("Telegram answers again: Tono serves Telegram too now.")
            return
        await asyncio.sleep(delay)
        delay = min(delay * 2, longest_delay)


def telegram_channel(library: str, token: str, conversations: Conversations, *, api_base: str | None = None,
                     pacer: Pacer | None = None, lease: timedelta = timedelta(seconds=30)) -> TelegramChannelBase:
    """The Telegram channel for TELEGRAM_LIBRARY, assembled: the library's Bot API client (Telegram's side), the
    notifier that pushes the outbox through it (built here, once), and the channel (the chat's side) given both.
    python-telegram-bot is imported only when it is chosen."""
    if library == "python-telegram-bot":
        from bot.channels.telegram_ptb import PtbBotApi as Api
        from bot.channels.telegram_ptb import PtbTelegramChannel as Channel
    else:
        from bot.channels.telegram import AiogramBotApi as Api
        from bot.channels.telegram import TelegramChannel as Channel
    api = Api(token, api_base)
    notifier = Notifier(conversations.sessions, api, pacer, lease=lease)
    return Channel(api, conversations, notifier)


def _per_process_secret() -> str:
    # Without TONO_SECRET_KEY desk sign-ins last only as long as this process: fine for the demo,
    # not for several workers (they would not share sessions).
    log.warning("TONO_SECRET_KEY is not set: desk sessions end when Tono restarts.")
    return secrets.token_urlsafe(48)


def _say_where_the_other_side_is(app: FastAPI, agreement: Agreement, role: str) -> None:
    """The other organisation's pages, asked of this server, answer in one sentence where they are instead of a
    bare 404 (an operator who typed the wrong address at three in the morning)."""
    other = agreement.agency if role == "provider" else agreement.provider
    prefixes = ["/agency"] if role == "provider" else ["/provider", "/chat"]
    sentence = (f"This server runs as the {role} only (TONO_ROLE={role}): these pages are on {other.names.en.short}'s "
                "server.")

    async def elsewhere(request: Request) -> HTMLResponse:
        return HTMLResponse(f"<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Not on this server"
                            f"</title><p>{html.escape(sentence)}</p></html>", status_code=404)

    for prefix in prefixes:
        app.add_api_route(prefix, elsewhere, methods=["GET"], include_in_schema=False)
        app.add_api_route(prefix + "/{rest:path}", elsewhere, methods=["GET", "POST"], include_in_schema=False)


def create_app(settings: Settings, agreement: Agreement, *, start_telegram: bool = True,
               run_loops: bool = True) -> FastAPI:
    """Wire everything Tono serves into one app, from settings already checked at start-up."""
    use_agreement_names(agreement)  # every sentence a family reads names the parties as this agreement does
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    link = link_for(settings, agreement, sessions)  # TONO_ROLE: both organisations here, or one of them
    conversations = Conversations(sessions, agreement, outbox=link.provider)
    telegram = (telegram_channel(settings.telegram_library, settings.telegram_bot_token, conversations,
                                 api_base=settings.telegram_api_base, lease=timedelta(seconds=settings.send_lease))
                if settings.telegram_bot_token else None)
    secret = webhook_secret(settings.secret_key or settings.telegram_bot_token or "") if telegram else ""
    notifier = telegram.notifier if telegram else None  # the web chat takes its news when its page asks

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Everything made at start-up lives as long as the process: move it out of the collector's way, so
        # a full collection does not walk it in the middle of a request (200 ms pauses at a million records).
        gc.collect()
        gc.freeze()
        loops = (link.run(), _sweep_forever(sessions, agreement, settings.role))
        background = [asyncio.create_task(loop) for loop in loops] if run_loops else []
        if telegram is not None and start_telegram:
            # In the background: a Telegram that cannot be reached must not keep the web chat and desks down.
            url = settings.public_url.rstrip("/") + WEBHOOK_PATH if settings.public_url else None
            background.append(asyncio.create_task(_start_telegram(
                lambda: telegram.start_webhook(url, secret) if url else telegram.start_polling())))
        yield
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        if telegram is not None:
            await telegram.stop()
        await engine.dispose()

    app = new_app(title="Tono", summary="Ask what information is held about you, check it, get it fixed.",
                  lifespan=lifespan)
    install_favicon(app)
    app.state.settings, app.state.agreement = settings, agreement
    app.state.engine, app.state.sessions, app.state.conversations = engine, sessions, conversations
    app.state.telegram, app.state.link, app.state.notifier = telegram, link, notifier
    secure = bool(settings.public_url and settings.public_url.startswith("https://"))
    desk_secret = settings.secret_key or _per_process_secret()
    # As one organisation (TONO_ROLE), Tono serves only that organisation's pages, plus the inbox where
    # the other organisation's server delivers its messages.
    if link.provider is not None:
        app.include_router(webchat_router(conversations, secure_cookies=secure))
        # A chat turn is a few kilobytes; a Telegram update well under one megabyte. Anything bigger is
        # refused before it is read (deskkit.middleware.RequestLimits, as the desks do).
        app.add_middleware(RequestLimits, prefix="/chat", max_bytes=256 * 1024)
        app.add_middleware(RequestLimits, prefix="/telegram", max_bytes=1024 * 1024)
        install_provider_desk(app, sessions=sessions, agreement=agreement, outbox=link.provider,
                              secret=desk_secret, secure_cookies=secure, today=nz_today,
                              study_number_key=study_number_key(agreement, settings.keys_dir))
    if link.agency is not None:
        install_agency_desk(app, sessions=sessions, agreement=agreement, outbox=link.agency, secret=desk_secret,
                            secure_cookies=secure, today=nz_today)
    if link.inbox is not None:
        app.include_router(inbox_router(link.inbox, ping_view=getattr(link, "view", None)))
    if settings.role != "both":
        _say_where_the_other_side_is(app, agreement, settings.role)

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse("/chat/" if link.provider is not None else "/agency/")

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict:
        """Whether Tono is up and its database answers at the migration this code needs."""
        # Reading the revision is itself the database answering: one wait for the connection, not two (on
        # SQLite every request shares one, and under a flood each wait is a turn in the queue).
        current = await migrate.current_revision(engine)
        answer = {
            "status": "ok" if current == migrate.head_revision() else "migrations behind",
            "database": engine.dialect.name,
            "revision": current,
            "programme": agreement.programme.id,
            "role": settings.role,
        }
        if current == migrate.head_revision():
            # The queue's counts, one statement a side, never a call to the other server (`tono link status`).
            answer["link"] = {"peer": settings.peer_url or None, **await link_counts(engine, settings.role)}
        return answer

    @app.post(WEBHOOK_PATH, tags=["telegram"], status_code=200)
    async def telegram_webhook(request: Request,
                               x_telegram_bot_api_secret_token: str = Header("", max_length=256)) -> dict:
        """Updates from Telegram, accepted only with the secret token Tono gave Telegram."""
        if telegram is None or not settings.public_url:
            raise HTTPException(404, "This Tono does not take Telegram webhooks (no TONO_PUBLIC_URL).")
        if not hmac.compare_digest(x_telegram_bot_api_secret_token, secret):
            raise HTTPException(403, "Wrong or missing X-Telegram-Bot-Api-Secret-Token.")
        try:
            update = await request.json()
        except ValueError:
            raise HTTPException(400, "The update is not JSON.") from None
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            raise HTTPException(400, "The update has no update_id.")
        await telegram.feed(update)
        return {"ok": True}

    return app
