"""A request's steps as a family follows them: sent, checked by CCSS, with the agency, decided, the answer
sent to them. Each is done (with its day), happening now, or still to come (with its due date, and late if
the due date has passed). The picture of the steps (bot/flows/status_picture.py) and its words both come from here.

These are fewer steps than the lifecycle has: a family does not need "relayed" and "received" apart, and the
side paths (withdrawn, declined, transferred) are told in words only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from bot.flows.ports import Timeline
from bot.language.i18n import Plain, Text, _

Mark = Literal["done", "now", "next"]


@dataclass(frozen=True)
class Milestone:
    key: str
    label: Text
    trigger: str  # the lifecycle trigger that completes it


MILESTONES = (
    Milestone("sent", _("Sent"), "submit"),
    Milestone("checked", _("Checked by {provider}"), "approve"),
    Milestone("agency", _("The agency has it"), "acknowledge"),
    Milestone("decided", _("The agency decides"), "complete"),
    Milestone("with_you", _("The answer is sent to you"), "deliver"),
)
WITHOUT_AGENCY = ("sent", "checked", "with_you")  # a request about CCSS's own records only
# The step each state is working towards; None: every step is done.
NOW = {
    "submitted": "checked", "approved": "agency", "relayed": "agency", "received": "decided",
    "clarifying": "decided", "answered": "with_you", "preparing": "with_you", "delivered": None, "closed": None,
}  # fmt: skip
PICTURED = frozenset(NOW)


@dataclass(frozen=True)
class Step:
    """One step in the picture, in no language yet."""

    label: Text
    mark: Mark
    day: date | None = None  # when it was done
    due: date | None = None  # when it must be done by
    late: bool = False


def steps(timeline: Timeline) -> list[Step]:
    """The family's steps of one request, in order (empty for a request off the main path)."""
    if timeline.state not in NOW:
        return []
    shown = [m for m in MILESTONES if timeline.via_agency or m.key in WITHOUT_AGENCY]
    keys = [m.key for m in shown]
    now_key = NOW[timeline.state]
    if now_key not in keys:  # a CCSS-only request has no agency steps: its next step is the answer
        now_key = "with_you" if now_key is not None else None
    now = keys.index(now_key) if now_key is not None else len(shown)
    due = {"agency": timeline.relay_by, "decided": timeline.due_on}
    result = []
    for index, milestone in enumerate(shown):
        if index < now:
            result.append(Step(milestone.label, "done", day=timeline.reached.get(milestone.trigger)))
        else:
            late = milestone.key == "decided" and timeline.overdue
            result.append(Step(milestone.label, "now" if index == now else "next", due=due.get(milestone.key),
                               late=late))
    return result


def in_words(ref: str, shown: list[Step]) -> tuple[Text, ...]:
    """What the picture shows, one sentence a step: its alt text."""
    said: list[Text] = [_("A picture of the steps of request {ref}.", ref=Plain(ref))]
    for step in shown:
        if step.mark == "done":
            said.append(_("{step}: done on {day}.", step=step.label, day=step.day) if step.day
                        else _("{step}: done.", step=step.label))
        elif step.late:
            said.append(_("{step}: late. It was due by {due}.", step=step.label, due=step.due))
        elif step.mark == "now":
            said.append(_("{step}: happening now, due by {due}.", step=step.label, due=step.due) if step.due
                        else _("{step}: happening now.", step=step.label))
        else:
            said.append(_("{step}: still to come, due by {due}.", step=step.label, due=step.due) if step.due
                        else _("{step}: still to come.", step=step.label))
    return tuple(said)
