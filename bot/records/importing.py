"""Importing a holding's rows from a CSV file, all or nothing (`tono records import`, and the desk's upload).

The file, in plain words: UTF-8 text (a spreadsheet's byte-order mark is fine); a header row of `person` (the
person's reference, such as P-0001) and the holding's field names, in any order (an optional field may be
left out; a required one may not); then one row per line. If anything is wrong anywhere (an unknown person
or column, a bad date or choice, a required field left empty, the same row twice for one person, a row with
too many or too few cells) nothing is imported, and every problem is listed by its line (the header is
line 1). Importing the same file again changes nothing; a changed value is a correction.

It is built for a month of attendance (80,000 rows for 10,000 people) in a few seconds: people and the
holding's rows are each read in one query, and the new rows, the changes and the corrections are each
written in one statement, in one transaction, with no ORM object per row.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Text, bindparam, cast, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.models import Person
from bot.records.recording import holding_with_fields
from bot.records.tables import ProgrammeCorrection, ProgrammeRecord
from protocol.agreement import Agreement, Holding
from protocol.clock import utcnow
from protocol.field_values import RowReader, key_in_words, quoted, row_key

PERSON = "person"
PEOPLE = Person.__table__
RECORDS = ProgrammeRecord.__table__
CORRECTIONS = ProgrammeCorrection.__table__


@dataclass
class Imported:
    """What an import did, or (with problems) why it did nothing."""

    holding: str
    added: int = 0
    corrected: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)

    def summary(self, source: str) -> str:
        return (f"{self.holding}: {_rows(self.added)} added, {self.corrected} corrected, {self.unchanged} "
                f"unchanged (from {source}).")


def _rows(n: int) -> str:
    return f"{n} row{'' if n == 1 else 's'}"


@dataclass
class _Row:
    line: int
    person_id: int
    key: str
    values: dict


def expected_header(holding: Holding) -> str:
    """The header a file for this holding has, every field named (the optional ones may be left out)."""
    return ",".join([PERSON, *holding.field_names])


def decoded(data: bytes) -> tuple[str | None, list[str]]:
    """The file's text without a byte-order mark, or the problem that keeps it from being read."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as wrong:
        line = data[:wrong.start].count(b"\n") + 1
        return None, [f"line {line}: the file is not UTF-8 text; save it from the spreadsheet as "
                      "'CSV UTF-8' and import it again."]
    if not text.strip():
        return None, ["line 1: the file is empty; it needs a header row, such as person,field_name,…"]
    return text, []


