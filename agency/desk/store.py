"""What the agency desk reads and writes. Every query about work is filtered by the officer's unit, so a
task or record of another unit is found exactly as often as one that does not exist: never."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, or_, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from agency.answering import check_unit
from agency.models import AgencyEvent, AgencyRequest, InformationUse, Officer, OfficerToken, Task
from deskkit.inputs import stored_id
from deskkit.paging import Cursor, Cursors
from deskkit.passwords import check_password
from deskkit.tokens import DEFAULT_LIFETIME, expiry, new_token, token_hash, worth_looking_up
from protocol.clock import utcnow
from protocol.deadlines import is_overdue, working_days_left
from protocol.tasks import OPEN_TASK_STATES, TASK_TERMINAL_STATES

MAX_ID = 2**31 - 1  # the largest id the tables hold; a bigger one is simply not found
PAGE_SIZE = 25
COUNT_CAP = 1000  # counts stop here ("1000+"): an exact count of the unit's whole history reads every index entry
NUMBERED_PAGES = COUNT_CAP // PAGE_SIZE  # the API's pages by number reach as far as its count does
CURSORS = Cursors(MAX_ID)  # a queue page link: after the task due on that day with that id ("2026-12-01.42")
QUEUE_VIEWS = {"todo": OPEN_TASK_STATES, "finished": tuple(sorted(TASK_TERMINAL_STATES))}
TOKEN_PREFIX = "tono_agency_"
MOST_TOKENS = 10  # live tokens per officer: enough for a case system and a spare, not a scatter of secrets


class NotFound(LookupError):
    """No such task (or token) in the officer's unit; said the same way whether it exists elsewhere or not."""


async def verify_login(sessions: async_sessionmaker, login: str, password: str) -> tuple[str, int] | None:
    """deskkit's verify: ("officer", id) when the login and password match an active officer."""
    officer = None
    if len(login) <= 64:
        async with sessions() as session:
            officer = (await session.exec(select(Officer).where(Officer.login == login))).first()
    # The password is checked after the transaction ends: argon2 takes a while, and SQLite would stay locked.
    known = officer if officer is not None and officer.active else None
    if await check_password(known.password_hash if known else None, password):
        return "officer", known.id
    return None


async def load_officer(sessions: async_sessionmaker, kind: str, account_id: object) -> Officer | None:
    """deskkit's load_account: the active officer a session names, read afresh on every request."""
    if kind != "officer" or not isinstance(account_id, int) or not stored_id(account_id, MAX_ID):
        return None
    async with sessions() as session:
        officer = await session.get(Officer, account_id)
    return officer if officer is not None and officer.active else None


def session_generation(officer: Officer) -> int:
    """deskkit's `generation_of`: the officer login's current session generation."""
    return officer.session_generation


async def end_sessions(sessions: async_sessionmaker, kind: str, account_id: object, generation: int) -> None:
    """deskkit's `end_sessions`: end every session of the officer's login (at logout), if still at `generation`.
    One statement, so two ends at once cannot both read the same number."""
    if kind != "officer" or not isinstance(account_id, int) or not stored_id(account_id, MAX_ID):
        return
    async with sessions() as session, session.begin():
        await (await session.connection()).execute(update(Officer).where(
            Officer.id == account_id, Officer.session_generation == generation)
            .values(session_generation=Officer.session_generation + 1))


# ---- the unit's queue ------------------------------------------------------------------------------------


@dataclass
class QueueRow:
    task: Task
    request: AgencyRequest
    claimed_by: str | None  # the claiming officer's name
    overdue: bool
    days_left: int  # working days from today to the due date


@dataclass
class QueuePage:
    rows: list[QueueRow]
    total: int  # how many tasks the view has, counted only up to COUNT_CAP
    next_after: str | None  # the link to where the next page starts; None on the last page

    @property
    def total_is_lower_bound(self) -> bool:
        """The count stopped at the cap: there are at least `total` tasks ("1000+"), perhaps many more."""
        return self.total >= COUNT_CAP


