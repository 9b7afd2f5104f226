"""Reading what staff typed (a cell of a CSV file, a box of a desk form, a value in a JSON call) as the value
of one field of a holding, and checking a whole row of a holding's fields.

The rules, in plain words:

- An empty value (or only spaces) means the field is left empty: it is not recorded at all.
- A date is written YYYY-MM-DD (2026-03-14) and must be a real day.
- A number is a whole number or a decimal, written with digits and at most one point (12, -3, 4.5); no
  thousands separators and no exponents. A whole number is kept as one (4.0 is 4).
- A choice is one of the field's options, in any mix of capitals and with spaces around it; it is kept as the
  agreement writes the option.
- Text has its spaces trimmed, is at most 2,000 characters, and has no control characters (line breaks and
  tabs aside: a note typed in a box may have lines).
- A row names only the holding's fields, and gives every required one.
- A row's key is what tells one of a person's rows from another: the values of the holding's `key` fields,
  written as a JSON list (so no two different rows can share it). A holding without a key has one row per
  person, and its key is ''.

Every problem is one sentence that names the field by its label and quotes what was typed.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from json.encoder import encode_basestring
from typing import Any

LONGEST_TEXT = 2000
LONGEST_KEY = 400  # the row key's column; a longer key (a long goal, say) is kept as its hash
_QUOTED = 40  # how much of a bad value a problem quotes
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # the control characters, line feed and tab aside
_NUMBER = re.compile(r"[+-]?\d{1,15}(\.\d{1,6})?")  # 15 digits and 6 decimals stay exact as a JSON number


Value = str | int | float
Holding = HoldingField = Any  # protocol.agreement's classes, which this module only reads


class ValueProblem(ValueError):
    """A value that does not fit its field; the message is the sentence a person reads."""


def quoted(raw: object) -> str:
    """A bad value, briefly and safely: cut short, control characters shown as escapes."""
    text = str(raw).strip()
    text = "".join(ch if unicodedata.category(ch) != "Cc" else ascii(ch)[1:-1] for ch in text)
    return "'" + (text if len(text) <= _QUOTED else text[:_QUOTED] + "…") + "'"


def read_value(field: HoldingField, raw: object) -> Value | None:
    """The value to keep for `field` from what was typed, or None when it was left empty; ValueProblem if it
    does not fit."""
    return _read(field, reader(field), raw)


def _read(field: HoldingField, read: Callable[[str], Value], raw: object) -> Value | None:
    if type(raw) is str:  # nearly always: a cell, a form box
        text = raw.strip()
        return read(text) if text else None
    if raw is None:
        return None
    if isinstance(raw, int | float) and not isinstance(raw, bool) and field.type in ("number", "text"):
        return read(str(raw))  # a JSON number; 1e+20 or nan is refused as typed text would be
    raise ValueProblem(f"{field.label}: {quoted(raw)} should be given as text.")


def reader(field: HoldingField) -> Callable[[str], Value]:
    """The function that reads one field's stripped, non-empty text (ValueProblem if it does not fit)."""
    label = field.label

    def a_date(text: str) -> str:
        try:
            if _DATE.fullmatch(text):
                date.fromisoformat(text)
                return text
        except ValueError:
            pass
        raise ValueProblem(f"{label}: {quoted(text)} is not a date; write dates as YYYY-MM-DD.")

    def a_number(text: str) -> int | float:
        if not _NUMBER.fullmatch(text):
            raise ValueProblem(f"{label}: {quoted(text)} is not a number; write it with digits and at most one "
                               "decimal point, such as 3 or 4.5.")
        number = Decimal(text)
        return int(number) if number == number.to_integral_value() else float(number)

    options = {option.casefold(): option for option in field.options or []}

    def a_choice(text: str) -> str:
        option = options.get(text.casefold()) or options.get(" ".join(text.split()).casefold())
        if option is None:
            raise ValueProblem(f"{label}: {quoted(text)} is not one of the choices ({', '.join(field.options)}).")
        return option

    def a_text(text: str) -> str:
        text = text.replace("\r\n", "\n")
        if len(text) > LONGEST_TEXT:
            raise ValueProblem(f"{label}: {quoted(text)} is too long; at most {LONGEST_TEXT} characters.")
        if _CONTROL.search(text):
            raise ValueProblem(f"{label}: {quoted(text)} has a control character (such as NUL) that cannot be "
                               "kept; remove it.")
        return text

    return {"date": a_date, "number": a_number, "choice": a_choice, "text": a_text}[field.type]


def read_row(holding: Holding, raw: Mapping[str, object]) -> tuple[dict[str, Value], list[str]]:
    """The row's values (fields left empty are absent) and every problem with it, in the holding's field
    order: names the holding does not have, values that do not fit, required fields left empty."""
    return RowReader(holding)(raw)


class RowReader:
    """read_row for one holding, with what it needs looked up once (an import reads 80,000 rows)."""

    def __init__(self, holding: Holding) -> None:
        self.holding = holding
        self.fields = [(field, reader(field)) for field in holding.fields]
        self.names = frozenset(holding.field_names)

    def __call__(self, raw: Mapping[str, object]) -> tuple[dict[str, Value], list[str]]:
        problems = [unknown_field(self.holding, name) for name in raw if name not in self.names]
        values: dict[str, Value] = {}
        for field, read in self.fields:
            try:
                value = _read(field, read, raw.get(field.name))
            except ValueProblem as problem:
                problems.append(str(problem))
                continue
            if value is not None:
                values[field.name] = value
            elif field.required:
                problems.append(f"{field.label}: left empty, but it must be filled in.")
        return values, problems


def unknown_field(holding: Holding, name: str) -> str:
    return (f"{quoted(name)} is not a field of {holding.id} (its fields are "
            f"{', '.join(holding.field_names)}).")


def row_key(holding: Holding, values: Mapping[str, Value]) -> str:
    """The row's identity among a person's rows of the holding: its key fields' values as a JSON list ('' for
    a holding with one row per person); a key too long for its column is kept as 'sha256:' and its hash."""
    if not holding.key:
        return ""
    key = "[" + ",".join(_json(values.get(name)) for name in holding.key) + "]"
    if len(key) > LONGEST_KEY:
        return "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return key


def _json(value: Value | None) -> str:
    # What json.dumps(value, ensure_ascii=False) writes, without building an encoder for each of 80,000 rows.
    if isinstance(value, str):
        return encode_basestring(value)
    return "null" if value is None else repr(value)  # an int or a float, as JSON writes it


def key_in_words(holding: Holding, values: Mapping[str, Value]) -> str:
    """The key fields' labels and values, for a sentence: "Date 2026-03-02, Session group session"."""
    return ", ".join(f"{holding.field(name).label} {values.get(name)}" for name in holding.key)
