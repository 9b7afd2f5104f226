"""How one row of a report becomes one of the unit's records, in the agreement's own words.

A row is [subject, row id, one value per field]. Its record keeps the values by field name, and reads:
- title: the holding's name and the values of its key fields ("Attendance: 3 November 2026, group session");
  a holding without a key is named with the date the row is about, when the flow carries it;
- body: one line per field, labelled as the agreement labels it ("Came: yes"), dates in words as the desks
  write them (the record's text may be released to the family); `values` keeps each value as it came;
- record date: the flow's schedule date field ("session_date"), or the first day of the report's period
  when the flow does not carry that field (the survey answers leave their date at the provider).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache

from protocol.agreement import Agreement, Flow, Holding

NOT_GIVEN = "not recorded"  # how an empty value reads in a record's body
TITLE_LENGTH = 200  # agency_record.title's size
KEY_LENGTH = 64  # agency_record.participant_id's and row_id's size


def holding_name(holding: Holding) -> str:
    """'family-plan' -> 'Family plan': a holding's id, as a heading."""
    return holding.id.replace("-", " ").replace("_", " ").capitalize()


def period_words(period: str) -> str:
    """'2026-11' -> 'November 2026'."""
    year, month = period.split("-")
    return f"{calendar.month_name[int(month)]} {year}"


def period_start(period: str) -> date:
    year, month = period.split("-")
    return date(int(year), int(month), 1)


def shown(value: object) -> str:
    """A value as a record's text: numbers without a needless '.0', nothing as 'not recorded'."""
    if value.__class__ is str:  # most values: checked first, as a report may have 80,000 rows of them
        return value
    if value is None:
        return NOT_GIVEN
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@lru_cache(maxsize=4096)  # a month's rows share some thirty dates
def as_date(value: object) -> date | None:
    if not isinstance(value, str) or len(value) != 10:
        return None  # a generalised date (a month, a year) or no date: the period's first day stands in
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def date_words(value: object) -> str:
    """A date field's value as the desks write dates, '2026-11-03' -> '3 November 2026' (a record's text may be
    released to the family); a generalised or unreadable one as it is."""
    day = as_date(value)
    return f"{day.day} {calendar.month_name[day.month]} {day.year}" if day else shown(value)


@dataclass(frozen=True)
class RowShape:
    """What a report's rows mean: its flow, the holding the flow draws from, and the order of its fields.
    The labels and the places of the title's and the date's fields are worked out once per report, as a
    report may have 80,000 rows."""

    flow: Flow
    holding: Holding
    fields: tuple[str, ...]
    first_day: date
    labels: tuple[str, ...]  # each field's label, in the report's order
    title_at: tuple[int, ...]  # where the title's fields are in a row
    date_at: int | None  # where the schedule's date field is in a row, if the flow carries it
    dates: tuple[bool, ...]  # whether each field, in the report's order, is a date

    @cached_property
    def name(self) -> str:
        return holding_name(self.holding)

    @classmethod
    def of(cls, agreement: Agreement, flow: Flow, fields: list[str], period: str) -> RowShape:
        holding = agreement.holding(flow.holding)
        names = {field.name: field.label for field in holding.fields}
        types = {field.name: field.type for field in holding.fields}
        # Free text never goes in a title: a title is shown wherever the record is named (to the family, too,
        # as "not given to you: …" when it is withheld), and free text may say what withholding it keeps back.
        keys = [name for name in holding.key if name in fields and types.get(name) != "text"]
        if not keys and flow.schedule.date_field in fields:
            keys = [flow.schedule.date_field]
        date_field = flow.schedule.date_field
        return cls(flow, holding, tuple(fields), period_start(period), tuple(names.get(n, n) for n in fields),
                   tuple(2 + fields.index(name) for name in keys),
                   2 + fields.index(date_field) if date_field in fields else None,
                   tuple(types.get(name) == "date" for name in fields))

    def values(self, row: list) -> dict:
        # protocol.messages checked each row's width on arrival
        return dict(zip(self.fields, row[2:], strict=False))

    def title(self, row: list) -> str:
        said = ", ".join([self._said(row[at], self.dates[at - 2]) for at in self.title_at])
        title = f"{self.name}: {said}" if said else self.name
        return title if len(title) <= TITLE_LENGTH else title[:TITLE_LENGTH - 1] + "…"

    def body(self, row: list) -> str:
        return "\n".join([f"{label}: {self._said(value, is_date)}"
                          for label, value, is_date in zip(self.labels, row[2:], self.dates, strict=False)])

    @staticmethod
    def _said(value: object, is_date: bool) -> str:
        return date_words(value) if is_date and value is not None else shown(value)

    def record_date(self, row: list) -> date:
        found = as_date(row[self.date_at]) if self.date_at is not None else None
        return found or self.first_day

    def record(self, row: list) -> dict:
        """The record's own columns for this row (values, title, body, record date)."""
        return {"values": self.values(row), "title": self.title(row), "body": self.body(row),
                "record_date": self.record_date(row)}
