"""The provider's tables: families, people and who may act for whom, chat links, enrolment, requests.

The provider's tables never point at the agency's: the two organisations share only protocol messages.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, Index, LargeBinary, Text, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from deskkit.tokens import expiry
from protocol.clock import utcnow


class Family(SQLModel, table=True):
    """A whānau the provider works with."""

    __tablename__ = "provider_family"

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class Person(SQLModel, table=True):
    """A parent, caregiver or young person. `participant_id` is the programme's id, known to the agency too."""

    __tablename__ = "provider_person"

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(max_length=32, unique=True)
    participant_id: str = Field(max_length=32, unique=True)
    family_id: int | None = Field(default=None, foreign_key="provider_family.id", index=True)
    given_name: str = Field(max_length=100)
    family_name: str = Field(max_length=100)
    birth_date: date | None = None
    is_young_person: bool = False
    language: str = Field(default="en", max_length=8)
    created_at: datetime = Field(default_factory=utcnow)


# People are searched by name through an index no model can describe (migration 0010): on SQLite an FTS5
# table of this name, with its shadow tables and triggers; on PostgreSQL a trigram index of this name.
# Autogenerate and the schema tests ignore every object whose name starts with it.
PERSON_NAME_SEARCH = "provider_person_name_search"


class Authority(SQLModel, table=True):
    """Who may act for whom. Parents have no automatic right to a child's information (DESIGN.md §3.3),
    so every such right is recorded, with how staff know it, and can be revoked."""

    __tablename__ = "provider_authority"
    __table_args__ = (UniqueConstraint("actor_id", "subject_id"),)

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="provider_person.id", index=True)
    subject_id: int = Field(foreign_key="provider_person.id", index=True)
    relationship: str = Field(max_length=32)  # parent, caregiver, guardian, representative
    evidence: str = Field(default="", max_length=500)
    granted_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None


