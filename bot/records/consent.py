"""The consent register: each time a person gave or withdrew a consent the agreement lists (`consents`), as
staff recorded it. Nothing is overwritten; a person's choice is their newest event (the latest day, and of
two on one day the one recorded last), and a flow's condition (`consent: evaluation`) reads it through
`consented`.

For a child, the person with authority who gave or withdrew it is recorded, and must hold an authority over
the child that is not revoked (parents have no automatic right to act for a child: DESIGN.md §3.3).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlalchemy import select as core_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.models import Authority, Person
from bot.records.recording import RecordsProblem
from bot.records.tables import ConsentEvent
from protocol.agreement import Agreement, Consent

# How staff learned of it. 'chat' is kept for the family's own choices in the chat ([agreement]).
HOW = ("form", "in person", "phone", "email")
# Up to this many people are named in the query; for more, every person's newest event is read and the rest
# dropped here, which stays one query and keeps clear of the databases' limits on bound values.
ASKED_BY_ID = 2000


@dataclass(frozen=True)
class ConsentState:
    """One consent for one person: its newest event (None: never recorded) and every event, newest first."""

    consent: Consent
    current: ConsentEvent | None
    history: list[ConsentEvent]

    @property
    def given(self) -> bool:
        return self.current is not None and self.current.given


def the_consent(agreement: Agreement, consent_id: str) -> Consent:
    for consent in agreement.consents:
        if consent.id == consent_id:
            return consent
    known = ", ".join(c.id for c in agreement.consents) or "none"
    raise RecordsProblem([f"The agreement lists no consent {consent_id!r} (its consents are {known})."])


async def record_consent(session: AsyncSession, agreement: Agreement, person: Person, consent_id: str, *,
                         given: bool, on: date, how: str, recorded_by: str, today: date,
                         by: Person | None = None) -> ConsentEvent:
    """Record that `person` (or, for them, `by`) gave or withdrew a consent on a day; RecordsProblem with every
    reason it cannot be recorded."""
    problems = []
    try:
        the_consent(agreement, consent_id)
    except RecordsProblem as unknown:
        problems += unknown.problems
    if on > today:
        problems.append(f"The day {on.isoformat()} is in the future; record a consent on or after the day it "
                        "was given or withdrawn.")
    if how not in HOW:
        problems.append(f"How it was given must be one of: {', '.join(HOW)} (not {how!r}).")
    if by is not None and by.id == person.id:
        by = None  # the person themselves
    if by is not None and not await _has_authority(session, by, person):
        problems.append(f"{by.given_name} {by.family_name} ({by.ref}) has no recorded authority to act for "
                        f"{person.given_name} {person.family_name} ({person.ref}): record the authority first, "
                        "or leave who gave it empty.")
    if problems:
        raise RecordsProblem(problems)
    event = ConsentEvent(person_id=person.id, consent=consent_id, given=given, on=on, how=how,
                         by_person_id=by.id if by else None, recorded_by=recorded_by,
                         agreement_version=agreement.version)
    session.add(event)
    await session.flush()
    return event


async def _has_authority(session: AsyncSession, actor: Person, subject: Person) -> bool:
    return (await session.exec(select(Authority.id).where(
        Authority.actor_id == actor.id, Authority.subject_id == subject.id,
        col(Authority.revoked_at).is_(None)))).first() is not None


def _newest_first():
    return (ConsentEvent.on.desc(), ConsentEvent.id.desc())


async def consent_states(session: AsyncSession, agreement: Agreement, person: Person) -> list[ConsentState]:
    """Each of the agreement's consents for one person, in agreement order, with its history."""
    events = list(await session.exec(select(ConsentEvent).where(ConsentEvent.person_id == person.id)
                                     .order_by(*_newest_first())))
    return [ConsentState(consent, next((e for e in events if e.consent == consent.id), None),
                         [e for e in events if e.consent == consent.id]) for consent in agreement.consents]


async def consented(session: AsyncSession, consent_id: str, person_ids: Iterable[int] | None = None) -> set[int]:
    """The people (ids) whose newest event for this consent says given; of `person_ids` only, when given.
    One query, however many people."""
    wanted = None if person_ids is None else set(person_ids)
    newest = func.row_number().over(partition_by=ConsentEvent.person_id, order_by=_newest_first()).label("n")
    latest = core_select(ConsentEvent.person_id, ConsentEvent.given, newest).where(
        ConsentEvent.consent == consent_id)
    if wanted is not None and len(wanted) <= ASKED_BY_ID:
        latest = latest.where(col(ConsentEvent.person_id).in_(sorted(wanted)))
    latest = latest.subquery()
    connection = await session.connection()
    rows = await connection.execute(core_select(latest.c.person_id).where(latest.c.n == 1, latest.c.given))
    found = set(rows.scalars())
    return found if wanted is None else found & wanted
