"""A small fake Telegram Bot API server on loopback, for tests and benchmarks (DESIGN.md §9).

The real aiogram client talks to it over HTTP, so tests exercise aiogram's own request encoding, error
mapping and polling loop. Wire a bot to it with
`Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url)))`.
Here: the server, polling, fault injection and flood limits. Chat methods (messages, buttons, commands,
files) are in telegram_methods.py, Telegram's refusals in telegram_rules.py, the families' side in
telegram_users.py.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import secrets
import time
from collections import defaultdict, deque
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .telegram_methods import ChatMethods, InFile, Upload
from .telegram_rules import UPLOAD_LIMIT, ApiError, bad_request, check_webhook
from .telegram_users import FakeUser

DEFAULT_TOKEN = "123456789:TEST-fake-token_for-tono"
# Form and query values arrive as strings; these are decoded so params look the same whichever encoding was used.
_JSON_FIELDS = {"reply_markup", "commands", "scope", "allowed_updates", "entities", "caption_entities"}
_INT_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout", "cache_time", "user_id", "max_connections"}
_BOOL_FIELDS = {"show_alert", "drop_pending_updates", "disable_notification", "protect_content"}
# Sends and edits count against Telegram's flood limits; chat actions and reads do not.
_PACED = {"sendMessage", "sendDocument", "sendPhoto", "editMessageText", "editMessageReplyMarkup"}
_WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
)
_POLL_CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"


@dataclass
class Stats:
    requests: int = 0
    rate_limited: int = 0  # every 429 answered, injected or enforced
    faults: int = 0  # injected failures of any kind


@dataclass
class Fault:
    status: int
    retry_after: int | None
    drop_connection: bool
    description: str | None


class FakeTelegram(ChatMethods):
    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "tono_test_bot",
        per_chat_limit: float | None = None,
        global_limit: float | None = None,
        per_chat_burst: int = 1,
    ) -> None:
        self.token = token
        self.bot = {"id": int(token.split(":")[0]), "is_bot": True, "first_name": "Tono", "username": bot_username}
        # Flood limits (messages per second), off by default: Telegram's are about 1 per chat and 30 per bot.
        self.per_chat_limit, self.global_limit = per_chat_limit, global_limit
        self.per_chat_burst = per_chat_burst
        self._buckets: dict[Any, tuple[float, float]] = {}
        self.last_update_id = 0
        self.delivered_at: dict[int, float] = {}
        self.paced: list[tuple[Any, float]] = []  # (chat id, when) of every paced call the flood limits let through
        self.base_url = ""
        self.users: dict[int, FakeUser] = {}
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.callback_answers: list[dict[str, Any]] = []
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}  # (scope, language_code) -> commands
        self.uploads: list[Upload] = []
        self.webhook: dict[str, Any] | None = None
        self.stats = Stats()
        self._updates: list[dict[str, Any]] = []  # unconfirmed, oldest first
        self._update_ids = itertools.count(1)
        self._allowed_updates: set[str] | None = None
        self._wakeup = asyncio.Event()
        self._poll_generation = 0
        self._closing = False
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        self._open_callbacks: set[str] = set()
        self._files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, data)
        self._sent_at: dict[Any, deque[float]] = defaultdict(deque)  # chat id or "*" -> recent send times
        self._runner: web.AppRunner | None = None
        self._methods = {name[3:].lower(): getattr(self, name) for name in dir(self) if name.startswith("_m_")}

    # --- lifecycle --------------------------------------------------------------------------------------------

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def start(self) -> None:
        app = web.Application(client_max_size=UPLOAD_LIMIT + 1024 * 1024)  # room to refuse >50 MB ourselves
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        # handler_cancellation: a long poll whose client went away must not linger until its timeout
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"

    async def close(self) -> None:
        self._closing = True
        self._wake()  # pending long polls answer at once instead of holding up shutdown
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- test-side API ----------------------------------------------------------------------------------------

    def user(
        self, user_id: int, first_name: str = "Aroha", language_code: str | None = "en", username: str | None = None
    ) -> FakeUser:
        """A person who has opened a private chat with the bot (the same object for the same id)."""
        if user_id not in self.users:
            self.users[user_id] = FakeUser(self, user_id, first_name, language_code, username)
        return self.users[user_id]

    def fail_next(
        self,
        method: str,
        status: int = 429,
        *,
        retry_after: int | None = 1,
        drop_connection: bool = False,
        description: str | None = None,
        times: int = 1,
    ) -> None:
        """Make the next `times` calls of `method` fail: an HTTP error, or a connection closed without answer."""
        fault = Fault(status, retry_after if status == 429 else None, drop_connection, description)
        self._faults[method.lower()].extend([fault] * times)

    def requests_for(self, method: str) -> list[dict[str, Any]]:
        return [params for name, params in self.requests if name.lower() == method.lower()]

    # --- used by FakeUser -------------------------------------------------------------------------------------

    def queue_update(self, **update: Any) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), **update}
        self.last_update_id = update["update_id"]
        self._updates.append(update)
        self._wake()
        return update

    def open_callback_query(self) -> str:
        query_id = str(secrets.randbits(63))
        self._open_callbacks.add(query_id)
        return query_id

    # --- HTTP -------------------------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _error(ApiError(401, "Unauthorized"))
        handler = self._methods.get(request.match_info["method"].lower())
        if handler is None:
            return _error(ApiError(404, "Not Found: method not found"))
        method = handler.__name__[3:]
        try:
            params = await _read_params(request)
        except ValueError:
            return _error(bad_request("can't parse request JSON object"))
        self.stats.requests += 1
        self.requests.append((method, params))
        try:
            if self._faults[method.lower()]:
                return self._inject(request, self._faults[method.lower()].popleft())
            self._enforce_flood_limits(method, params)
            return web.json_response({"ok": True, "result": await handler(params)})
        except ApiError as refusal:
            self.stats.rate_limited += refusal.status == 429
            return _error(refusal)

    def _inject(self, request: web.Request, fault: Fault) -> web.StreamResponse:
        self.stats.faults += 1
        if fault.drop_connection:
            assert request.transport is not None
            request.transport.close()  # the client sees "Server disconnected"
            return web.Response()
        if fault.status == 429:
            description = fault.description or f"Too Many Requests: retry after {fault.retry_after}"
            raise ApiError(429, description, retry_after=fault.retry_after)
        default = {502: "Bad Gateway", 500: "Internal Server Error"}.get(fault.status, "Injected failure")
        raise ApiError(fault.status, fault.description or default)

    def _enforce_flood_limits(self, method: str, params: dict[str, Any]) -> None:
        if method not in _PACED:
            return
        now = time.monotonic()
        chat = params.get("chat_id")
        if self.per_chat_limit is not None and self.per_chat_burst > 1:
            # Telegram tolerates short bursts in one chat: a bucket of `per_chat_burst`, refilled per_chat_limit/s.
            tokens, at = self._buckets.get(chat, (float(self.per_chat_burst), now))
            tokens = min(self.per_chat_burst, tokens + (now - at) * self.per_chat_limit)
            if tokens < 1:
                retry_after = max(1, math.ceil((1 - tokens) / self.per_chat_limit))
                raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)
            windows = [(self._sent_at["*"], self.global_limit)]
        else:
            tokens, at = 0.0, now
            windows = [(self._sent_at[chat], self.per_chat_limit), (self._sent_at["*"], self.global_limit)]
        for window, limit in windows:
            while window and now - window[0] >= 1.0:
                window.popleft()
            if limit is not None and len(window) >= limit:
                retry_after = max(1, math.ceil(window[0] + 1.0 - now))
                raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)
        for window, _ in windows:
            window.append(now)
        if self.per_chat_limit is not None and self.per_chat_burst > 1:
            self._buckets[chat] = (tokens - 1, now)
        self.paced.append((chat, now))

    async def _download(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _error(ApiError(401, "Unauthorized"))
        for path, data in self._files.values():
            if path == request.match_info["path"]:
                return web.Response(body=data)
        return _error(ApiError(404, "Not Found"))

    def _wake(self) -> None:
        # Waiters hold the old event, which stays set; new waiters get a fresh one. No lock needed.
        self._wakeup.set()
        self._wakeup = asyncio.Event()

    # --- Bot API methods (the part after "_m_" is the method name) ---------------------------------------------

    async def _m_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.bot

    async def _m_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook:
            raise ApiError(409, _WEBHOOK_CONFLICT)
        offset, limit, timeout = params.get("offset") or 0, params.get("limit") or 100, params.get("timeout") or 0
        if offset > 0:  # confirms every update below it
            self._updates = [update for update in self._updates if update["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        if "allowed_updates" in params:  # persists until changed, as in Telegram; [] means all
            self._allowed_updates = set(params["allowed_updates"] or []) or None
        self._poll_generation += 1
        generation = self._poll_generation
        self._wake()  # a poll still waiting is now superseded
        deadline = time.monotonic() + timeout
        while True:
            if generation != self._poll_generation:
                raise ApiError(409, _POLL_CONFLICT)  # Telegram ends the older of two concurrent polls
            if self._allowed_updates is not None:  # Telegram never delivers types the bot did not ask for
                self._updates = [u for u in self._updates if self._allowed_updates & u.keys()]
            remaining = deadline - time.monotonic()
            if self._updates or self._closing or remaining <= 0:
                batch = self._updates[: min(max(limit, 1), 100)]
                now = time.monotonic()
                for update in batch:  # when each update first left getUpdates (the chat benchmark's clock)
                    self.delivered_at.setdefault(update["update_id"], now)
                return batch
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), remaining)

    async def _m_setWebhook(self, params: dict[str, Any]) -> bool:
        check_webhook(params.get("url"), params.get("secret_token"))
        self.webhook = params
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _m_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        url = (self.webhook or {}).get("url", "")
        return {"url": url, "has_custom_certificate": False, "pending_update_count": len(self._updates)}


def _decode(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    with suppress(ValueError):
        if key in _JSON_FIELDS:
            return json.loads(value)
        if key in _INT_FIELDS:
            return int(value)
    return value == "true" if key in _BOOL_FIELDS else value


async def _read_params(request: web.Request) -> dict[str, Any]:
    """Telegram takes query strings, JSON, urlencoded forms and multipart (aiogram: forms, multipart with files)."""
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        body = await request.json()
        if not isinstance(body, dict):
            raise ValueError("not a JSON object")
        params.update(body)
    elif request.body_exists:
        for key, value in (await request.post()).items():
            params[key] = InFile(value.filename, value.file.read()) if isinstance(value, web.FileField) else value
    return {key: _decode(key, value) for key, value in params.items()}


def _error(refusal: ApiError) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": refusal.status, "description": refusal.description}
    if refusal.parameters:
        body["parameters"] = refusal.parameters
    return web.json_response(body, status=refusal.status)
