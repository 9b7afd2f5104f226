"""The provider desk's reads. Every list is paged by a key the database has an index for (state, due_on
and id for requests; id for people), so a page costs the same with a million rows as with ten."""

from __future__ import annotations

from sqlalchemy import and_, column, func, literal_column, or_, table, text
from sqlalchemy.orm import aliased
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.desk.context import not_found
from bot.models import (
    PERSON_NAME_SEARCH,
    Authority,
    ChatLink,
    ContactReply,
    ContactRequest,
    Family,
    Person,
    Request,
    RequestEvent,
    UnitAnswer,
)
from deskkit.inputs import BIGGEST_ID
from deskkit.paging import Cursor, Cursors

MAX_ID = BIGGEST_ID  # the largest id either database holds: a bigger one in a link is refused, never a 500
COUNT_CAP = 1000  # counts stop here ("1000+"): an exact count of a huge state is a full index scan
# A queue page link: after (due_on, id) among the dated, or after id among the undated ("d.2026-12-01.42", "n.7").
CURSORS = Cursors(MAX_ID, undated=True)


async def queue_page(session: AsyncSession, state: str, after: Cursor | None, limit: int
                     ) -> tuple[list[Request], Cursor | None]:
    """Requests in one state, earliest due date first (so overdue ones lead), then those with no due date
    yet, oldest first. Two index range scans on (state, due_on), never a sort of the whole state."""
    rows: list[Request] = []
    if after is None or after.day is not None:
        dated = select(Request).where(Request.state == state, Request.due_on.is_not(None))
        if after is not None:
            # `due_on >=` repeats what the OR implies, so PostgreSQL starts the index range at the cursor
            # instead of reading and discarding every earlier row of the state (SQLite found it either way).
            dated = dated.where(Request.due_on >= after.day, or_(
                Request.due_on > after.day, (Request.due_on == after.day) & (Request.id > after.id)))
        rows += list(await session.exec(dated.order_by(Request.due_on, Request.id).limit(limit + 1)))
    if len(rows) <= limit:
        undated = select(Request).where(Request.state == state, Request.due_on.is_(None))
        if after is not None and after.day is None:
            undated = undated.where(Request.id > after.id)
        rows += list(await session.exec(undated.order_by(Request.id).limit(limit + 1 - len(rows))))
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], Cursor(last.due_on, last.id)


async def capped_count(session: AsyncSession, *where) -> int:
    inner = select(Request.id).where(*where).limit(COUNT_CAP).subquery()
    return (await session.exec(select(func.count()).select_from(inner))).one()


async def request_by_ref(session: AsyncSession, ref: str, lock: bool = False) -> Request | None:
    """A request staff may see: any but a draft, which is the family's own until they send it."""
    query = select(Request).where(Request.ref == ref, Request.state != "draft")
    return (await session.exec(query.with_for_update() if lock else query)).first()


async def request_to_change(session: AsyncSession, ref: str) -> Request:
    """The request, locked until the transaction ends (one staff step at a time), or DeskProblem(404)."""
    found = await request_by_ref(session, ref, lock=True)
    if found is None:
        raise not_found("request", ref)
    return found


async def events_of(session: AsyncSession, request: Request) -> list[RequestEvent]:
    query = select(RequestEvent).where(RequestEvent.request_id == request.id).order_by(RequestEvent.seq)
    return list(await session.exec(query))


async def answers_of(session: AsyncSession, request: Request) -> list[UnitAnswer]:
    query = select(UnitAnswer).where(UnitAnswer.request_id == request.id).order_by(UnitAnswer.unit)
    return list(await session.exec(query))


async def person_by_ref(session: AsyncSession, ref: str, lock: bool = False) -> Person | None:
    query = select(Person).where(Person.ref == ref)
    return (await session.exec(query.with_for_update() if lock else query)).first()


async def family_by_ref(session: AsyncSession, ref: str) -> Family | None:
    return (await session.exec(select(Family).where(Family.ref == ref))).first()


async def people_by_id(session: AsyncSession, ids: set[int]) -> dict[int, Person]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {p.id: p for p in await session.exec(select(Person).where(Person.id.in_(ids)))}


_PERSON_NAME_SEARCH = table(PERSON_NAME_SEARCH, column("rowid"), column(PERSON_NAME_SEARCH))
_TRIGRAM = 3  # the shortest word the name index (migration 0010) can look up


def _contains(person, word: str):
    like = f"%{word}%"
    return or_(func.lower(person.given_name).like(like), func.lower(person.family_name).like(like))


