"""The link page both desks share, at {prefix}/link: what an operator or a staff member needs to see of the link
between the two organisations' servers, and one button to send again what the other side refused.

deskkit knows nothing of the queue: each desk hands in a function giving its own end of the linked queue for a
request (an object with `facts()`, `resend_refused()` and, when another organisation's server is at the other
end, `peer_check()`; linkqueue.sql.SqlQueueEnd is one), and its own `link.html` extending its layout and
including `_link.html`."""


from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from deskkit.desk import Desk

# No `from __future__ import annotations` here: FastAPI must read the local `signed_in` alias as a dependency.
EndOf = Callable[[Request], Any]


def age(moment: datetime | None, now: datetime | None = None) -> str:
    """'3 min', '2 h', '4 days': how long ago, as a person would say it."""
    if moment is None:
        return ""
    seconds = int(((now or datetime.now(UTC)) - moment).total_seconds())
    if seconds < 120:
        return f"{max(seconds, 0)} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def link_router(desk: Desk, end_of: EndOf, *, other: str) -> APIRouter:
    """GET {prefix}/link (any signed-in desk user) and POST {prefix}/link/resend (with the form's CSRF token);
    `other` names the other organisation in the page's sentences."""
    router = APIRouter(prefix=desk.prefix, include_in_schema=False)
    signed_in = Annotated[Any, Depends(desk.current_account)]

    @router.get("/link")
    async def link_page(request: Request, account: signed_in) -> Response:
        """The link: whether the other server answers and agrees, and this side's queue, by reason."""
        end = end_of(request)
        peer_check = getattr(end, "peer_check", None) if end is not None else None
        return desk.render(request, "link.html", {
            "section": "link", "nav": "link", "other": other, "facts": await end.facts() if end is not None else None,
            "peer": await peer_check() if peer_check else None, "age": age,
        })

    @router.post("/link/resend", dependencies=[Depends(desk.require_csrf)])
    async def resend(request: Request, account: signed_in) -> Response:
        """Send again every message the other side refused, and apply again every message from it that could not be
        applied, once the cause is fixed."""
        end = end_of(request)
        sent = await end.resend_refused() if end is not None else 0
        applying = await end.apply_failed_again() if end is not None else 0
        said = []
        if sent:
            said.append(f"{sent} refused message{'' if sent == 1 else 's'} will be sent again, each in its turn.")
        if applying:
            said.append(f"{applying} message{'' if applying == 1 else 's'} from {other} that could not be applied "
                        "will be applied again.")
        response = RedirectResponse(f"{desk.prefix}/link", status_code=303)
        desk.flash(response, " ".join(said) or f"Nothing was refused by {other}: nothing to send again.")
        return response

    return router
