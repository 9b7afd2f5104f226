"""Headers every desk response gets, whatever kind of response the route built.

A plain ASGI middleware rather than a FastAPI dependency, because a dependency's `Response` headers are
dropped when a route returns its own Response (a rendered page or a redirect), and the refreshed
"last seen" cookie must reach the browser on those too.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
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
