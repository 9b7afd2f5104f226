"""The programme's data at the provider, as the agreement declares it, and the rules a flow of it follows.

The rules, in plain words:

- A holding is a kind of record the provider keeps (enrolment details, attendance…). A holding that
  other data is built from lists its fields: a name, a type (text, date, number, or a choice of listed
  options), whether it must be given, and two separate marks:
  - `identifying`: it names a person or says where to find them (a name, a date of birth, an address,
    contact details);
  - `quasi_identifying`: on its own it names no one, but with others it could single someone out (a
    suburb, a birth year, an ethnicity). It lists how it can be made coarser, one step at a time
    (suburb → city → region; a date → its month → its year). A value that is still too rare after the
    last step is held back.
- `key` names the fields that tell one row of a person's records from another (attendance: the session
  and its date). A holding without a key has one row per person. Rows keep their identity: recording the
  same row again changes nothing, and a changed value is a correction.
- A flow carries only the `fields` it names, from the one `holding` it names: nothing else leaves the
  provider. A flow that does not name people carries none of the holding's identifying fields.
- A flow's `schedule` says when it is due: `monthly` (the rows dated in a month, due by the Nth working
  day of the next month) or `on_event` (each row is due N working days after the date in its date field,
  such as the day a family joins or finishes).
- A flow's `condition` (if any) says who may be in it: `consent: evaluation` means only the people whose
  consent to the evaluation is recorded and not withdrawn.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, model_validator

from protocol import agreement_checks as checks
from protocol.texts import STRICT, Text

FieldType = Literal["text", "date", "number", "choice"]
FIELD_TYPES: tuple[FieldType, ...] = ("text", "date", "number", "choice")

# Steps that make a value coarser without a table: a date to its month or year, a number (or a year) to
# its band of 5 or 10, or to its decade. Any other step names a table under the agreement's `generalisations`.
BUILT_IN_STEPS = {
    "month": "date",  # 2026-03-14 -> 2026-03
    "year": "date",  # 2026-03-14 -> 2026
    "decade": "number",  # 1987 -> 1980-1989
    "band-5": "number",  # 37 -> 35-39
    "band-10": "number",  # 37 -> 30-39
}
HELD_BACK = "*"  # what a quasi-identifying value becomes when no coarser step is left

_FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


def a_field_name(name: str) -> str:
    if not _FIELD_NAME.fullmatch(name):
        raise ValueError("must be lower-case letters, digits and _, starting with a letter (at most 40)")
    if name == "person":
        raise ValueError("'person' is the column that names the person in an import, so no field may use it")
    return name


FieldName = Annotated[str, AfterValidator(a_field_name)]
Id = Annotated[str, AfterValidator(checks.an_id)]


class HoldingField(BaseModel):
    """One field of a holding: what staff record, and how carefully it must be handled."""

    model_config = STRICT

    name: FieldName
    label: str = Field(min_length=1, max_length=120)  # what staff read on the desk, in plain words
    type: FieldType
    options: list[Annotated[str, Field(min_length=1, max_length=60)]] | None = None
    required: bool = False
    identifying: bool = False
    quasi_identifying: list[str] | None = None  # generalisation steps, finest first; [] = only held back

    @model_validator(mode="after")
    def _options_for_a_choice(self) -> HoldingField:
        if (self.type == "choice") != (self.options is not None):
            raise ValueError("a choice lists its options, and only a choice does")
        if self.options is not None and (not self.options or len(set(self.options)) != len(self.options)):
            raise ValueError("a choice lists at least one option, each once")
        if self.identifying and self.quasi_identifying is not None:
            raise ValueError("a field is identifying or quasi-identifying, not both: an identifying field "
                             "never leaves in a flow that does not name people, so it needs no steps")
        return self


class Schedule(BaseModel):
    """When a flow is due."""

    model_config = STRICT

    kind: Literal["monthly", "on_event"]
    date_field: FieldName  # the holding's date field that places a row in a month, or dates its event
    working_days: int = Field(ge=1, le=60)  # monthly: due by this working day of the next month;
    #                                          on_event: due this many working days after the event


class Condition(BaseModel):
    """Who may be in a flow: only the people whose consent (by its id under `consents`) is recorded."""

    model_config = STRICT

    consent: Id


class Consent(BaseModel):
    """Something a person may agree to, and withdraw from, that a flow may depend on."""

    model_config = STRICT

    id: Id
    what: Text


class Reporting(BaseModel):
    """How reports keep people from being singled out."""

    model_config = STRICT

    # No group of rows smaller than this may share the same quasi-identifying values in a report that does
    # not name people (k-anonymity): its rows are made coarser, or held back.
    smallest_group: int = Field(default=5, ge=2, le=100)
    # False: each unit gets its own study numbers, so two units cannot join their data on them.
    units_may_link: bool = False


def generalisation_tables(value: object) -> object:
    """`generalisations: {table name: {value: coarser value}}`: each table maps a value one step up."""
    if not isinstance(value, dict):
        return value
    for name, table in value.items():
        checks.an_id(name)
        if not isinstance(table, dict) or not table:
            raise ValueError(f"the table {name!r} should map each value to a coarser one")
        for fine, coarse in table.items():
            if not isinstance(fine, str) or not isinstance(coarse, str) or not fine or not coarse:
                raise ValueError(f"the table {name!r} maps text to text")
    return value