# The tasks an officer sees when nothing says otherwise: the named parts of requests.
NAMED_ONLY: frozenset[bool] = frozenset({False})


async def queue_page(session: AsyncSession, unit_id: str, view: str, today: date, *, after: Cursor | None = None,
                     page: int = 1, sight: frozenset[bool] = NAMED_ONLY) -> QueuePage:
    """One page of the unit's tasks, the page-th after `after` (or from the start), on the (unit_id, state,
    due_on) index, with a count that stops at COUNT_CAP.

    To do: earliest due date first, which puts every overdue task first too (overdue means due before
    today). Finished: latest due date first. Ties go by id, so (due_on, id) names a place in either order.

    Each state is read in the index's own order from the cursor, only as far as this page, and the states
    are merged here: one query over both states had the database sort the unit's whole history for every
    page (half a second at 100,000 requests). A page by number reads every earlier page's index entries too,
    so callers follow `next_after` and keep numbers to the first few pages. Whole rows are read only for
    the page's tasks. Only the tasks the officer's role sees (`sight`, answering.sight): named parts, parts
    about a study number, or (where a unit holds one kind only) that kind."""
    todo = view == "todo"
    order = (Task.due_on, Task.id) if todo else (Task.due_on.desc(), Task.id.desc())
    end = page * PAGE_SIZE
    seen = (Task.study_numbered.in_(sorted(sight)),)
    in_view = (Task.unit_id == unit_id, Task.state.in_(QUEUE_VIEWS[view]), *seen)
    total = (await session.exec(select(func.count()).select_from(
        select(Task.id).where(*in_view).limit(COUNT_CAP).subquery()))).one()
    beyond = []
    if after is not None:
        # The plain bound on due_on repeats what the OR implies, so PostgreSQL starts the index range at the
        # cursor instead of reading and discarding every task before it (the provider desk does the same).
        due, later_due, later_id = ((Task.due_on >= after.day, Task.due_on > after.day, Task.id > after.id)
                                    if todo else
                                    (Task.due_on <= after.day, Task.due_on < after.day, Task.id < after.id))
        beyond = [due, or_(later_due, and_(Task.due_on == after.day, later_id))]
    keys = []
    for state in QUEUE_VIEWS[view]:
        keys += (await session.exec(select(Task.due_on, Task.id).where(
            Task.unit_id == unit_id, Task.state == state, *seen, *beyond).order_by(*order).limit(end + 1))).all()
    keys = sorted(keys, reverse=not todo)
    ids = [task_id for _, task_id in keys[end - PAGE_SIZE:end]]
    found = list(await session.exec(
        select(Task, AgencyRequest).join(AgencyRequest, AgencyRequest.id == Task.request_id).where(Task.id.in_(ids))
        .order_by(*order))) if ids else []
    names = await officer_names(session, {t.claimed_by for t, _ in found if t.claimed_by})
    rows = [QueueRow(t, r, names.get(t.claimed_by), t.state in QUEUE_VIEWS["todo"] and is_overdue(t.due_on, today),
                     working_days_left(t.due_on, today)) for t, r in found]
    return QueuePage(rows, total, CURSORS.text(Cursor(*keys[end - 1])) if len(keys) > end else None)


async def officer_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {o.id: o.display_name for o in await session.exec(select(Officer).where(Officer.id.in_(ids)))}


# ---- one task, found only within the unit -----------------------------------------------------------------


