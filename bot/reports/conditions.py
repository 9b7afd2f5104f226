"""Who may be in a flow: the people with a participant id who meet its condition (a consent recorded and not
withdrawn), and the SQL that picks a flow's rows for a period.

The consent register itself is bot.records' (bot.records.consent.consented answers for a set of people); the
same rule is written here as a subquery, so a report of 80,000 rows is filtered by the database, not by a list
of ids in Python.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, func, select

from bot.models import Person
from bot.records.tables import ConsentEvent, ProgrammeRecord
from protocol.agreement import Flow

_records = ProgrammeRecord.__table__.c
_people = Person.__table__.c


def consented_people(consent_id: str):
    """A subquery of the person ids whose newest event for this consent is 'given' (newest as
    bot.records.consent.consented reads it: the latest day, and of two on one day the one recorded last)."""
    newest = func.row_number().over(partition_by=ConsentEvent.person_id,
                                    order_by=(ConsentEvent.on.desc(), ConsentEvent.id.desc())).label("n")
    latest = select(ConsentEvent.person_id, ConsentEvent.given, newest).where(
        ConsentEvent.consent == consent_id).subquery()
    return select(latest.c.person_id).where(latest.c.n == 1, latest.c.given)


def date_of(field: str) -> ColumnElement:
    """A record's value of a date field, as its YYYY-MM-DD text (JSON on SQLite and PostgreSQL alike)."""
    return _records["values"][field].as_string()


def eligible(flow: Flow) -> ColumnElement:
    """The records a flow may carry: its holding's, about people with a participant id who meet its condition."""
    rule = and_(_records.holding == flow.holding, _people.participant_id != "")
    if flow.condition is not None:
        rule = and_(rule, _records.person_id.in_(consented_people(flow.condition.consent)))
    return rule


def eligible_people(flow: Flow):
    """The people a flow may carry, with their participant ids: (person id, participant id)."""
    query = select(_people.id, _people.participant_id).where(_people.participant_id != "")
    if flow.condition is not None:
        query = query.where(_people.id.in_(consented_people(flow.condition.consent)))
    return query


def in_period(flow: Flow, period: str) -> ColumnElement:
    """Records whose schedule date falls in the period (a YYYY-MM month, already checked)."""
    return date_of(flow.schedule.date_field).like(f"{period}-__")


def joined():
    """Programme records with their person (for the participant id)."""
    return ProgrammeRecord.__table__.join(Person.__table__, _records.person_id == _people.id)
