"""The CSV import (bot/records/importing.py) on SQLite and PostgreSQL: a good file, a spreadsheet's byte-order
mark, importing again adds nothing, a changed value is a correction, and a bad file imports nothing and names
the line of every problem. And it is fast: a month of attendance for 10,000 people in a few seconds."""

from __future__ import annotations

import pytest
from sqlalchemy import event, insert
from sqlmodel import func, select

from bot.models import Person
from bot.records.importing import import_rows
from bot.records.recording import RecordsProblem
from bot.records.tables import ProgrammeCorrection, ProgrammeRecord
from tests.bot.records.conftest import AGREEMENT

GOOD = ("person,session_date,session,attended\n"
        "P-0001,2026-03-02,group session,yes\n"
        "P-0001,2026-03-04,Home Visit,yes\n"
        "P-0002,2026-03-02,group session,no\n")


async def import_(db, text: str | bytes, holding: str = "attendance"):
    data = text.encode() if isinstance(text, str) else text
    async with db.sessions.begin() as session:
        return await import_rows(session, AGREEMENT, holding, data, reason="From the register")


async def counts(db) -> tuple[int, int]:
    async with db.sessions() as session:
        return ((await session.exec(select(func.count()).select_from(ProgrammeRecord))).one(),
                (await session.exec(select(func.count()).select_from(ProgrammeCorrection))).one())


async def test_a_good_file_adds_its_rows(db):
    result = await import_(db, GOOD)

    assert (result.added, result.corrected, result.unchanged, result.problems) == (3, 0, 0, [])
    assert result.summary("march.csv") == "attendance: 3 rows added, 0 corrected, 0 unchanged (from march.csv)."
    async with db.sessions() as session:
        rows = list(await session.exec(select(ProgrammeRecord).order_by(ProgrammeRecord.id)))
    assert [r.values["session"] for r in rows] == ["group session", "home visit", "group session"]
    assert {r.recorded_by for r in rows} == {"import"}


async def test_a_spreadsheets_byte_order_mark_columns_in_any_order_and_crlf_lines_are_fine(db):
    text = "\ufeffAttended , person,Session,session_date\r\nyes,P-0001,group session,2026-03-02\r\n"

    result = await import_(db, text.encode("utf-8"))

    assert (result.added, result.problems) == (1, [])


async def test_importing_the_same_file_again_adds_nothing(db):
    await import_(db, GOOD)

    again = await import_(db, GOOD)

    assert (again.added, again.corrected, again.unchanged) == (0, 0, 3)
    assert await counts(db) == (3, 0)


async def test_a_changed_value_is_a_correction_kept_with_the_old_value(db):
    await import_(db, GOOD)

    result = await import_(db, GOOD.replace("2026-03-02,group session,no", "2026-03-02,group session,yes"))

    assert (result.added, result.corrected, result.unchanged) == (0, 1, 2)
    async with db.sessions() as session:
        [correction] = list(await session.exec(select(ProgrammeCorrection)))
        record = await session.get(ProgrammeRecord, correction.record_id)
    assert (correction.old_values["attended"], correction.new_values["attended"]) == ("no", "yes")
    assert (correction.revision, record.revision, correction.reason) == (2, 2, "From the register")


async def test_an_optional_column_may_be_left_out(db):
    text = ("person,given_name,family_name,date_of_birth,start_date\n"
            "P-0001,Aroha,Parata,1988-03-14,2026-02-02\n")

    assert (await import_(db, text, "enrolment")).added == 1


