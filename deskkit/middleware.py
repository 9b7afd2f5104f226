"""Headers every desk response gets, whatever kind of response the route built; and limits on requests.

A plain ASGI middleware rather than a FastAPI dependency, because a dependency's `Response` headers are
dropped when a route returns its own Response (a rendered page or a redirect), and the refreshed
"last seen" cookie must reach the browser on those too.
"""

from __future__ import annotations

import json
from urllib.parse import unquote

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Desk pages show people's records: not kept in shared caches or the back button of a shared computer,
# never framed by another site (clickjacking), no inline script or style, forms post only to the desk.
PAGE_HEADERS = {
    "cache-control": "no-store",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "content-security-policy": ("default-src 'self'; frame-ancestors 'none'; form-action 'self'; "
                                "base-uri 'none'; object-src 'none'"),
}


class DeskHeaders:
    def __init__(self, app: ASGIApp, *, prefix: str, static_path: str, cookie: str, state_key: str) -> None:
        self.app, self.prefix, self.static_path = app, prefix, static_path
        self.cookie_prefix, self.state_key = f"{cookie}=", state_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == self.prefix or path.startswith(self.prefix + "/")):
            await self.app(scope, receive, send)
            return
        # The same dict the route's request.state writes to, so the desk can leave a refreshed cookie here.
        state = scope.setdefault("state", {})
        static = path.startswith(self.static_path + "/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in PAGE_HEADERS.items():
                    if not (static and name == "cache-control"):
                        headers.setdefault(name, value)
                visit = state.get(self.state_key)
                refreshed = getattr(visit, "refreshed_cookie", None)
                # A login or logout on this response has already set the cookie: that one wins.
                if refreshed and not any(v.startswith(self.cookie_prefix) for v in headers.getlist("set-cookie")):
                    headers.append("set-cookie", refreshed)
            await send(message)

        await self.app(scope, receive, send_with_headers)


# What a refused body says; "{size}" is the limit in words a person reads (e.g. "1 MB").
TOO_LARGE = "What was sent is too large: at most {size} can be sent at a time. Nothing was saved."
ODD_ADDRESS = ("This address has a control character (such as NUL) that no page here uses. Check the link and "
               "try again.")


def size_in_words(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{max(1, limit // 1024)} KB"


def _refusal(status: int, sentence: str) -> tuple[int, bytes]:
    return status, json.dumps({"detail": sentence}).encode()


async def _refuse(send: Send, refusal: tuple[int, bytes]) -> None:
    status, body = refusal
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def _has_control_characters(text: str) -> bool:
    return any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in text)


class RequestLimits:
    """Under `prefix`: refuse (400) an address whose path or query holds a control character, and (413)
    a request body over `max_bytes` (`api_max_bytes` under `{prefix}/api/`), before any route reads it.

    A NUL in a path or a search would reach the database, which PostgreSQL refuses with an error half-way
    through a page. The declared Content-Length is checked first; a body sent in chunks without one is
    counted as it arrives and cut off at the limit, so a huge upload never reaches pydantic or the form
    parser, nor fills the server's memory.
    """

    def __init__(self, app: ASGIApp, *, prefix: str, max_bytes: int, api_max_bytes: int | None = None,
                 sentence: str = TOO_LARGE) -> None:
        self.app, self.prefix = app, prefix
        self.limits = {False: max_bytes, True: api_max_bytes or max_bytes}  # by "is it the JSON API?"
        self.too_large = {api: _refusal(413, sentence.format(size=size_in_words(limit)))
                          for api, limit in self.limits.items()}
        self.odd_address = _refusal(400, ODD_ADDRESS)

    def _odd_address(self, scope: Scope) -> bool:
        query = unquote(scope.get("query_string", b"").decode("latin-1"), errors="replace")
        return _has_control_characters(scope.get("path", "")) or _has_control_characters(query)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == self.prefix or path.startswith(self.prefix + "/")):
            await self.app(scope, receive, send)
            return
        if self._odd_address(scope):
            await _refuse(send, self.odd_address)
            return
        api = path.startswith(self.prefix + "/api/")
        max_bytes, too_large = self.limits[api], self.too_large[api]
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            await _refuse(send, too_large)
            return
        received, answered, started = 0, False, False

        async def counted_receive() -> Message:
            nonlocal received, answered
            message = await receive()
            if message["type"] == "http.request" and not answered:
                received += len(message.get("body", b""))
                if received > max_bytes:
                    answered = True
                    if not started:
                        await _refuse(send, too_large)
                    # The route sees the caller hang up, and stops reading.
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if answered and not started:
                return  # the 413 has been sent; whatever the route says after it goes nowhere
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not answered:
                raise
            # The route failed on the cut-off body; the caller already has its 413, and nothing was saved.
