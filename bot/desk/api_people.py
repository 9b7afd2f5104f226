"""The provider desk's JSON API for people: find and add people, who may act for whom, CCSS's records,
enrolment codes, and families asking to talk to someone."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from bot.desk import people, store
from bot.desk.api_models import (
    ERRORS,
    ApiRoute,
    AuthorityOut,
    ContactOut,
    Done,
    EnrolmentOut,
    PeopleOut,
    PersonDetail,
    PersonOut,
)
from bot.desk.context import DeskContext, not_found
from bot.desk.deps import BEARER, ApiCaller, DeskContextDep
from bot.desk.forms import AuthorityIn, PersonIn, RecordIn
from bot.desk.routes_people import public_base
from bot.models import Authority, Family, Person


def person_out(person: Person, family: Family | None) -> PersonOut:
    return PersonOut(ref=person.ref, participant_id=person.participant_id, family_ref=family.ref if family else None,
                     given_name=person.given_name, family_name=person.family_name, birth_date=person.birth_date,
                     is_young_person=person.is_young_person, language=person.language)


def authority_out(authority: Authority, actor: Person, subject: Person) -> AuthorityOut:
    return AuthorityOut(id=authority.id, actor_ref=actor.ref, subject_ref=subject.ref,
                        relationship=authority.relationship, evidence=authority.evidence,
                        granted_at=authority.granted_at, revoked_at=authority.revoked_at)


router = APIRouter(prefix="/provider/api", tags=["provider desk API"], route_class=ApiRoute,
                   dependencies=[Depends(BEARER)], responses=ERRORS)


async def detail(ctx: DeskContext, ref: str) -> PersonDetail:
    async with ctx.sessions() as session:
        person = await store.person_by_ref(session, ref)
        if person is None:
            raise not_found("person", ref)
        family = await session.get(Family, person.family_id) if person.family_id else None
        acting_for, acts_for = await store.authorities(session, person)
    return PersonDetail(**person_out(person, family).model_dump(),
                        may_act_for_them=[authority_out(a, other, person) for a, other in acting_for],
                        they_may_act_for=[authority_out(a, person, other) for a, other in acts_for])


@router.get("/people", response_model=PeopleOut)
async def list_people(ctx: DeskContextDep, staff: ApiCaller, q: Annotated[str, Query(max_length=200)] = "",
                      before: Annotated[int | None, Query(ge=1, le=store.MAX_ID)] = None,
                      limit: Annotated[int, Query(ge=1, le=200)] = 50) -> PeopleOut:
    """People, newest first; `q` searches names, person and family references and programme ids."""
    async with ctx.sessions() as session:
        rows, next_before = await store.find_people(session, q, before, limit)
        families = await store.families_of(session, rows)
    return PeopleOut(items=[person_out(p, families.get(p.family_id)) for p in rows], next_before=next_before)


@router.post("/people", response_model=PersonDetail, status_code=201)
async def create_person(ctx: DeskContextDep, staff: ApiCaller, body: PersonIn) -> PersonDetail:
    """Add a person to an existing family (family_ref) or a new one (new_family_name)."""
    person = await people.create_person(ctx, body)
    return await detail(ctx, person.ref)


@router.get("/people/{ref}", response_model=PersonDetail)
async def get_person(ctx: DeskContextDep, staff: ApiCaller, ref: str) -> PersonDetail:
    """One person, with who may act for them and whom they may act for."""
    return await detail(ctx, ref)


@router.post("/people/{ref}/authorities", response_model=PersonDetail, status_code=201)
async def add_authority(ctx: DeskContextDep, staff: ApiCaller, ref: str, body: AuthorityIn) -> PersonDetail:
    """Record that someone (actor_ref) may act for this person, and how CCSS knows."""
    await people.add_authority(ctx, ref, body)
    return await detail(ctx, ref)


@router.post("/people/{ref}/authorities/{authority_id}/revoke", response_model=PersonDetail)
async def revoke_authority(ctx: DeskContextDep, staff: ApiCaller, ref: str, authority_id: int) -> PersonDetail:
    """Revoke a recorded authority of or for this person."""
    await people.revoke_authority(ctx, ref, authority_id)
    return await detail(ctx, ref)


@router.post("/people/{ref}/records", response_model=Done, status_code=201)
async def add_record(ctx: DeskContextDep, staff: ApiCaller, ref: str, body: RecordIn) -> Done:
    """Add a record CCSS itself holds about this person."""
    return Done(done=await people.add_record(ctx, staff, ref, body))


@router.post("/people/{ref}/enrolment-codes", response_model=EnrolmentOut, status_code=201)
async def enrolment_code(request: Request, ctx: DeskContextDep, staff: ApiCaller, ref: str) -> EnrolmentOut:
    """Issue a one-time enrolment code for this person, with its chat links (shown only now)."""
    issued = await people.enrol(ctx, ref, public_base(request), await people.telegram_username(request.app))
    return EnrolmentOut(person_ref=issued.person.ref, code=issued.code, web_link=issued.web_link,
                        telegram_link=issued.telegram_link, expires_at=issued.expires_at)


@router.get("/contacts", response_model=list[ContactOut])
async def contacts(ctx: DeskContextDep, staff: ApiCaller) -> list[ContactOut]:
    """Families asking to talk to someone, not yet dealt with: urgent ones first, then oldest first."""
    async with ctx.sessions() as session:
        rows = await store.open_contacts(session)
    return [ContactOut(id=c.id, person_ref=p.ref if p else None, note=c.note, created_at=c.created_at,
                       urgent=c.urgent)
            for c, p, _chat in rows]


@router.post("/contacts/{contact_id}/done", response_model=Done)
async def contact_done(ctx: DeskContextDep, staff: ApiCaller, contact_id: int) -> Done:
    """Mark a family's wish to talk to someone as dealt with."""
    return Done(done=await people.contact_done(ctx, staff, contact_id))