class ChatLink(SQLModel, table=True):
    """One chat on one channel (a Telegram chat, a web chat session), linked to a person once enrolled."""

    __tablename__ = "provider_chat_link"
    __table_args__ = (UniqueConstraint("channel", "chat_key"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    chat_key: str = Field(max_length=128)
    person_id: int | None = Field(default=None, foreign_key="provider_person.id", index=True)
    language: str = Field(default="en", max_length=8)
    audience: str = Field(default="adult", max_length=8)  # the register: adult or child
    failed_codes: int = 0  # wrong enrolment codes in a row: guessing is slowed down
    codes_locked_until: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)


class Conversation(SQLModel, table=True):
    """Where a chat is in its conversation, kept in the database so a restart loses nothing."""

    __tablename__ = "provider_conversation"

    chat_link_id: int = Field(foreign_key="provider_chat_link.id", primary_key=True)
    flow: str = Field(default="", max_length=32)
    step: str = Field(default="", max_length=32)
    data: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    version: int = 0
    updated_at: datetime = Field(default_factory=utcnow)


class EnrolmentCode(SQLModel, table=True):
    """A one-time code staff give a family; only its hash is kept, so a database copy cannot enrol anyone."""

    __tablename__ = "provider_enrolment_code"

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=64, unique=True)
    person_id: int = Field(foreign_key="provider_person.id", index=True)
    expires_at: datetime
    used_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Request(SQLModel, table=True):
    """A family's request to see (access, IPP 6) or correct (correction, IPP 7) information.

    `state` is the declared state from protocol.lifecycle; overdue is computed from `due_on`, never stored.
    """

    __tablename__ = "provider_request"
    __table_args__ = (Index("ix_provider_request_state_due", "state", "due_on"),)

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(max_length=32, unique=True)
    kind: str = Field(max_length=16)
    state: str = Field(default="draft", max_length=16)
    requester_id: int | None = Field(default=None, foreign_key="provider_person.id", index=True)
    subject_id: int | None = Field(default=None, foreign_key="provider_person.id", index=True)
    chat_link_id: int | None = Field(default=None, foreign_key="provider_chat_link.id", index=True)
    # Names as typed by someone not yet linked to a person; staff verify them before anything is shared.
    requester_name: str = Field(default="", max_length=200)
    subject_name: str = Field(default="", max_length=300)
    scope: str = Field(default="both", max_length=16)  # provider, agency, both
    details: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    correction_what: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    correction_should_say: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    form: str = Field(default="copy", max_length=16)  # copy, print, read_together
    urgent: bool = False
    urgency_reason: str = Field(default="", max_length=1000)
    identity_checked: str = Field(default="", max_length=32)
    received_on: date | None = None
    due_on: date | None = None
    units: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # the agency's fan-out
    clarification: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))  # open question
    late_told_on: date | None = None  # when the family was told the agency is late (told once)
    # The hash of the newest event: a history cut short (its newest events deleted) no longer ends here.
    history_head: str = Field(default="", max_length=64)
    reminded_on: date | None = None  # when staff were last reminded that the due date is near
    read_together: bool | None = None  # the family's choice when copies were ready: None until they chose
    delivered_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class RequestEvent(SQLModel, table=True):
    """One step in a request's history: append-only, each carrying the hash of the one before (DESIGN.md §8)."""

    __tablename__ = "provider_request_event"
    __table_args__ = (UniqueConstraint("request_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="provider_request.id", index=True)
    seq: int
    at: datetime = Field(default_factory=utcnow)
    actor_role: str = Field(max_length=16)
    actor_label: str = Field(default="", max_length=100)
    trigger: str = Field(max_length=32)
    from_state: str = Field(max_length=16)
    to_state: str = Field(max_length=16)
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    prev_hash: str = Field(default="", max_length=64)
    hash: str = Field(default="", max_length=64)


class StaffAccount(SQLModel, table=True):
    """A provider staff member's desk login; the password is kept only as an argon2 hash."""

    __tablename__ = "provider_staff"

    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(max_length=64, unique=True)
    display_name: str = Field(max_length=100)
    password_hash: str = Field(max_length=200)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    # Which sessions are still good: a session cookie issued under an older number is refused, so adding one
    # ends every session of this login (logout, a new password, disabling; deskkit/sessions.py).
    session_generation: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class ContactRequest(SQLModel, table=True):
    """A family asked to talk to a person; staff see it on the desk until it is dealt with."""

    __tablename__ = "provider_contact_request"
    # The desk lists the ones still waiting, oldest first: without it, every one ever handled is read first.
    __table_args__ = (Index("ix_provider_contact_request_waiting", "handled_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_link_id: int = Field(foreign_key="provider_chat_link.id", index=True)
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow)
    handled_at: datetime | None = None
    # The family typed words of danger or distress (bot/flows/safety.py): shown first on the desk.
    urgent: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class ContactReply(SQLModel, table=True):
    """What a staff member wrote back to a family's wish to talk, sent to their chat through the outbox."""

    __tablename__ = "provider_contact_reply"

    id: int | None = Field(default=None, primary_key=True)
    contact_request_id: int = Field(foreign_key="provider_contact_request.id", index=True)
    staff_id: int = Field(foreign_key="provider_staff.id")
    text: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class Notification(SQLModel, table=True):
    """One message to a family's chat, decided in a transaction: a turn's reply on a pushing channel
    (Telegram), or news about a request (it moved, a question came). Kept here in the same transaction,
    then sent by the notifier in order per chat, so a crash never loses it (a transactional outbox)."""

    __tablename__ = "provider_notification"
    __table_args__ = (
        Index("ix_provider_notification_pending", "sent_at", "next_attempt_at"),
        Index("ix_provider_notification_chat_order", "chat_link_id", "sent_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    chat_link_id: int = Field(foreign_key="provider_chat_link.id", index=True)
    request_id: int | None = Field(default=None, foreign_key="provider_request.id")
    text: dict = Field(sa_column=Column(JSON, nullable=False))  # bot.language.i18n.to_json of what to say
    # rows of [label json, action]: [[[label, action], [label, action]], [[label, action]]]
    buttons: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    screen: int = 0  # the conversation screen the buttons belong to (0: a notice, checked when pressed)
    # A turn's reply is said in the language and register of that turn; news (None) in the chat's current ones.
    language: str | None = Field(default=None, max_length=8)
    audience: str | None = Field(default=None, max_length=8)  # the register ("register" shadows pydantic)
    document_name: str | None = Field(default=None, max_length=200)
    # The copies, kept only until sent (then cleared: the outbox is not a second store of records).
    document: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)
    next_attempt_at: datetime = Field(default_factory=utcnow)
    attempts: int = 0
    parts_sent: int = 0  # a long text goes as several messages; those already sent are never sent again
    claimed_until: datetime | None = None  # a sender is on it until then (another worker leaves it alone)
    in_doubt: int = 0  # times a sender died mid-send and it was sent again (the one case a copy can repeat)
    sent_at: datetime | None = None
    failed_at: datetime | None = None  # the channel refused it for good (the family blocked the bot …)
    last_error: str | None = Field(default=None, max_length=500)


class UnitAnswer(SQLModel, table=True):
    """One agency unit's answer to a request, as the agency sent it (the unit.answered message body)."""

    __tablename__ = "provider_unit_answer"
    __table_args__ = (UniqueConstraint("request_id", "unit"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="provider_request.id", index=True)
    unit: str = Field(max_length=32)
    body: dict = Field(sa_column=Column(JSON, nullable=False))
    received_at: datetime = Field(default_factory=utcnow)


class ProviderRecord(SQLModel, table=True):
    """A record CCSS itself holds about a person (case notes, attendance, forms), added by staff."""

    __tablename__ = "provider_record"
    __table_args__ = (Index("ix_provider_record_person", "person_id", "record_date"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="provider_person.id")
    title: str = Field(max_length=200)
    body: str = Field(sa_column=Column(Text, nullable=False))
    record_date: date
    created_by: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class StaffToken(SQLModel, table=True):
    """A token for the provider's JSON API, for a staff member's own tools; only its hash is kept."""

    __tablename__ = "provider_api_token"

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="provider_staff.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    label: str = Field(default="", max_length=100)
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None
    # It stops working then, revoked or not (deskkit/tokens.py); every lookup checks it.
    expires_at: datetime = Field(default_factory=lambda: expiry(utcnow()))


class ItemVersion(SQLModel, table=True):
    """One item of an answer in one language and register, as the family will read it. The adult English
    version is the record as released; the others are written or checked by staff (or a translator)."""

    __tablename__ = "provider_item_version"
    __table_args__ = (UniqueConstraint("request_id", "item_key", "language", "audience"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="provider_request.id", index=True)
    item_key: str = Field(max_length=64)  # "<unit>:<item id>" for the agency's, "ccss:<record id>" for CCSS's
    language: str = Field(max_length=8)
    audience: str = Field(max_length=8)  # the register: adult or child
    title: str = Field(max_length=200)
    text: str = Field(sa_column=Column(Text, nullable=False))
    written_by: str = Field(default="", max_length=64)
    updated_at: datetime = Field(default_factory=utcnow)


class CorrectionStatement(SQLModel, table=True):
    """A family's statement of correction for a record the agency would not correct (IPP 7(3))."""

    __tablename__ = "provider_correction_statement"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="provider_request.id", index=True)
    item_key: str = Field(max_length=64)
    statement: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    attached_on: date | None = None


class StudyPart(SQLModel, table=True):
    """The part of a family's request about what one unit holds under the person's study number, relayed on its
    own (study_part.relayed) under `ref`, a random reference that shares nothing with the request's. Only the
    provider knows which request a part belongs to; the unit's answer comes back here and is given to the family
    as that unit's part. `state`: relayed, received, answered, or withdrawn with the request."""

    __tablename__ = "provider_study_part"
    __table_args__ = (UniqueConstraint("request_id", "unit"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="provider_request.id", index=True)
    unit: str = Field(max_length=32)
    ref: str = Field(max_length=32, unique=True)
    study_number: str = Field(max_length=64)
    state: str = Field(default="relayed", max_length=16)
    relayed_on: date
    received_on: date | None = None
    due_on: date | None = None
    answer: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    answered_at: datetime | None = None


# Outcomes of information use the agency reports are kept with the reports that informed them: see Outcome in
# bot/reports/tables.py.


class SeenUpdate(SQLModel, table=True):
    """An update a channel already handled (a Telegram update_id, a web chat turn id): a redelivered one
    changes nothing the second time. Kept two days; Telegram redelivers within hours at most."""

    __tablename__ = "provider_seen_update"

    key: str = Field(primary_key=True, max_length=96)
    seen_at: datetime = Field(default_factory=utcnow, index=True)
