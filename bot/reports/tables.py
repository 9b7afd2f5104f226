"""Reports under the agreement, the rows each one carried, and the ledger of every sending per person."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from protocol.clock import utcnow

# A report's states, in order: prepared (staff can see exactly what would go), then approved and sent, and
# received when the unit says it applied every part; or held back (staff said why), or replaced (prepared
# again before approval, so a newer preview stands in its place).
REPORT_STATES = ("prepared", "held_back", "replaced", "approved", "sent", "received")


class Report(SQLModel, table=True):
    """One flow's report for one period, or a correction of rows a unit already received."""

    __tablename__ = "provider_report"
    __table_args__ = (Index("ix_provider_report_flow_period", "flow", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(max_length=64, unique=True)  # e.g. RPT-attendance-2026-11; the stream of its messages
    flow: str = Field(max_length=32)
    unit: str = Field(max_length=32)
    period: str = Field(max_length=7)  # YYYY-MM
    corrects_id: int | None = Field(default=None, foreign_key="provider_report.id")  # a correction report
    state: str = Field(default="prepared", max_length=16, index=True)
    due_on: date
    named: bool  # the flow names people (participant ids) or not (study numbers)
    agreement_version: str = Field(max_length=64)
    fields: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # the fields it carries
    people: int = 0
    rows: int = 0
    parts: int = 0
    # What Tono checked before approval (each check, passed or not, in words) and what the small-group
    # check did (fields made coarser, rows held back and why).
    checks: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    small_groups: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    prepared_by: str = Field(default="", max_length=100)
    prepared_at: datetime = Field(default_factory=utcnow)
    decided_by: str = Field(default="", max_length=100)  # who approved it or held it back
    decided_role: str = Field(default="", max_length=32)
    decided_at: datetime | None = None
    held_back_reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    sent_at: datetime | None = None
    received_on: date | None = None


class ReportRow(SQLModel, table=True):
    """One row a report carries (or held back), exactly as it goes: the subject (a participant id or a study
    number), the row id the unit knows it by, and the values in the flow's field order."""

    __tablename__ = "provider_report_row"
    __table_args__ = (Index("ix_provider_report_row_report", "report_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="provider_report.id")
    record_id: int = Field(foreign_key="provider_programme_record.id", index=True)
    person_id: int = Field(foreign_key="provider_person.id")
    revision: int  # the record's revision these values are from
    subject: str = Field(max_length=64)
    row_id: str = Field(max_length=64)
    values: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    held_back: bool = False  # in a group smaller than the agreement allows, so not sent


class LedgerEntry(SQLModel, table=True):
    """One sending of a person's information: which flow, which fields, to which unit, when, under which
    agreement version, named or under a study number, approved by whom (by role). What a family reads under
    "Where has my information gone?", and what the desk shows on a person's page."""

    __tablename__ = "provider_ledger"
    __table_args__ = (Index("ix_provider_ledger_person", "person_id", "sent_at"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="provider_person.id")
    report_id: int = Field(foreign_key="provider_report.id", index=True)
    flow: str = Field(max_length=32)
    unit: str = Field(max_length=32)
    fields: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    rows: int = 0
    named: bool
    correction: bool = False
    agreement_version: str = Field(max_length=64)
    approved_role: str = Field(max_length=32)
    sent_at: datetime = Field(default_factory=utcnow)


class Outcome(SQLModel, table=True):
    """An outcome of information use a unit reported (a decision, advice or report it informed), against the
    provider's reports that informed it (OutcomeReport). Families read its summary in their language and register:
    a template from the catalogues (bot/reports/outcomes.py) or the four versions the unit wrote."""

    __tablename__ = "provider_outcome"

    id: int | None = Field(default=None, primary_key=True)
    unit: str = Field(max_length=32, index=True)
    kind: str = Field(max_length=16)  # decision, advice, report
    subject: str | None = Field(default=None, max_length=64)  # one participant id, or None: all the reports carried
    template: str | None = Field(default=None, max_length=64)
    summaries: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))  # {en: {adult, child}, mi: …}
    reported_on: date = Field(index=True)
    received_at: datetime = Field(default_factory=utcnow)
    people: int = 0  # people whose information was in the reports (and so were told)
    chats_told: int = 0  # chats a notice went to: the people's own and those of who may act for them


class OutcomeReport(SQLModel, table=True):
    """One report that informed an outcome."""

    __tablename__ = "provider_outcome_report"
    __table_args__ = (UniqueConstraint("outcome_id", "report_id"),)

    id: int | None = Field(default=None, primary_key=True)
    outcome_id: int = Field(foreign_key="provider_outcome.id")
    report_id: int = Field(foreign_key="provider_report.id", index=True)
