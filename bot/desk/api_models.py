"""What the provider desk's JSON API answers with, and the route class that makes every refusal one sentence."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from bot.desk.forms import sentence
from bot.desk.views import Due
from bot.models import Person
from bot.models import Request as FamilyRequest
from deskkit.problems import Problem, one_sentence_route

# Refusals as {"detail": "one clear sentence"}: a body or query that does not fit (422, in forms.sentence's
# words), and any DeskProblem a service raised (its own status), instead of FastAPI's list of errors.
ApiRoute = one_sentence_route(sentence)


# 413: a body over the desk's limit; 429: too many calls by one staff member in a minute (see Retry-After).
ERRORS = {status: {"model": Problem} for status in (400, 401, 403, 404, 409, 413, 422, 429)}


class DueOut(BaseModel):
    label: str
    on: date | None
    overdue: bool
    working_days_left: int | None

    @classmethod
    def of(cls, due: Due) -> DueOut:
        return cls(label=due.label, on=due.on, overdue=due.overdue, working_days_left=due.days_left)


class RequestSummary(BaseModel):
    ref: str
    kind: str
    state: str
    scope: str
    urgent: bool
    requester_ref: str | None
    subject_ref: str | None
    requester_name_typed: str
    subject_name_typed: str
    due: DueOut
    created_at: datetime

    @classmethod
    def of(cls, request: FamilyRequest, people: dict[int, Person], due: Due) -> RequestSummary:
        requester, subject = people.get(request.requester_id), people.get(request.subject_id)
        return cls(ref=request.ref, kind=request.kind, state=request.state, scope=request.scope,
                   urgent=request.urgent, requester_ref=requester.ref if requester else None,
                   subject_ref=subject.ref if subject else None, requester_name_typed=request.requester_name,
                   subject_name_typed=request.subject_name, due=DueOut.of(due), created_at=request.created_at)


class QueueOut(BaseModel):
    state: str
    items: list[RequestSummary]
    next_after: str | None  # pass as `after` for the next page; null on the last page


class EventOut(BaseModel):
    seq: int
    at: datetime
    actor_role: str
    actor_label: str
    trigger: str
    from_state: str
    to_state: str
    detail: dict


class RequestDetail(RequestSummary):
    details: str
    correction_what: str
    correction_should_say: str
    form: str
    urgency_reason: str
    identity_checked: str
    received_on: date | None
    units: list[str]
    clarification: str
    allowed_steps: list[str]  # the staff steps the lifecycle allows now (and this request can take)
    events: list[EventOut]
    answers: list[dict]  # each unit's unit.answered body, as the agency sent it


class StepOut(BaseModel):
    ref: str
    state: str
    done: str


class PersonOut(BaseModel):
    ref: str
    participant_id: str
    family_ref: str | None
    given_name: str
    family_name: str
    birth_date: date | None
    is_young_person: bool
    language: str


class PeopleOut(BaseModel):
    items: list[PersonOut]
    next_before: int | None


class AuthorityOut(BaseModel):
    id: int
    actor_ref: str
    subject_ref: str
    relationship: str
    evidence: str
    granted_at: datetime
    revoked_at: datetime | None


class PersonDetail(PersonOut):
    may_act_for_them: list[AuthorityOut]
    they_may_act_for: list[AuthorityOut]


class Done(BaseModel):
    done: str


class EnrolmentOut(BaseModel):
    person_ref: str
    code: str
    web_link: str
    telegram_link: str | None
    expires_at: datetime


class ContactOut(BaseModel):
    id: int
    person_ref: str | None
    note: str
    created_at: datetime
    urgent: bool = False  # the family typed words of danger or distress (bot/flows/safety.py)
