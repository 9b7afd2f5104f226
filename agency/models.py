"""The agency's tables: its units, the requests it received, one task per unit, its records and officers.

The agency's tables never point at the provider's: a request is known by the provider's reference only.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from deskkit.tokens import expiry
from protocol.clock import utcnow


class Unit(SQLModel, table=True):
    """A part of the agency that holds information for one purpose (from the agreement)."""

    __tablename__ = "agency_unit"

    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=200)


class AgencyRequest(SQLModel, table=True):
    """A request as the agency received it from a provider; the statutory clock starts at `received_on`."""

    __tablename__ = "agency_request"
    __table_args__ = (UniqueConstraint("provider", "provider_ref"),)

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=32)
    provider_ref: str = Field(max_length=32)
    kind: str = Field(max_length=16)
    participant_id: str = Field(max_length=32, index=True)  # a study number when study_numbered
    # The part of a request about what one unit holds under a study number (study_part.relayed): it carries
    # no name, and its provider_ref is a random reference that shares nothing with the family's request.
    study_numbered: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    state: str = Field(default="received", max_length=16)
    received_on: date
    due_on: date
    relayed: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    clarification_answer: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow)
    # The hash of the newest event: a history cut short (its newest events deleted) no longer ends here.
    history_head: str = Field(default="", max_length=64)


class Task(SQLModel, table=True):
    """One unit's part of a request: the unit answers for the information it holds for its purpose."""

    __tablename__ = "agency_task"
    __table_args__ = (
        UniqueConstraint("request_id", "unit_id"),
        Index("ix_agency_task_unit_state_due", "unit_id", "state", "due_on"),
        Index("ix_agency_task_state_due", "state", "due_on"),  # the deadline sweep, across every unit
    )

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="agency_request.id", index=True)
    unit_id: str = Field(foreign_key="agency_unit.id", max_length=32)
    state: str = Field(default="open", max_length=16)
    # The task of a study-numbered part (as its request): only roles that see study-numbered data see it, and
    # only roles that see names see the others (Unit.sight in the agreement).
    study_numbered: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    claimed_by: int | None = Field(default=None, foreign_key="agency_officer.id")
    due_on: date
    answered_at: datetime | None = None
    reminded_on: date | None = None  # when the unit was last reminded that the due date is near
    answer: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class AgencyReport(SQLModel, table=True):
    """A report a unit received from the provider under a flow of the agreement, applied whole."""

    __tablename__ = "agency_report"
    __table_args__ = (UniqueConstraint("provider", "ref"),)

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=32)
    ref: str = Field(max_length=64)
    flow: str = Field(max_length=32)
    unit_id: str = Field(foreign_key="agency_unit.id", max_length=32, index=True)
    period: str = Field(max_length=7)
    named: bool
    agreement_version: str = Field(max_length=64)
    corrects_ref: str | None = Field(default=None, max_length=64)
    parts: int
    rows: int
    received_on: date
    received_at: datetime = Field(default_factory=utcnow)


class AgencyReportPart(SQLModel, table=True):
    """A part of a report that arrived before the report's last part: kept until every part is here, then
    the report is applied whole in one transaction and its parts are deleted."""

    __tablename__ = "agency_report_part"
    __table_args__ = (UniqueConstraint("provider", "ref", "part"),)

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=32)
    ref: str = Field(max_length=64)
    part: int
    body: dict = Field(sa_column=Column(JSON, nullable=False))
    received_at: datetime = Field(default_factory=utcnow)


class AgencyRecord(SQLModel, table=True):
    """A record one unit holds about a programme participant: from a report of the provider's (by participant
    id, or by study number where the flow does not name people), or added from the unit's own systems."""

    __tablename__ = "agency_record"
    __table_args__ = (Index("ix_agency_record_unit_participant", "unit_id", "participant_id"),
                      UniqueConstraint("unit_id", "row_id", name="uq_agency_record_unit_row"))

    id: int | None = Field(default=None, primary_key=True)
    unit_id: str = Field(foreign_key="agency_unit.id", max_length=32)
    participant_id: str = Field(max_length=64)  # a participant id, or a study number when study_numbered
    study_numbered: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    report_id: int | None = Field(default=None, foreign_key="agency_report.id", index=True)
    row_id: str | None = Field(default=None, max_length=64)  # the provider's id for a row a report brought
    values: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    title: str = Field(max_length=200)
    body: str = Field(sa_column=Column(Text, nullable=False))
    record_date: date
    corrected_at: datetime | None = None
    statement_of_correction: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)


class InformationUse(SQLModel, table=True):
    """An outcome of information use a unit reported (a decision, advice or report it informed), against the
    reports it received that informed it; its summary is a template's id or four versions (protocol/outcomes.py)."""

    __tablename__ = "agency_information_use"

    id: int | None = Field(default=None, primary_key=True)
    unit_id: str = Field(foreign_key="agency_unit.id", max_length=32, index=True)
    participant_id: str | None = Field(default=None, max_length=32, index=True)  # None: all the reports carried
    kind: str = Field(max_length=16)  # decision, advice, report
    reports: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # the reports' refs
    template: str | None = Field(default=None, max_length=64)
    summaries: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))  # {en: {adult, child}, mi: …}
    reported_on: date
    officer_id: int | None = Field(default=None, foreign_key="agency_officer.id")


class Officer(SQLModel, table=True):
    """An agency officer's desk login, in exactly one unit; the password is kept only as an argon2 hash."""

    __tablename__ = "agency_officer"

    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(max_length=64, unique=True)
    display_name: str = Field(max_length=100)
    unit_id: str = Field(foreign_key="agency_unit.id", max_length=32, index=True)
    # The officer's role in the unit (an id from the agreement's seen_by), so a family is told which role
    # at which unit opened their information; '' for a login made before roles.
    role: str = Field(default="", max_length=32, sa_column_kwargs={"server_default": ""})
    password_hash: str = Field(max_length=200)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    # As StaffAccount's: a session cookie issued under an older number is refused (deskkit/sessions.py).
    session_generation: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class AgencyEvent(SQLModel, table=True):
    """One step in the agency's handling of a request or task: append-only, hash-chained per request."""

    __tablename__ = "agency_event"
    __table_args__ = (UniqueConstraint("request_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="agency_request.id", index=True)
    task_id: int | None = Field(default=None, foreign_key="agency_task.id")
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


class OfficerToken(SQLModel, table=True):
    """A token for the agency's JSON API, so a unit can answer from its own case system; only its hash is
    kept, and it acts as its officer: one unit, nothing more."""

    __tablename__ = "agency_api_token"

    id: int | None = Field(default=None, primary_key=True)
    officer_id: int = Field(foreign_key="agency_officer.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    label: str = Field(default="", max_length=100)
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None
    # It stops working then, revoked or not (deskkit/tokens.py); every lookup checks it.
    expires_at: datetime = Field(default_factory=lambda: expiry(utcnow()))
