"""Everything the request page (and the API's view of one request) shows, read in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.desk import store
from bot.desk.views import Due, TimelineLine, action_description, action_label, due_of, timeline
from bot.models import Person, Request
from bot.people import young
from bot.requests import study_parts
from protocol import lifecycle
from protocol.agreement import Agreement
from protocol.grounds import ground_line


@dataclass(frozen=True)
class Action:
    trigger: str
    label: str
    description: str
    blocked: str = ""  # why it cannot be done yet, in words; empty when it can
    hint: str = ""  # when staff should take this step, where that is not plain from the step itself


# Nothing fires "close" by itself (no sweep closes a request, and the family chat offers no close), although
# the lifecycle would let Tono or the family do it: staff close it, and the family's choice says when.
CLOSE_WHEN = {
    None: "Tono does not close a request by itself. The family has not yet chosen between the copies in the "
          "chat and reading the records with a worker: close it once they have what they need.",
    False: "Tono does not close a request by itself. The family took the copies in the chat: close it when "
           "nothing more is to be done for them.",
    True: "Tono does not close a request by itself. The family asked to read the records with a worker: close "
          "it after you have read them together.",
}
CLOSED_STILL = " Closing moves it to Finished; the family can still get their copies in the chat."


@dataclass
class RequestPage:
    request: Request
    requester: Person | None
    subject: Person | None
    due: Due
    timeline: list[TimelineLine]
    answers: list[dict]
    actions: list[Action]
    needs_link: bool
    units: list[str] = field(default_factory=list)  # the agency units answering it, by name
    link_choices: dict[str, Any] = field(default_factory=dict)
    young: YoungSubject | None = None  # about a young person: what staff should keep in mind


@dataclass(frozen=True)
class YoungSubject:
    """The person a request is about is a young person (the agreement's young_people)."""

    age: int | None
    under_16: bool  # the Act's ground for withholding in their interests can apply (s 49(1)(c))
    told: bool  # they are told, in their own chat, when someone else's request for their information is approved


def staff_actions(request: Request) -> list[Action]:
    """The steps the lifecycle allows staff on this request now, in the lifecycle's order. A step whose
    condition this request cannot meet is left out (answering locally when the agency holds records, relaying
    what only CCSS holds); approving waits, and says so, until the request is linked to people."""
    actions = []
    for trigger in lifecycle.allowed_triggers(request.state, "staff", request.kind):
        if trigger == "prepare_locally" and not lifecycle.may(request.state, trigger, "staff", scope=request.scope):
            continue
        if trigger == "relay" and request.scope == "provider":
            continue
        blocked = ""
        if trigger == "approve" and (request.requester_id is None or request.subject_id is None):
            blocked = "Link this request to the person asking and the person it is about first (below)."
        hint = CLOSE_WHEN[request.read_together] + CLOSED_STILL if trigger == "close" else ""
        actions.append(Action(trigger, action_label(trigger), action_description(trigger), blocked, hint))
    return actions


def unit_name(agreement: Agreement, unit_id: str) -> str:
    try:
        return agreement.text(agreement.unit(unit_id).name, "en", "adult")
    except KeyError:
        return unit_id


def answer_view(agreement: Agreement, unit: str, body: dict | None, study_numbered: bool = False) -> dict:
    """A unit's answer as staff read it: grounds spelled out with their section and plain meaning. A study part's
    answer (what the unit holds under the person's study number) is shown apart, as the family is told it."""
    body = body or {}
    ncnd = body.get("neither_confirm_nor_deny")
    name = unit_name(agreement, unit)
    return {
        "unit": unit, "key": f"{unit}-study" if study_numbered else unit,
        "unit_name": f"{name}, under a study number (it never learned who asked)" if study_numbered else name,
        "answered_on": _date(body.get("answered_on")), "released": body.get("released", []),
        "withheld": [{**item, "ground_line": ground_line(item.get("ground", ""))} for item in body.get("withheld", [])],
        "not_held": body.get("not_held", []), "corrected": body.get("corrected", []),
        "not_corrected": body.get("not_corrected", []), "statement_attached": body.get("statement_attached", []),
        "neither_confirm_nor_deny": {**ncnd, "ground_line": ground_line(ncnd.get("ground", ""))} if ncnd else None,
        "not_ours": bool(body.get("not_ours")), "note": body.get("note", ""),
    }


def _date(text: Any) -> date | None:
    try:
        return date.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


async def link_choices(session: AsyncSession, request: Request, find: str, chosen_ref: str) -> dict[str, Any]:
    """Candidates for the person asking (from a search, or the name they typed), and, once one is chosen,
    the people it may be about: themselves and anyone they have a recorded authority for."""
    requester = await store.person_by_ref(session, chosen_ref) if chosen_ref else None
    if requester is None and request.requester_id is not None:
        requester = await session.get(Person, request.requester_id)
    search = find or ("" if requester else request.requester_name)
    candidates = (await store.find_people(session, search, None, 10))[0] if search else []
    subjects = [requester, *await store.may_act_for(session, requester)] if requester else []
    return {"find": search, "candidates": candidates, "requester": requester, "subjects": subjects,
            "chosen_missing": bool(chosen_ref) and requester is None}


async def load(session: AsyncSession, agreement: Agreement, request: Request, today: date, relay_days: int,
               find: str = "", chosen_ref: str = "") -> RequestPage:
    people = await store.people_by_id(session, {request.requester_id, request.subject_id})
    needs_link = request.state == "submitted" and (request.requester_id is None or request.subject_id is None)
    page = RequestPage(
        request=request, requester=people.get(request.requester_id), subject=people.get(request.subject_id),
        due=due_of(request, today, relay_days),
        timeline=timeline(await store.events_of(session, request), request.kind),
        answers=[answer_view(agreement, a.unit, a.body) for a in await store.answers_of(session, request)]
        + [answer_view(agreement, part.unit, part.answer, study_numbered=True)
           for part in await study_parts.parts_of(session, request) if part.state == "answered"],
        actions=staff_actions(request), needs_link=needs_link,
        units=[unit_name(agreement, unit) for unit in request.units],
    )
    if needs_link:
        page.link_choices = await link_choices(session, request, find, chosen_ref)
    if page.subject is not None and young.is_young(page.subject, agreement, today):
        page.young = YoungSubject(young.age(page.subject, today), young.under_16(page.subject, today),
                                  young.told_of_requests(page.subject, agreement, today))
    return page