def _name_match(q: str, dialect: str, before: int | None, limit: int):
    """Each word of `q` (up to four) anywhere in the given or the family name, ignoring case, looked up in
    the name index (migration 0010) when it has three letters or more: an index of trigrams has nothing to
    look up a shorter word by, so those are checked on the rows the longer words find, and a query of
    short words only reads people newest first, as before the index (they match many people early).

    PostgreSQL: a trigram index on the lowered "given family" (a word has no spaces, so it is within one of
    the names exactly when it is within that text). The planner weighs it against reading newest first,
    which wins for a common word; it estimates every word from that expression's statistics, so short
    words are written on it too, except when alone (the index would then be read whole). SQLite: an FTS5
    trigram table (which also folds the case of letters beyond ASCII, as SQLite's lower() does not), read
    newest first and only as far as `limit` matches, so a common word costs no more than a rare one."""
    words = [word.replace("%", "").replace("_", "") for word in q.lower().split()[:4]]
    indexed = [word for word in words if len(word) >= _TRIGRAM] if dialect in ("postgresql", "sqlite") else []
    if not indexed:
        return and_(*[_contains(Person, word) for word in words])
    if dialect == "postgresql":
        # The space is written into the SQL, not bound: the index is on this expression, constant and all.
        name = func.lower(Person.given_name.op("||")(literal_column("' '")).op("||")(Person.family_name))
        return and_(*[name.like(f"%{word}%") for word in words])
    # Each word a quoted FTS5 phrase (its trigrams in a row, in either column; `"` doubled inside), so
    # nothing in a word is read as FTS5 syntax.
    match = " AND ".join('"' + word.replace('"', '""') + '"' for word in indexed)
    found = _PERSON_NAME_SEARCH.c.rowid
    newest = select(found).where(_PERSON_NAME_SEARCH.c[PERSON_NAME_SEARCH].match(match))
    if short := [word for word in words if word not in indexed]:
        named = aliased(Person)  # not the outer query's provider_person, which SQLAlchemy would correlate
        newest = newest.join(named, named.id == found).where(*[_contains(named, word) for word in short])
    if before is not None:
        newest = newest.where(found < before)
    return Person.id.in_(newest.order_by(found.desc()).limit(limit))


async def families_of(session: AsyncSession, people: list[Person]) -> dict[int, Family]:
    """The families of these people, by id."""
    ids = {p.family_id for p in people if p.family_id}
    return {f.id: f for f in await session.exec(select(Family).where(Family.id.in_(ids)))} if ids else {}


async def find_people(session: AsyncSession, q: str, before: int | None, limit: int) -> tuple[list[Person], int | None]:
    """People, newest first; `q` is a person's or family's reference, a programme id, or words of a name."""
    query = select(Person)
    q = q.strip()
    if q:
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            # Whether the name index or reading newest first is quicker depends on the words; a plan cached
            # for the statement's shape after five runs (the driver prepares statements) would ignore them:
            # 160 ms instead of 2 for a common word after rare ones, at 500,000 people.
            await session.exec(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        family = await family_by_ref(session, q)
        exact = [Person.ref == q, Person.participant_id == q] + ([Person.family_id == family.id] if family else [])
        query = query.where(or_(*exact, _name_match(q, dialect, before, limit + 1)))
    if before is not None:
        query = query.where(Person.id < before)
    rows = list(await session.exec(query.order_by(Person.id.desc()).limit(limit + 1)))
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


async def authorities(session: AsyncSession, person: Person) -> tuple[list[tuple[Authority, Person]],
                                                                        list[tuple[Authority, Person]]]:
    """(who may act for this person, whom this person may act for), each with the other person."""
    acting_for = await session.exec(select(Authority, Person).join(Person, Person.id == Authority.actor_id)
                                    .where(Authority.subject_id == person.id).order_by(Authority.id))
    acts_for = await session.exec(select(Authority, Person).join(Person, Person.id == Authority.subject_id)
                                  .where(Authority.actor_id == person.id).order_by(Authority.id))
    return list(acting_for), list(acts_for)


async def may_act_for(session: AsyncSession, actor: Person) -> list[Person]:
    """Everyone this person has a live (unrevoked) authority to act for."""
    query = (select(Person).join(Authority, Authority.subject_id == Person.id)
             .where(Authority.actor_id == actor.id, Authority.revoked_at.is_(None)).order_by(Person.given_name))
    return list(await session.exec(query))


async def open_contacts(session: AsyncSession, limit: int = 50) -> list[tuple[ContactRequest, Person | None, ChatLink]]:
    """Families asking to talk to someone: urgent ones (words of danger) first, then oldest first, with the
    person when their chat is enrolled and the chat they can be reached in."""
    query = (select(ContactRequest, Person, ChatLink).join(ChatLink, ChatLink.id == ContactRequest.chat_link_id)
             .outerjoin(Person, Person.id == ChatLink.person_id)
             .where(ContactRequest.handled_at.is_(None))
             .order_by(ContactRequest.urgent.desc(), ContactRequest.id).limit(limit))
    return list(await session.exec(query))


async def contact_replies(session: AsyncSession, contact_ids: list[int]) -> dict[int, list[ContactReply]]:
    """What staff have written back to these contact requests, oldest first."""
    replies: dict[int, list[ContactReply]] = {}
    if contact_ids:
        for reply in await session.exec(select(ContactReply).where(ContactReply.contact_request_id.in_(contact_ids))
                                        .order_by(ContactReply.id)):
            replies.setdefault(reply.contact_request_id, []).append(reply)
    return replies
