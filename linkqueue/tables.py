"""The queue's tables, one set per organisation ("side"), so each keeps its own in its own database.

In the embedded default both sides share one database; the prefixes keep their tables apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    Boolean,
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
from sqlalchemy.sql.expression import false
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
    refused: Table


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
        # Where it came from (the client's address), whether it was junk (not signed by a party: only a
        # sample of its first bytes is kept) and when a genuine one stopped mattering (its message arrived
        # in turn after all): what expiry reads (linkqueue/dead_letters.py).
        Column("source", String(64), nullable=True),
        Column("junk", Boolean, nullable=False, default=False, server_default=false()),
        Column("handled_at", UTCDateTime(), nullable=True),
        Index(f"ix_{side}_dead_letter_expiry", "junk", "received_at"),
    )
    # How much the inbox refused, per minute: junk it read and refused, and requests it turned away unread
    # because their source sent too much junk. Counts, not contents: what the desk's rate is drawn from.
    refused = Table(
        f"{side}_inbox_refused",
        metadata,
        Column("minute", UTCDateTime(), primary_key=True),
        Column("junk", Integer, nullable=False, default=0),
        Column("turned_away", Integer, nullable=False, default=0),
    )
    return QueueTables(outbox, stream_out, inbox, stream_in, dead_letter, refused)


QUEUE_TABLES: dict[str, QueueTables] = {side: _define(side, SQLModel.metadata) for side in SIDES}