def _header(holding: Holding, cells: list[str]) -> tuple[list[str | None], list[str], bool]:
    """Each column's field name (None for one that is refused), the header's problems, and whether rows can be
    read under it (not without a person column or a required field's)."""
    names = [cell.strip().casefold() for cell in cells]
    problems, columns, seen = [], [], set()
    for name in names:
        if name in seen:
            problems.append(f"line 1: the column {quoted(name)} appears twice.")
            columns.append(None)
        elif name != PERSON and name not in holding.field_names:
            problems.append(f"line 1: {quoted(name)} is not a field of {holding.id} (its fields are "
                            f"{', '.join(holding.field_names)}).")
            columns.append(None)
        else:
            columns.append(name)
        seen.add(name)
    if PERSON not in names:
        problems.append("line 1: there is no 'person' column; it names each row's person, such as P-0001.")
    missing = [f.name for f in holding.fields if f.required and f.name not in names]
    if missing:
        problems.append(f"line 1: the required column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                        f"{'are' if len(missing) > 1 else 'is'} missing.")
    return columns, problems, PERSON in names and not missing


async def _people(connection: AsyncConnection) -> dict[str, tuple[int, str]]:
    rows = await connection.execute(select(PEOPLE.c.id, PEOPLE.c.ref, PEOPLE.c.participant_id))
    return {ref: (person_id, participant_id) for person_id, ref, participant_id in rows}


async def _existing(connection: AsyncConnection, holding: Holding) -> dict[tuple[int, str], tuple[int, str, int]]:
    """The holding's rows by person and key: id, values as the JSON text stored (decoded only when compared,
    which is faster than having every row decoded), revision."""
    rows = await connection.execute(select(RECORDS.c.id, RECORDS.c.person_id, RECORDS.c.row_key,
                                           cast(RECORDS.c["values"], Text()), RECORDS.c.revision)
                                    .where(RECORDS.c.holding == holding.id))
    return {(person_id, key): (record_id, stored, revision) for record_id, person_id, key, stored, revision in rows}


def read_rows(holding: Holding, text: str, people: dict[str, tuple[int, str]]) -> tuple[list[_Row], list[str]]:
    """Every row of the file, read and checked, and every problem by its line."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        columns, problems, readable = _header(holding, next(reader))
    except csv.Error as wrong:
        return [], [f"line {reader.line_num}: {wrong}."]
    if not readable:
        return [], problems
    read_row, person_column = RowReader(holding), columns.index(PERSON)
    field_columns = [(i, name) for i, name in enumerate(columns) if name not in (None, PERSON)]
    rows: list[_Row] = []
    first_line: dict[tuple[int, str], int] = {}
    line = reader.line_num + 1  # where the next row starts; a quoted cell may run over several lines
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as wrong:
            problems.append(f"line {line}: {wrong}; nothing after it could be read.")
            break
        start, line = line, reader.line_num + 1
        if not "".join(cells).strip():
            continue  # a blank line, or a spreadsheet's row of empty cells
        if len(cells) != len(columns):
            problems.append(f"line {start}: it has {len(cells)} cells, but the header has {len(columns)}.")
            continue
        typed = {name: cells[i] for i, name in field_columns}
        ref = cells[person_column].strip()
        person = people.get(ref) or people.get(ref.upper())  # p-0001 is P-0001
        if not ref:
            problems.append(f"line {start}: the person is missing; give their reference, such as P-0001.")
        elif person is None:
            problems.append(f"line {start}: there is no person {quoted(ref)}.")
        elif not person[1].strip():
            problems.append(f"line {start}: {ref} has no programme id, so no programme data can be recorded "
                            "for them.")
        values, wrong_values = read_row(typed)
        problems += [f"line {start}: {problem}" for problem in wrong_values]
        if person is None or wrong_values or not person[1].strip():
            continue
        key = row_key(holding, values)
        earlier = first_line.setdefault((person[0], key), start)
        if earlier != start:
            about = f" for {key_in_words(holding, values)}" if holding.key else ""
            problems.append(f"line {start}: {ref} already has a row{about} on line {earlier}; each of a "
                            "person's rows may appear once in a file.")
            continue
        rows.append(_Row(start, person[0], key, values))
    return rows, problems


async def import_rows(session: AsyncSession, agreement: Agreement, holding_id: str, data: bytes, *,
                      by: str = "import", reason: str = "", now: datetime | None = None) -> Imported:
    """Import a CSV file's rows into the holding, all or nothing, in the caller's transaction. An unknown
    holding, or one without fields, raises RecordsProblem (it is the command that is wrong, not the file)."""
    holding = holding_with_fields(agreement, holding_id)
    result = Imported(holding.id)
    text, result.problems = decoded(data)
    if text is None:
        return result
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        # Other writers of programme rows wait until this import commits, so none adds or corrects a row between
        # reading the holding's rows and writing them (SQLite's one writer at a time gives the same).
        await connection.exec_driver_sql(f"LOCK TABLE {RECORDS.name} IN SHARE ROW EXCLUSIVE MODE")
    rows, result.problems = read_rows(holding, text, await _people(connection))
    if result.problems:
        return result
    existing = await _existing(connection, holding)
    now = now or utcnow()
    new, changed, corrections = [], [], []
    for row in rows:
        known = existing.get((row.person_id, row.key))
        if known is None:
            new.append({"holding": holding.id, "person_id": row.person_id, "row_key": row.key, "values": row.values,
                        "revision": 1, "recorded_by": by, "recorded_at": now, "updated_at": now})
        elif (old := json.loads(known[1])) != row.values:
            record_id, _stored, revision = known
            changed.append({"b_id": record_id, "b_values": row.values, "b_revision": revision + 1})
            corrections.append({"record_id": record_id, "revision": revision + 1, "old_values": old,
                                "new_values": row.values, "reason": reason, "changed_by": by, "changed_at": now})
    if new:
        await connection.execute(insert(RECORDS), new)
    if changed:
        await connection.execute(update(RECORDS).where(RECORDS.c.id == bindparam("b_id")).values(
            values=bindparam("b_values"), revision=bindparam("b_revision"), updated_at=now), changed)
        await connection.execute(insert(CORRECTIONS), corrections)
    result.added, result.corrected = len(new), len(changed)
    result.unchanged = len(rows) - len(new) - len(changed)
    return result
