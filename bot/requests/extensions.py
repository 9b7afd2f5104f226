"""The agency extends its time limit (s 48; s 65 for corrections): the request's new due date, a step in its
history, and the family told, with where to complain. One way for the named request and for a study part's."""

from __future__ import annotations

from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.language.i18n import Plain, _
from bot.models import Request
from bot.outbound.notify import notify
from bot.requests.moves import move


async def extend(session: AsyncSession, request: Request, body: dict, who: str) -> None:
    """Apply a request.extended body to the family's request."""
    new_due = date.fromisoformat(body["new_due"])
    await move(session, request, "extend", "officer", actor_label=who, ground=body["ground"],
               received_on=request.received_on, notified_on=date.fromisoformat(body["notified_on"]),
               new_due=new_due, note={"reasons": body["reasons"]})
    request.due_on = new_due
    await notify(session, request, _(
        "The agency needs more time for your request {ref}. The new date is {due}. The reason: {reasons}\n\n"
        "If you think this is unfair, you can complain to the Privacy Commissioner (privacy.org.nz or "
        "0800 803 909).",
        ref=Plain(request.ref), due=new_due, reasons=Plain(body["reasons"])))
