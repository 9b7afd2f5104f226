"""How one row of a report becomes one of the unit's records, in the agreement's own words.

A row is [subject, row id, one value per field]. Its record keeps the values by field name, and reads:
- title: the holding's name and the values of its key fields ("Attendance: 2026-11-03, group session");
  a holding without a key is named with the date the row is about, when the flow carries it;
- body: one line per field, labelled as the agreement labels it ("Came: yes");
- record date: the flow's schedule date field ("session_date"), or the first day of the report's period
  when the flow does not carry that field (the survey answers leave their date at the provider).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

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
    if value is None:
        return NOT_GIVEN
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def as_date(value: object) -> date | None:
    if not isinstance(value, str) or len(value) != 10:
        return None  # a generalised date (a month, a year) or no date: the period's first day stands in
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class RowShape:
    """What a report's rows mean: its flow, the holding the flow draws from, and the order of its fields."""

    flow: Flow
    holding: Holding
    fields: tuple[str, ...]
    first_day: date

    @classmethod
    def of(cls, agreement: Agreement, flow: Flow, fields: list[str], period: str) -> RowShape:
        return cls(flow, agreement.holding(flow.holding), tuple(fields), period_start(period))

    def values(self, row: list) -> dict:
        return dict(zip(self.fields, row[2:], strict=True))

    def title(self, values: dict) -> str:
        keys = [name for name in self.holding.key if name in values]
        if not keys and self.flow.schedule.date_field in values:
            keys = [self.flow.schedule.date_field]
        said = ", ".join(shown(values[name]) for name in keys)
        title = f"{holding_name(self.holding)}: {said}" if said else holding_name(self.holding)
        return title if len(title) <= TITLE_LENGTH else title[:TITLE_LENGTH - 1] + "…"

    def body(self, values: dict) -> str:
        return "\n".join(f"{self._label(name)}: {shown(value)}" for name, value in values.items())

    def record_date(self, values: dict) -> date:
        return as_date(values.get(self.flow.schedule.date_field)) or self.first_day

    def record(self, row: list) -> dict:
        """The record's own columns for this row (values, title, body, record date)."""
        values = self.values(row)
        return {"values": values, "title": self.title(values), "body": self.body(values),
                "record_date": self.record_date(values)}

    def _label(self, name: str) -> str:
        try:
            return self.holding.field(name).label
        except KeyError:  # the part's fields were checked against the flow's, so only a broken agreement
            return name
