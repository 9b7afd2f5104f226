"""`tono records import PATH --holding ID` on the seeded demo (SQLite and PostgreSQL): one line saying what
changed and exit 0; a file with problems prints each as `line N: …`, imports nothing and exits 1; a wrong
holding, a missing file or an unmigrated database is a setup problem (exit 2)."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import func, select

from bot.records.tables import ProgrammeCorrection, ProgrammeRecord
from tono import migrate
from tono.cli import main
from tono.database import make_engine, make_sessionmaker

# Dates long before the demo's, so whatever the demo records, these rows are new.
ATTENDANCE = ("person,session_date,session,attended\n"
              "P-0001,2019-03-04,group session,yes\n"
              "P-0002,2019-03-04,group session,yes\n"
              "P-0001,2019-03-06,home visit,no\n")


@pytest.fixture
def demo(seeded_url, monkeypatch) -> str:
    monkeypatch.setenv("TONO_DATABASE_URL", seeded_url)
    return seeded_url


def counts(url: str) -> tuple[int, int]:
    async def count():
        engine = make_engine(url)
        try:
            async with make_sessionmaker(engine)() as session:
                return ((await session.exec(select(func.count()).select_from(ProgrammeRecord)
                                            .where(ProgrammeRecord.holding == "attendance"))).one(),
                        (await session.exec(select(func.count()).select_from(ProgrammeCorrection))).one())
        finally:
            await engine.dispose()

    return asyncio.run(count())


def test_a_good_file_prints_one_line_and_importing_it_again_adds_nothing(demo, tmp_path, capsys):
    path = tmp_path / "attendance-march.csv"
    path.write_bytes(b"\xef\xbb\xbf" + ATTENDANCE.encode())
    before = counts(demo)

    first = main(["records", "import", str(path), "--holding", "attendance"])
    first_out = capsys.readouterr().out
    again = main(["records", "import", str(path), "--holding", "attendance"])
    again_out = capsys.readouterr().out

    assert (first, again) == (0, 0)
    assert first_out == f"attendance: 3 rows added, 0 corrected, 0 unchanged (from {path}).\n"
    assert again_out == f"attendance: 0 rows added, 0 corrected, 3 unchanged (from {path}).\n"
    assert counts(demo) == (before[0] + 3, before[1])


def test_a_changed_value_is_counted_as_a_correction(demo, tmp_path, capsys):
    path = tmp_path / "attendance.csv"
    path.write_text(ATTENDANCE)
    main(["records", "import", str(path), "--holding", "attendance"])
    path.write_text(ATTENDANCE.replace("2019-03-06,home visit,no", "2019-03-06,home visit,yes"))
    before = counts(demo)

    assert main(["records", "import", str(path), "--holding", "attendance"]) == 0

    assert capsys.readouterr().out.endswith("attendance: 0 rows added, 1 corrected, 2 unchanged "
                                            f"(from {path}).\n")
    assert counts(demo) == (before[0], before[1] + 1)


def test_a_bad_file_prints_every_problem_by_line_imports_nothing_and_exits_1(demo, tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("person,session_date,session,attended,room\n"
                    "P-0001,2019-03-04,group session,yes,\n"
                    "P-0099,2019-03-04,group session,yes,\n"
                    "P-0002,2019-02-30,group session,yes,\n"
                    "P-0003,2019-03-04,,yes,\n")
    before = counts(demo)

    status = main(["records", "import", str(path), "--holding", "attendance"])

    out, err = capsys.readouterr()
    assert status == 1 and out == ""
    assert err.splitlines() == [
        "line 1: 'room' is not a field of attendance (its fields are session_date, session, attended).",
        "line 3: there is no person 'P-0099'.",
        "line 4: Date: '2019-02-30' is not a date; write dates as YYYY-MM-DD.",
        "line 5: Session: left empty, but it must be filled in.",
        f"Nothing was imported: 4 problems in {path}.",
    ]
    assert counts(demo) == before


def test_an_unknown_holding_or_a_missing_file_is_a_setup_problem(demo, tmp_path, capsys):
    path = tmp_path / "a.csv"
    path.write_text(ATTENDANCE)

    unknown = main(["records", "import", str(path), "--holding", "homework"])
    unknown_err = capsys.readouterr().err
    missing = main(["records", "import", str(tmp_path / "nowhere.csv"), "--holding", "attendance"])
    missing_err = capsys.readouterr().err

    assert (unknown, missing) == (2, 2)
    assert unknown_err.startswith("tono: No holding has the id 'homework'; the provider's holdings are enrolment,")
    assert missing_err == (f"tono: {tmp_path / 'nowhere.csv'} cannot be read (No such file or directory): "
                           "check the path.\n")


def test_an_unmigrated_database_is_a_setup_problem(database_url, monkeypatch, tmp_path, capsys):
    migrate.upgrade(database_url, "0013")
    monkeypatch.setenv("TONO_DATABASE_URL", database_url)
    path = tmp_path / "a.csv"
    path.write_text(ATTENDANCE)

    assert main(["records", "import", str(path), "--holding", "attendance"]) == 2

    assert capsys.readouterr().err.startswith("tono: ")
