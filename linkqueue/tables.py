"""The queue's tables, one set per organisation ("side"), so each keeps its own in its own database.

In the embedded default both sides share one database; the prefixes keep their tables apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import UTCDateTime

SIDES = ("provider", "agency")


@dataclass(frozen=True)
class QueueTables:
    """The tables one organisation's end of the linked queue uses."""

    outbox: Table
    stream_out: Table
    inbox: Table
    stream_in: Table
    dead_letter: Table


def _define(side: str, metadata: MetaData) -> QueueTables:
    outbox = Table(
        f"{side}_outbox",
        metadata,
        Column("id", String(36), primary_key=True),  # the message id
        Column("recipient", String(32), nullable=False),
        Column("stream", String(64), nullable=False),
        Column("sequence", Integer, nullable=False),
        Column("type", String(64), nullable=False),
        Column("envelope", Text, nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("delivered_at", UTCDateTime(), nullable=True),
        Column("rejected_at", UTCDateTime(), nullable=True),
        Column("attempts", Integer, nullable=False, default=0),
        Column("next_attempt_at", UTCDateTime(), nullable=False),
        Column("last_error", Text, nullable=True),
        UniqueConstraint("recipient", "stream", "sequence", name=f"uq_{side}_outbox_stream_seq"),
        Index(f"ix_{side}_outbox_pending", "delivered_at", "rejected_at", "next_attempt_at"),
    )
    stream_out = Table(
        f"{side}_stream_out",
        metadata,
        Column("recipient", String(32), nullable=False),
        Column("stream", String(64), nullable=False),
        Column("last_sequence", Integer, nullable=False),
        PrimaryKeyConstraint("recipient", "stream", name=f"pk_{side}_stream_out"),
    )
    inbox = Table(
        f"{side}_inbox",
        metadata,
        Column("id", String(36), primary_key=True),  # the message id: a message is stored once
        Column("sender", String(32), nullable=False),
        Column("stream", String(64), nullable=False),
        Column("sequence", Integer, nullable=False),
        Column("type", String(64), nullable=False),
        Column("envelope", Text, nullable=False),
        Column("received_at", UTCDateTime(), nullable=False),
        Column("applied_at", UTCDateTime(), nullable=True),
        Column("attempts", Integer, nullable=False, default=0),
        Column("last_error", Text, nullable=True),
        UniqueConstraint("sender", "stream", "sequence", name=f"uq_{side}_inbox_stream_seq"),
        Index(f"ix_{side}_inbox_pending", "applied_at", "received_at"),
    )
    stream_in = Table(
        f"{side}_stream_in",
        metadata,
        Column("sender", String(32), nullable=False),
        Column("stream", String(64), nullable=False),
        Column("last_sequence", Integer, nullable=False),
        PrimaryKeyConstraint("sender", "stream", name=f"pk_{side}_stream_in"),
    )
    dead_letter = Table(
        f"{side}_dead_letter",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("message_id", String(64), nullable=True, index=True),
        Column("sender", String(64), nullable=True),
        Column("raw", Text, nullable=False),
        Column("reason", Text, nullable=False),
        Column("received_at", UTCDateTime(), nullable=False),
    )
    return QueueTables(outbox, stream_out, inbox, stream_in, dead_letter)


QUEUE_TABLES: dict[str, QueueTables] = {side: _define(side, SQLModel.metadata) for side in SIDES}
