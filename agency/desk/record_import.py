"""Reading a unit's CSV of its own records: all or nothing, every problem named by its line.

The file is UTF-8 (a spreadsheet's byte-order mark is fine). Line 1 names the columns participant_id, title,
body and record_date, in any order; each line after it is one record, dates written YYYY-MM-DD. A text may
run over several lines inside quotes; a problem is named by the line its record starts on. Any problem
imports nothing, and every problem is listed, so the file can be put right in one go.
"""

from __future__ import annotations

import csv
import io

from agency.desk.inputs import OWN_RECORD_LABELS, OwnRecordIn, parse
from agency.own_records import OwnRecord
from deskkit.problems import DeskProblem

COLUMNS = ("participant_id", "title", "body", "record_date")
MOST_PROBLEMS = 50  # listed before "and N more": enough to put a file right, not a page of the same mistake


class ImportRefused(ValueError):
    """The file cannot be imported; `problems` are its lines ("line 3: …"), and nothing was imported."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems[:MOST_PROBLEMS] + (
            [f"and {len(problems) - MOST_PROBLEMS} more problems"] if len(problems) > MOST_PROBLEMS else [])


def read_records(data: bytes) -> list[OwnRecord]:
    """The file's records, or ImportRefused with every problem found."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as wrong:
        line = data[:wrong.start].count(b"\n") + 1
        raise ImportRefused([f"line {line}: this is not UTF-8 text; save the file as CSV UTF-8 and try "
                             "again."]) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [cell.strip() for cell in next(reader, [])]
    except csv.Error as wrong:
        raise ImportRefused([f"line 1: {wrong}"]) from None
    _check_header(header)
    records, problems = [], []
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader, None)
        except csv.Error as wrong:
            problems.append(f"line {line}: the line cannot be read as CSV ({wrong}).")
            break
        if row is None:
            break
        if not any(cell.strip() for cell in row):
            continue  # a blank line, as spreadsheets leave at the end
        if len(row) != len(header):
            problems.append(f"line {line}: it has {len(row)} cells, but line 1 names {len(header)} columns.")
            continue
        try:
            given = parse(OwnRecordIn, dict(zip(header, row, strict=True)), OWN_RECORD_LABELS)
        except DeskProblem as refused:
            problems.append(f"line {line}: {refused.sentence}")
            continue
        records.append(OwnRecord(given.participant_id, given.title, given.body, given.record_date))
    if problems:
        raise ImportRefused(problems)
    if not records:
        raise ImportRefused(["line 2: the file has no records under its column names."])
    return records


def _check_header(header: list[str]) -> None:
    if not any(header):
        raise ImportRefused([f"line 1: the file is empty; its first line names the columns {', '.join(COLUMNS)}."])
    problems = [f"line 1: there is no column {name!r} in a unit's records (the columns are "
                f"{', '.join(COLUMNS)})." for name in header if name not in COLUMNS]
    problems += [f"line 1: the column {name} comes twice." for name in COLUMNS if header.count(name) > 1]
    problems += [f"line 1: the column {name} is missing." for name in COLUMNS if name not in header]
    if problems:
        raise ImportRefused(problems)
