"""How the provider desk says things to staff: state names, due dates and overdue, the timeline, the
agency's answers. Plain functions of stored values; the lifecycle, deadlines and grounds come from protocol."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bot.models import Request, RequestEvent
from bot.requests.moves import STILL_EVENTS
from deskkit.dates import DATES  # one format for both desks and the chat
from protocol import deadlines, lifecycle
from protocol.clock import nz_today
from protocol.grounds import ground_line

# Short names for the queue's headings; lifecycle.STATES gives the sentence under each.
STATE_LABELS = {
    "draft": "Draft", "submitted": "To check", "approved": "Checked, ready to relay",
    "relayed": "Relayed to the agency", "received": "Received by the agency",
    "clarifying": "Agency asked a question", "answered": "Answered by the agency",
    "preparing": "Preparing the answer", "delivered": "Delivered", "closed": "Closed",
    "transferred": "Transferred", "withdrawn": "Withdrawn", "declined": "Declined",
}  # fmt: skip
# Button words for the staff steps; a step the lifecycle adds later falls back to its own action words.
ACTION_LABELS = {
    "approve": "Approve", "decline": "Decline", "relay": "Relay to the agency",
    "prepare_locally": "Answer from CCSS's own records", "prepare": "Start preparing the answer",
    "deliver": "Deliver the answer", "close": "Close the request",
}  # fmt: skip
IDENTITY_CHECKS = {
    "known_in_person": "Known in person", "id_seen": "ID seen", "phone_call": "Phone call (to a number on file)",
}
RELATIONSHIPS = ("parent", "caregiver", "guardian", "representative")
KINDS = {"access": "Access (see the information, IPP 6)", "correction": "Correction (IPP 7)"}
SCOPES = {"provider": "CCSS's own records", "agency": "The agency's records", "both": "CCSS and the agency"}
FORMS = {"copy": "A copy in the chat", "print": "A printed copy to collect", "read_together": "Read with a worker"}
ROLES = {"family": "Family", "staff": "CCSS staff", "officer": "Agency officer", "system": "Tono"}
DETAIL_LABELS = {
    "identity_checked": "How identity was checked", "reason": "Reason", "question": "Question",
    "answer": "Answer", "received_on": "Received on", "due": "Due", "new_due": "New due date",
    "ground": "Ground", "reasons": "Reasons", "agency": "To agency", "what": "Looked at",
    "requester": "Person asking", "subject": "About", "notified_on": "Family told on",
    "transferred_on": "Transferred on", "scope": "Records of", "task_states": "Units' tasks",
}  # fmt: skip
# States where somebody still owes the family something by the due date.
WAITING = frozenset(lifecycle.WAITING_ON_SOMEONE)
STAFF_TURN = [s for s in lifecycle.STATES if lifecycle.allowed_triggers(s, "staff")]
AGENCY_TURN = [s for s in lifecycle.STATES if s in WAITING and s not in STAFF_TURN]
# A draft is the family's own until they send it ("nobody else sees it yet"): the desk never lists or opens one.
FINISHED = [s for s in lifecycle.STATES if s not in STAFF_TURN and s not in AGENCY_TURN and s != "draft"]
VISIBLE = frozenset(lifecycle.SENT_BY_FAMILY)
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")  # how an event's detail carries a date


# "7 December 2026", "Monday 7 December 2026", "7 December 2026, 3:05 pm"; dates from JSON (ISO text) too.
day, long_day, moment = DATES.day, DATES.long_day, DATES.moment


def state_label(state: str) -> str:
    return STATE_LABELS.get(state, state)


def action_label(trigger: str) -> str:
    row = next(r for r in lifecycle.TRANSITIONS if r["trigger"] == trigger)
    return ACTION_LABELS.get(trigger) or row["action"].capitalize()


def action_description(trigger: str) -> str:
    return next(r["description"] for r in lifecycle.TRANSITIONS if r["trigger"] == trigger)


@dataclass(frozen=True)
class Due:
    """A request's due date as staff read it: whose date, the day, and whether it has passed; once the answer
    is delivered, when that was and whether it was by the due date."""

    label: str  # "Decision due" (the agency's), "Deliver by" (the same date, now CCSS's) or "Relay by" (CCSS's own)
    on: date | None
    overdue: bool = False
    days_left: int | None = None  # working days, while it is still to come
    days_late: int = 0  # calendar days, once it has passed
    delivered_on: date | None = None
    days_taken: int = 0  # working days from the family's request to delivery, as the board report counts them

    @property
    def late(self) -> bool:
        """Delivered after the due date (the board report counts it as answered late, too)."""
        return self.delivered_on is not None and self.on is not None and self.delivered_on > self.on

    @property
    def text(self) -> str:
        if self.delivered_on:
            return (f"Delivered on {day(self.delivered_on)}, {self.days_taken} working "
                    f"day{'s' if self.days_taken != 1 else ''} after the request was made")
        return f"{self.label} {day(self.on)}" if self.on else "No due date yet"

    @property
    def note(self) -> str:
        if self.delivered_on:
            if self.on is None:
                return ""
            if self.late:
                late = (self.delivered_on - self.on).days
                return f"Late: {late} day{'s' if late != 1 else ''} after the due date, {day(self.on)}"
            return f"On time: the due date was {day(self.on)}"
        if self.overdue:
            return f"Overdue by {self.days_late} day{'s' if self.days_late != 1 else ''}"
        if self.days_left is not None:
            return f"{self.days_left} working day{'s' if self.days_left != 1 else ''} left"
        return ""


def due_of(request: Request, today: date, relay_days: int) -> Due:
    """The agency's due date once it has one; before relaying, CCSS's own relay-by date (the agreement's
    service level, counted from the day the family asked). Overdue only while someone still owes the answer,
    counted from `today` each time it is asked. Once the agency has answered, the same date is CCSS's to
    deliver by; once delivered, there is nothing left to count down, only whether it was in time."""
    if request.due_on is not None:
        label = "Deliver by" if request.state in lifecycle.ANSWER_BEING_PREPARED else "Decision due"
        on = request.due_on
    elif request.state in lifecycle.BEFORE_RELAY:
        label, on = "Relay by", deadlines.add_working_days(nz_today(request.created_at), relay_days)
    else:
        label, on = "", None
    if request.delivered_at is not None and request.state in lifecycle.ANSWER_GIVEN:
        delivered_on = nz_today(request.delivered_at)
        taken = deadlines.working_days_between(nz_today(request.created_at), delivered_on)
        return Due(label, on, delivered_on=delivered_on, days_taken=taken)
    if on is None:
        return Due("", None)
    if request.state not in WAITING:
        return Due(label, on)
    if deadlines.is_overdue(on, today):
        return Due(label, on, overdue=True, days_late=(today - on).days)
    return Due(label, on, days_left=deadlines.working_days_left(on, today))


@dataclass(frozen=True)
class TimelineLine:
    seq: int
    at: str
    who: str
    what: str
    moved: str  # "To check → Checked, ready to relay", or "" for events that move nothing
    details: list[tuple[str, str]]
    still: bool


def _detail_value(key: str, value: object, kind: str = "access") -> str:
    """A value of an event's detail in words: a ground with its section and meaning, a date as the rest of the
    desk writes dates (whatever its key: the details are JSON, so dates arrive as ISO text), a list as a list."""
    if key == "identity_checked":
        return IDENTITY_CHECKS.get(str(value), str(value))
    if key == "ground":
        return ground_line(str(value), kind)
    if key == "scope":
        return SCOPES.get(str(value), str(value))
    if isinstance(value, list | tuple):
        return ", ".join(_detail_value(key, v, kind) for v in value)
    if isinstance(value, str) and ISO_DAY.fullmatch(value):
        try:
            return day(value)
        except ValueError:
            return value
    return str(value)


def timeline(events: list[RequestEvent], kind: str = "access") -> list[TimelineLine]:
    """The request's history as staff read it; `kind` says which section an extension was under."""
    lines = []
    for event in events:
        still = event.trigger in STILL_EVENTS
        if event.trigger == "opened":
            what = "Opened"
        elif event.trigger == "linked":
            what = "Linked to the people it is from and about"
        elif event.trigger == "version_ready":
            what = "Another version written, and the family told it is ready"
        else:
            what = next((r["description"] for r in lifecycle.TRANSITIONS if r["trigger"] == event.trigger),
                        event.trigger)
        who = ROLES.get(event.actor_role, event.actor_role) + (f": {event.actor_label}" if event.actor_label else "")
        moved = "" if still else f"{state_label(event.from_state)} → {state_label(event.to_state)}"
        details = [(DETAIL_LABELS.get(k, k.replace("_", " ").capitalize()), _detail_value(k, v, kind))
                   for k, v in (event.detail or {}).items() if v not in (None, "", [])]
        lines.append(TimelineLine(event.seq, moment(event.at), who, what, moved, details, still))
    return lines
