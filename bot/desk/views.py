"""How the provider desk says things to staff: state names, due dates and overdue, the timeline, the
agency's answers. Plain functions of stored values; the lifecycle and deadlines come from protocol."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from babel.dates import format_date, format_datetime

from bot.models import Request, RequestEvent
from bot.request_moves import STILL_EVENTS
from protocol import deadlines, lifecycle
from protocol.clock import NZ, nz_today
from protocol.messages import WITHHOLDING_GROUNDS

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
    "transferred_on": "Transferred on",
}  # fmt: skip
# States where somebody still owes the family something by the due date.
WAITING = frozenset(s for s in lifecycle.STATES if lifecycle.is_open(s) and s not in ("draft", "delivered"))
STAFF_TURN = [s for s in lifecycle.STATES if lifecycle.allowed_triggers(s, "staff")]
AGENCY_TURN = [s for s in lifecycle.STATES if s in WAITING and s not in STAFF_TURN]
# A draft is the family's own until they send it ("nobody else sees it yet"): the desk never lists or opens one.
FINISHED = [s for s in lifecycle.STATES if s not in STAFF_TURN and s not in AGENCY_TURN and s != "draft"]
VISIBLE = frozenset(lifecycle.STATES) - {"draft"}


def day(d: date | None) -> str:
    return format_date(d, "d MMM y", locale="en_NZ") if d else ""


def long_day(d: date | None) -> str:
    return format_date(d, "EEEE d MMMM y", locale="en_NZ") if d else ""


def moment(at: datetime | None) -> str:
    return format_datetime(at.astimezone(NZ), "d MMM y, h:mm a", locale="en_NZ") if at else ""


def state_label(state: str) -> str:
    return STATE_LABELS.get(state, state)


def action_label(trigger: str) -> str:
    row = next(r for r in lifecycle.TRANSITIONS if r["trigger"] == trigger)
    return ACTION_LABELS.get(trigger) or row["action"].capitalize()


def action_description(trigger: str) -> str:
    return next(r["description"] for r in lifecycle.TRANSITIONS if r["trigger"] == trigger)


@dataclass(frozen=True)
class Due:
    """A request's due date as staff read it: whose date, the day, and whether it has passed."""

    label: str  # "Decision due" (the agency's statutory date) or "Relay by" (CCSS's own promise)
    on: date | None
    overdue: bool = False
    days_left: int | None = None  # working days, while it is still to come
    days_late: int = 0  # calendar days, once it has passed

    @property
    def text(self) -> str:
        return f"{self.label} {day(self.on)}" if self.on else "No due date yet"

    @property
    def note(self) -> str:
        if self.overdue:
            return f"Overdue by {self.days_late} day{'s' if self.days_late != 1 else ''}"
        if self.days_left is not None:
            return f"{self.days_left} working day{'s' if self.days_left != 1 else ''} left"
        return ""


def due_of(request: Request, today: date, relay_days: int) -> Due:
    """The agency's due date once it has one; before relaying, CCSS's own relay-by date (the agreement's
    service level, counted from the day the family asked). Overdue only while someone still owes the answer."""
    if request.due_on is not None:
        label, on = "Decision due", request.due_on
    elif request.state in ("submitted", "approved"):
        label, on = "Relay by", deadlines.add_working_days(nz_today(request.created_at), relay_days)
    else:
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


def _detail_value(key: str, value: object) -> str:
    if key == "identity_checked":
        return IDENTITY_CHECKS.get(str(value), str(value))
    if key in ("received_on", "due", "new_due", "notified_on", "transferred_on") and isinstance(value, str):
        try:
            return day(date.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def timeline(events: list[RequestEvent]) -> list[TimelineLine]:
    lines = []
    for event in events:
        still = event.trigger in STILL_EVENTS
        if event.trigger == "opened":
            what = "Opened"
        elif event.trigger == "linked":
            what = "Linked to the people it is from and about"
        else:
            what = next((r["description"] for r in lifecycle.TRANSITIONS if r["trigger"] == event.trigger),
                        event.trigger)
        who = ROLES.get(event.actor_role, event.actor_role) + (f": {event.actor_label}" if event.actor_label else "")
        moved = "" if still else f"{state_label(event.from_state)} → {state_label(event.to_state)}"
        details = [(DETAIL_LABELS.get(k, k.replace("_", " ").capitalize()), _detail_value(k, v))
                   for k, v in (event.detail or {}).items() if v not in (None, "", [])]
        lines.append(TimelineLine(event.seq, moment(event.at), who, what, moved, details, still))
    return lines


def ground_line(code: str) -> str:
    """'another_persons_affairs' → 's 53(b): Releasing it would be an unwarranted disclosure of …'."""
    ground = WITHHOLDING_GROUNDS.get(code)
    return f"{ground.section}: {ground.description}" if ground else code
