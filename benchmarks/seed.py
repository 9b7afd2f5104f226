"""Filling a database for the scale benchmark: N family requests and everything around them, on both sides.

Rows go in through SQLAlchemy Core, thousands to a statement (executemany), never as ORM objects one by
one, so a million requests take minutes rather than hours. The data has the shape of a provider some
years in: most requests finished long ago, a few hundred open in each state now, due dates spread either
side of today, an event for every step of every request, a task for each agency unit, agency records for
every person. Deterministic: the same size gives the same rows.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from datetime import date, datetime, time, timedelta
from functools import cache

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from agency.models import AgencyEvent, AgencyRecord, AgencyRequest, Task
from benchmarks.bulk import BatchWriter
from bot.models import Authority, ChatLink, ContactRequest, Conversation, Family, Person, Request, RequestEvent
from protocol import deadlines
from protocol.clock import NZ, nz_today

FIRST_ID = 1000  # the demo's own rows (tono.demo, loaded first) keep the small ids
YEARS_OF_HISTORY = 5
UNITS = ("service-reporting", "evaluation")  # both answer every kind of request (the agreement)

# Open requests are the work in hand: bounded by how many people do it, not by years of history.
OPEN = {"submitted": 200, "approved": 100, "relayed": 50, "received": 500, "clarifying": 50, "answered": 150,
        "preparing": 200, "delivered": 300}
FINISHED = (("closed", 92), ("withdrawn", 4), ("declined", 2), ("transferred", 2))

_MAIN = (("submit", "draft", "submitted"), ("approve", "submitted", "approved"), ("relay", "approved", "relayed"),
         ("acknowledge", "relayed", "received"), ("complete", "received", "answered"),
         ("prepare", "answered", "preparing"), ("deliver", "preparing", "delivered"), ("close", "delivered", "closed"))
# Each state's history as (trigger, from, to) steps, as protocol.lifecycle would have recorded it.
PATHS = {step[2]: _MAIN[:i + 1] for i, step in enumerate(_MAIN)} | {
    "clarifying": _MAIN[:4] + (("ask_clarification", "received", "clarifying"),),
    "withdrawn": _MAIN[:2] + (("withdraw", "approved", "withdrawn"),),
    "declined": _MAIN[:1] + (("decline", "submitted", "declined"),),
    "transferred": _MAIN[:4] + (("transfer", "received", "transferred"),),
}
ACTORS = {"submit": ("family", "family chat"), "withdraw": ("family", "family chat"),
          "relay": ("staff", "Demo staff member (CCSS)"), "acknowledge": ("system", "link"),
          "complete": ("system", "link"), "ask_clarification": ("officer", "service-reporting"),
          "transfer": ("officer", "service-reporting")}
STAFF = ("staff", "Demo staff member (CCSS)")
AGENCY_STATE = {"received": "received", "clarifying": "clarifying", "transferred": "transferred",
                "answered": "answered", "preparing": "answered", "delivered": "answered", "closed": "answered"}

GIVEN = ("Aroha", "Nikau", "Mere", "Grace", "Liam", "Sina", "Tavita", "Wiremu", "Hana", "Ana", "Mikaere", "Ruby",
         "Olivia", "Noah", "Isla", "Jack", "Amelia", "Oliver", "Charlotte", "Leo", "Tama", "Kiri", "Manaia", "Lani",
         "Sione", "Mele", "Losa", "Ioane", "Priya", "Arjun", "Mei", "Wei", "Sophie", "Ella", "Lucas", "Mia",
         "Hemi", "Ngaio", "Rangi", "Tui", "Ariana", "Maia", "Kahu", "Te Ao", "Eru", "Pania", "Matiu", "Anahera")
SURNAMES = ("Parata", "Smith", "Tanielu", "Ngata", "Walker", "Tipene", "Brown", "Wilson", "Taylor", "Thomas",
            "Williams", "Jones", "Te Rangi", "Henare", "Pomare", "Kereama", "Faleolo", "Tuilagi", "Fonoti",
            "Patel", "Singh", "Chen", "Wang", "Li", "Kumar", "Martin", "Anderson", "Clark", "Wright", "King",
            "Ruatapu", "Waaka", "Hohaia", "Rāwiri", "Moana", "Tautahi", "Leota", "Ioane", "Sapolu", "Vaai",
            "Harris", "Young", "Scott", "Hall", "Allen", "Morgan", "Kelly", "Baker", "Hughes", "Murphy")
RECORD_TITLES = ("Attendance report", "Family plan review", "Referral record", "Outcome report",
                 "Parenting confidence survey", "Evaluation consent form")

# Parents before children, as the foreign keys want them inserted.
MODELS = [Family, Person, Authority, ChatLink, Conversation, Request, RequestEvent, ContactRequest, AgencyRequest,
          Task, AgencyEvent, AgencyRecord]
TABLES = [model.__table__ for model in MODELS]


def open_counts(size: int) -> dict[str, int]:
    """A few hundred open requests per state; fewer in a tiny database, so most are still finished."""
    return {state: min(count, max(1, size // 40)) for state, count in OPEN.items()}


@cache
def _due(received: date) -> date:
    return deadlines.decision_due(received)


def _hash(*parts: object) -> str:
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()


class _Seeder:
    def __init__(self, writer: BatchWriter, size: int, today: date, horizon: date, officers: dict[str, int]):
        self.w, self.size, self.today, self.horizon, self.officers = writer, size, today, horizon, officers
        self.rng = random.Random(size)
        self.now = datetime.combine(today, time(10), NZ)
        self.people = max(6, size // 2)
        self.names: list[tuple[str, str]] = []  # each person's (given name, family name), for relayed bodies
        self.ids = Counter({"event": FIRST_ID, "agency_request": FIRST_ID, "task": FIRST_ID,
                            "agency_event": FIRST_ID, "record": FIRST_ID})

    def next_id(self, kind: str) -> int:
        self.ids[kind] += 1
        return self.ids[kind]

    @staticmethod
    def participant(person: int) -> str:
        return f"BFF-S-{person:07d}"

    async def people_and_chats(self) -> None:
        """Families of three: a parent (who may act for the child), another adult, a young person. Each
        adult has a web chat linked to them."""
        rng = self.rng
        for f in range(self.people // 3):
            surname = rng.choice(SURNAMES)
            self.w.add("provider_family", id=FIRST_ID + f, ref=f"SF-{f:07d}", name=f"{surname} whānau")
            for role in range(3):
                i = 3 * f + role
                young = role == 2
                self.names.append((rng.choice(GIVEN), surname))
                born = date(2008 + rng.randrange(12), 1 + rng.randrange(12), 1 + rng.randrange(28)) if young \
                    else date(1960 + rng.randrange(40), 1 + rng.randrange(12), 1 + rng.randrange(28))
                self.w.add("provider_person", id=FIRST_ID + i, ref=f"S-{i:07d}", participant_id=self.participant(i),
                           family_id=FIRST_ID + f, given_name=self.names[i][0], family_name=surname,
                           birth_date=born, is_young_person=young)
                if not young:
                    self.w.add("provider_chat_link", id=FIRST_ID + i, channel="web", chat_key=f"bench-{i}",
                               person_id=FIRST_ID + i)
                    self.w.add("provider_conversation", chat_link_id=FIRST_ID + i, step="menu")
                for n in range(2):
                    self.w.add("agency_record", id=self.next_id("record"), unit_id=UNITS[(i + n) % 2],
                               participant_id=self.participant(i), title=rng.choice(RECORD_TITLES),
                               body="Attended 6 of 8 group sessions; goals reviewed with the whānau worker.",
                               record_date=self.today - timedelta(days=rng.randrange(365 * YEARS_OF_HISTORY)))
            self.w.add("provider_authority", id=FIRST_ID + f, actor_id=FIRST_ID + 3 * f,
                       subject_id=FIRST_ID + 3 * f + 2, relationship="parent", evidence="Birth certificate seen")
            await self.w.flush_if_full()

    def states(self) -> list[str]:
        """The state of each request, oldest first: finished ones, then today's open work."""
        opened = [s for s, n in open_counts(self.size).items() for _ in range(n)]
        finished = self.size - len(opened)
        weights = [w for _, w in FINISHED]
        states = self.rng.choices([s for s, _ in FINISHED], weights, k=finished)
        self.rng.shuffle(opened)
        return states + opened

    def when(self, j: int, state: str, finished: int) -> tuple[datetime, date | None]:
        """When request j was made, and when the agency received it (None if it never did)."""
        rng = self.rng
        if j < finished:
            span = timedelta(days=365 * YEARS_OF_HISTORY - 60)
            created = self.now - timedelta(days=365 * YEARS_OF_HISTORY) + span * (j / max(1, finished))
            return created, (created.date() + timedelta(days=3) if state in AGENCY_STATE else None)
        if state in ("submitted", "approved", "relayed"):
            return self.now - timedelta(hours=rng.randrange(1, 96)), None
        # Received within the last weeks: due dates fall from about a week ago to four weeks ahead.
        back = rng.randrange(0, 36) if state in ("received", "clarifying") else rng.randrange(10, 40)
        received = self.today - timedelta(days=back)
        return datetime.combine(received - timedelta(days=3), time(9), NZ), received

    async def requests(self) -> None:
        rng, states = self.rng, self.states()
        finished = self.size - sum(open_counts(self.size).values())
        families = self.people // 3
        for j, state in enumerate(states):
            f = rng.randrange(families)
            requester = 3 * f + rng.randrange(2)
            subject = 3 * f + 2 if requester == 3 * f and rng.random() < 0.3 else requester
            created, received = self.when(j, state, finished)
            due = _due(received) if received else None
            clock_running = state in ("relayed", "received", "clarifying")
            rid, kind = FIRST_ID + j, "access" if rng.random() < 0.8 else "correction"
            head = self.events(rid, state, created, received, due)
            self.w.add("provider_request", id=rid, ref=f"BFF-{created.year}-{rid:07d}", kind=kind, state=state,
                       requester_id=FIRST_ID + requester, subject_id=FIRST_ID + subject,
                       chat_link_id=FIRST_ID + requester, scope="both",
                       details="Everything the programme holds about me.", identity_checked="id_seen",
                       received_on=received, due_on=due, units=list(UNITS) if received else [],
                       # The sweeps have already run: the overdue were told, the nearly due reminded.
                       late_told_on=due + timedelta(days=1) if clock_running and due and due < self.today else None,
                       reminded_on=self.today - timedelta(days=1) if due and due <= self.horizon else None,
                       delivered_at=created + timedelta(days=30) if state in ("delivered", "closed") else None,
                       created_at=created, updated_at=created + timedelta(days=1), history_head=head)
            if received:
                self.agency_side(rid, f"BFF-{created.year}-{rid:07d}", kind, state, subject, created, received, due)
            await self.w.flush_if_full()

    def events(self, rid: int, state: str, created: datetime, received: date | None, due: date | None) -> str:
        """The request's events, one per step of its path; returns the newest one's hash (the history's head).
        The hashes stand in for the real chain's: `tono verify-events` would call every history broken."""
        steps = list(PATHS[state])
        if len(steps) > 1:  # staff opened the request before deciding on it
            steps.insert(1, ("opened", "submitted", "submitted"))
        prev = ""
        for seq, (trigger, source, dest) in enumerate(steps, start=1):
            role, label = ACTORS.get(trigger, STAFF)
            detail = {"what": "request page"} if trigger == "opened" else (
                {"received_on": received.isoformat(), "due": due.isoformat()} if trigger == "acknowledge" else
                {"identity_checked": "id_seen"} if trigger == "approve" else {})
            digest = _hash(rid, seq, trigger)
            self.w.add("provider_request_event", id=self.next_id("event"), request_id=rid, seq=seq,
                       at=created + timedelta(hours=6 * seq), actor_role=role, actor_label=label, trigger=trigger,
                       from_state=source, to_state=dest, detail=detail, prev_hash=prev, hash=digest)
            prev = digest
        return prev

    def agency_side(self, rid: int, ref: str, kind: str, state: str, subject: int, created: datetime,
                    received: date, due: date) -> None:
        """The agency's copy of a received request: one task per unit, and its own hash-chained events."""
        aid = self.next_id("agency_request")
        given, family = self.names[subject]
        relayed = {"kind": kind, "subject": {"participant_id": self.participant(subject), "given_name": given,
                                             "family_name": family}, "form": "copy", "scope": "all_in_scope",
                   "details": "Everything the programme holds about me."}
        steps = [(None, "acknowledge", "relayed", "received", ("system", "intake"))]
        for unit in UNITS:
            tid = self.next_id("task")
            officer = self.officers[unit]
            if state in ("received", "clarifying"):
                task_state = "claimed" if state == "received" and self.rng.random() < 0.4 else "open"
            else:
                task_state = "withdrawn" if state == "transferred" else "answered"
            self.w.add("agency_task", id=tid, request_id=aid, unit_id=unit, state=task_state,
                       claimed_by=officer if task_state in ("claimed", "answered") else None, due_on=due,
                       answered_at=created + timedelta(days=20) if task_state == "answered" else None,
                       reminded_on=self.today - timedelta(days=1)
                       if task_state in ("open", "claimed") and due <= self.horizon else None,
                       answer=self.answer(unit, subject, due) if task_state == "answered" else {})
            if task_state in ("claimed", "answered"):
                steps.append((tid, "claim", "open", "claimed", ("officer", f"officer-{unit}")))
            if task_state == "answered":
                steps.append((tid, "answer", "claimed", "answered", ("officer", f"officer-{unit}")))
        if AGENCY_STATE[state] == "answered":
            steps.append((None, "complete", "received", "answered", ("system", "intake")))
        prev = ""
        for seq, (tid, trigger, source, dest, (role, label)) in enumerate(steps, start=1):
            digest = _hash("agency", aid, seq, trigger)
            self.w.add("agency_event", id=self.next_id("agency_event"), request_id=aid, task_id=tid, seq=seq,
                       at=created + timedelta(days=3 + seq), actor_role=role, actor_label=label, trigger=trigger,
                       from_state=source, to_state=dest, detail={}, prev_hash=prev, hash=digest)
            prev = digest
        self.w.add("agency_request", id=aid, provider="ccss", provider_ref=ref, kind=kind,
                   participant_id=self.participant(subject), state=AGENCY_STATE[state], received_on=received,
                   due_on=due, relayed=relayed, created_at=created + timedelta(days=3), history_head=prev)

    def answer(self, unit: str, subject: int, due: date) -> dict:
        """A unit's answer as the agency keeps it: the person's record in that unit, released."""
        record = FIRST_ID + 2 * subject + (0 if UNITS[subject % 2] == unit else 1) + 1
        return {"released": [{"item_id": str(record), "title": "Attendance report", "record_date": due.isoformat(),
                              "text": "Attended 6 of 8 group sessions; goals reviewed with the whānau worker."}],
                "withheld": [], "not_held": [], "answered_on": due.isoformat()}

    async def contacts(self) -> None:
        """Families asking to talk to someone: many dealt with over the years, a handful waiting now."""
        adults = [3 * f + r for f in range(min(self.people // 3, 5000)) for r in range(2)]
        handled, waiting = self.size // 50, min(20, self.size // 100 + 1)
        for k in range(handled + waiting):
            at = self.now - timedelta(days=365 * YEARS_OF_HISTORY) * (1 - k / (handled + waiting))
            self.w.add("provider_contact_request", id=FIRST_ID + k, chat_link_id=FIRST_ID + self.rng.choice(adults),
                       note="Please call me after 3pm.", created_at=at,
                       handled_at=at + timedelta(hours=4) if k < handled else None)


async def seed(engine: AsyncEngine, size: int, horizon: date, officers: dict[str, int],
               today: date | None = None) -> dict[str, int]:
    """Add `size` requests and all around them to a migrated database that has the demo loaded (its units
    and officers); returns the rows added per table."""
    async with engine.begin() as conn:
        writer = BatchWriter(conn, MODELS)
        seeder = _Seeder(writer, size, today or nz_today(), horizon, officers)
        await seeder.people_and_chats()
        await seeder.requests()
        await seeder.contacts()
        await writer.flush()
    if engine.dialect.name == "postgresql":
        await _after_bulk_load_postgres(engine)
    return dict(writer.counts)


async def _after_bulk_load_postgres(engine: AsyncEngine) -> None:
    """Ids were given explicitly, so each sequence is moved past them (or the desks' next insert would
    collide); then VACUUM ANALYZE, as autovacuum would soon after such a load, so plans see real sizes."""
    async with engine.begin() as conn:
        for table in TABLES:
            if "id" in table.columns and table.columns["id"].autoincrement in (True, "auto"):
                await conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                        f"(SELECT max(id) FROM {table.name}))"))
    async with engine.connect() as conn:
        autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text("VACUUM ANALYZE"))
