"""The programme's data at the provider: one row of a holding's fields per person and row key, the
corrections made to each row, and the consent register."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from protocol.clock import utcnow


class ProgrammeRecord(SQLModel, table=True):
    """One row of a holding (agreement `provider_holds`) about one person.

    `row_key` is the row's identity within the person's rows of that holding: the values of the holding's
    `key` fields, joined ('' when the holding has one row per person). Recording the same row again changes
    nothing; a changed value is a correction (ProgrammeCorrection) and raises `revision`.
    """

    __tablename__ = "provider_programme_record"
    __table_args__ = (UniqueConstraint("holding", "person_id", "row_key"),)

    id: int | None = Field(default=None, primary_key=True)
    holding: str = Field(max_length=32)
    person_id: int = Field(foreign_key="provider_person.id", index=True)
    row_key: str = Field(default="", max_length=400)
    # Field name -> value: text and choices as text, dates as YYYY-MM-DD, numbers as numbers; a field left
    # empty is absent.
    values: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    revision: int = 1
    recorded_by: str = Field(default="", max_length=100)  # a staff login, 'import', or 'api:<token label>'
    recorded_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ProgrammeCorrection(SQLModel, table=True):
    """A change to a recorded row: what it said, what it says now, who changed it and when. Reports send
    it on to every unit that received the old value (IPP 7)."""

    __tablename__ = "provider_programme_correction"

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(foreign_key="provider_programme_record.id", index=True)
    revision: int  # the record's revision after this change
    old_values: dict = Field(sa_column=Column(JSON, nullable=False))
    new_values: dict = Field(sa_column=Column(JSON, nullable=False))
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    changed_by: str = Field(default="", max_length=100)
    changed_at: datetime = Field(default_factory=utcnow)


class ConsentEvent(SQLModel, table=True):
    """A person gave or withdrew a consent the agreement lists (`consents`). The newest event per person and
    consent is the person's choice; nothing is ever overwritten."""

    __tablename__ = "provider_consent_event"
    __table_args__ = (Index("ix_provider_consent_event_person", "person_id", "consent", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="provider_person.id")
    consent: str = Field(max_length=32)
    given: bool  # True: given; False: withdrawn
    on: date  # the day the person gave or withdrew it
    how: str = Field(max_length=32)  # form, in person, phone, email, chat
    # For a child, the person with authority who gave or withdrew it; None when the person did so themselves.
    by_person_id: int | None = Field(default=None, foreign_key="provider_person.id")
    recorded_by: str = Field(default="", max_length=100)  # the staff login (or 'chat') that recorded it
    agreement_version: str = Field(max_length=64)
    recorded_at: datetime = Field(default_factory=utcnow)