async def unit_task(session: AsyncSession, officer: Officer, task_id: int, *, lock: bool = True,
                    sight: frozenset[bool] = NAMED_ONLY) -> tuple[Task, AgencyRequest]:
    """The task and its request, only if the task is the officer's unit's and of a kind the officer's role sees
    (`sight`: named, or about a study number); NotFound otherwise.

    With `lock`, the request row and then the task row are locked (PostgreSQL; SQLite already holds its
    write lock), in the order the agency's intake locks them: every move appends to the request's event
    chain, and the last unit's answer must see every other task's state."""
    if not stored_id(task_id, MAX_ID):
        raise NotFound
    request_id = (await session.exec(select(Task.request_id).where(
        Task.id == task_id, Task.unit_id == officer.unit_id, Task.study_numbered.in_(sorted(sight))))).first()
    if request_id is None:
        raise NotFound
    request_q = select(AgencyRequest).where(AgencyRequest.id == request_id)
    task_q = select(Task).where(Task.id == task_id, Task.unit_id == officer.unit_id)
    if lock:
        request_q, task_q = request_q.with_for_update(), task_q.with_for_update()
    request = (await session.exec(request_q.execution_options(populate_existing=True))).one()
    task = (await session.exec(task_q.execution_options(populate_existing=True))).one()
    check_unit(officer, task)
    return task, request


async def history(session: AsyncSession, request: AgencyRequest, task: Task) -> list[AgencyEvent]:
    """The request's own steps and this task's, oldest first; never another unit's task."""
    return list(await session.exec(select(AgencyEvent).where(
        AgencyEvent.request_id == request.id, or_(AgencyEvent.task_id.is_(None), AgencyEvent.task_id == task.id))
        .order_by(AgencyEvent.seq)))


# ---- outcomes of information use --------------------------------------------------------------------------


async def outcomes_page(session: AsyncSession, unit_id: str, page: int) -> tuple[list[InformationUse], int]:
    where = InformationUse.unit_id == unit_id
    total = (await session.exec(select(func.count()).select_from(InformationUse).where(where))).one()
    rows = list(await session.exec(select(InformationUse).where(where).order_by(InformationUse.id.desc())
                                   .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
    return rows, total


# ---- API tokens --------------------------------------------------------------------------------------------


async def officer_for_token(sessions: async_sessionmaker, token: str) -> Officer | None:
    """The active officer a live token belongs to; only the token's hash is ever looked up."""
    if not worth_looking_up(token, TOKEN_PREFIX):
        return None
    async with sessions() as session:
        return (await session.exec(select(Officer).join(OfficerToken, OfficerToken.officer_id == Officer.id).where(
            OfficerToken.token_hash == token_hash(token), OfficerToken.revoked_at.is_(None),
            OfficerToken.expires_at > utcnow(), Officer.active.is_(True)))).first()


async def own_tokens(session: AsyncSession, officer: Officer) -> list[OfficerToken]:
    return list(await session.exec(select(OfficerToken).where(OfficerToken.officer_id == officer.id)
                                   .order_by(OfficerToken.revoked_at.is_not(None), OfficerToken.id.desc())))


async def create_token(session: AsyncSession, officer: Officer, label: str,
                       days: int = DEFAULT_LIFETIME) -> str | None:
    """A new token for the officer (returned once, kept only as a hash), working for `days` days; None when
    they have too many that still work."""
    live = (await session.exec(select(func.count()).select_from(OfficerToken).where(
        OfficerToken.officer_id == officer.id, OfficerToken.revoked_at.is_(None),
        OfficerToken.expires_at > utcnow()))).one()
    if live >= MOST_TOKENS:
        return None
    token = new_token(TOKEN_PREFIX)
    session.add(OfficerToken(officer_id=officer.id, token_hash=token_hash(token), label=label,
                             expires_at=expiry(utcnow(), days)))
    return token


async def revoke_token(session: AsyncSession, officer: Officer, token_id: int) -> OfficerToken:
    """Revoke one of the officer's own live tokens; NotFound for anyone else's, or one already revoked."""
    found = (await session.exec(select(OfficerToken).where(
        OfficerToken.id == token_id, OfficerToken.officer_id == officer.id,
        OfficerToken.revoked_at.is_(None)))).first() if stored_id(token_id, MAX_ID) else None
    if found is None:
        raise NotFound
    found.revoked_at = utcnow()
    session.add(found)
    return found