async def test_a_bad_file_imports_nothing_and_names_the_line_of_every_problem(db):
    await import_(db, GOOD)
    text = ("person,session_date,session,attended,colour\n"           # 1: an unknown column
            "P-0001,2026-03-09,group session,yes,\n"                   # 2: fine
            "P-9999,2026-03-09,group session,yes,\n"                   # 3: unknown person
            "P-0002,2026-13-01,group session,yes,\n"                   # 4: wrong date
            'P-0002,2026-03-10,"home\nvisits",,\n'                     # 5-6: a bad choice over two lines, no 'came'
            "P-0002,2026-03-11,group session,yes\n"                    # 7: a cell short
            "P-0001,2026-03-09,Group Session,no,\n"                    # 8: line 2's row again
            ",2026-03-09,group session,yes,\n"                         # 9: no person
            "P-0004,2026-03-09,group session,yes,\n")                  # 10: no programme id

    result = await import_(db, text)

    assert result.problems == [
        "line 1: 'colour' is not a field of attendance (its fields are session_date, session, attended).",
        "line 3: there is no person 'P-9999'.",
        "line 4: Date: '2026-13-01' is not a date; write dates as YYYY-MM-DD.",
        "line 5: Session: 'home\\nvisits' is not one of the choices (group session, home visit).",
        "line 5: Came: left empty, but it must be filled in.",
        "line 7: it has 4 cells, but the header has 5.",
        "line 8: P-0001 already has a row for Date 2026-03-09, Session group session on line 2; each of a "
        "person's rows may appear once in a file.",
        "line 9: the person is missing; give their reference, such as P-0001.",
        "line 10: P-0004 has no programme id, so no programme data can be recorded for them.",
    ]
    assert (result.added, result.corrected) == (0, 0)
    assert await counts(db) == (3, 0)


async def test_a_header_without_a_required_column_or_the_person_column_is_refused_on_line_1(db):
    result = await import_(db, "session_date,attended\n2026-03-02,yes\n")

    assert result.problems == ["line 1: there is no 'person' column; it names each row's person, such as P-0001.",
                               "line 1: the required column session is missing."]


@pytest.mark.parametrize(("data", "problem"), [
    (b"", "line 1: the file is empty; it needs a header row, such as person,field_name,\u2026"),
    (b"\xef\xbb\xbf \r\n", "line 1: the file is empty; it needs a header row, such as person,field_name,\u2026"),
    (b"person,session_date,session,attended\nP-0001,2026-03-02,group session,s\xed\n",
     "line 2: the file is not UTF-8 text; save it from the spreadsheet as 'CSV UTF-8' and import it again."),
    (b'person,session_date,session,attended\nP-0001,2026-03-02,"group session,yes\n',
     "line 2: unexpected end of data; nothing after it could be read."),
])
async def test_an_empty_file_one_not_in_utf8_or_a_quote_never_closed_is_refused_by_its_line(db, data, problem):
    result = await import_(db, data)

    assert result.problems == [problem]
    assert await counts(db) == (0, 0)


async def test_an_unknown_holding_is_the_commands_mistake_not_the_files(db):
    with pytest.raises(RecordsProblem) as wrong:
        await import_(db, GOOD, holding="homework")

    assert wrong.value.status == 404


async def test_a_month_of_attendance_imports_in_a_few_statements_however_many_rows_it_has(db):
    async with db.sessions.begin() as session:
        await (await session.connection()).execute(insert(Person.__table__), [
            {"ref": f"Q-{n:05d}", "participant_id": f"BFF-Q-{n}", "given_name": "Test", "family_name": f"Person {n}",
             "is_young_person": False, "language": "en"} for n in range(2_000)])
    lines = ["person,session_date,session,attended"] + [
        f"Q-{n:05d},2026-03-{day + 2:02d},{'group session' if day % 2 else 'home visit'},yes"
        for n in range(2_000) for day in range(8)]
    statements: list[str] = []
    engine = db.sessions.kw["bind"].sync_engine
    event.listen(engine, "before_cursor_execute", lambda _c, _cur, sql, *_rest: statements.append(sql))

    result = await import_(db, "\n".join(lines) + "\n")
    first = len(statements)
    again = await import_(db, "\n".join(lines) + "\n")

    assert (result.added, again.unchanged) == (16_000, 16_000)
    # The people and the holding's rows are read once each and the new rows written in one go: a statement (or
    # an ORM object) per row would be thousands. How fast it is, is the reports benchmark's to measure.
    assert first <= 12 and len(statements) - first <= 12, statements[:20]
