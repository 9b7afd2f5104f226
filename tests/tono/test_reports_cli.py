"""`tono reports due`, `tono reports prepare FLOW --period YYYY-MM` and `tono reports approve REF --as LOGIN`, as
an operator runs them."""

from __future__ import annotations

import asyncio

import pytest

from bot.models import StaffAccount
from protocol import schedule
from protocol.agreement import load_agreement
from tests.bot.reports.reports_support import add_people, add_records, attendance, outbox_messages
from tono import migrate
from tono.cli import main
from tono.database import make_engine, make_sessionmaker


@pytest.fixture
def operator(database_url, tmp_path, monkeypatch):
    """A migrated database with two people's attendance in November 2025 and a staff login, as TONO_* says."""
    migrate.upgrade(database_url)
    monkeypatch.setenv("TONO_DATABASE_URL", database_url)
    monkeypatch.setenv("TONO_KEYS_DIR", str(tmp_path / "keys"))

    async def arrange():
        engine = make_engine(database_url)
        async with make_sessionmaker(engine).begin() as session:
            people = await add_people(session, 2)
            await add_records(session, "attendance", [attendance(p, "2025-11-04") for p in people])
            session.add(StaffAccount(login="kaimahi", display_name="Kaimahi", password_hash="-"))
            session.add(StaffAccount(login="former", display_name="Former", password_hash="-", active=False))
        await engine.dispose()

    asyncio.run(arrange())
    return database_url


def _outbox(url):
    async def read():
        engine = make_engine(url)
        try:
            return await outbox_messages(make_sessionmaker(engine))
        finally:
            await engine.dispose()
    return asyncio.run(read())


def test_due_lists_an_overdue_month_in_one_line(operator, capsys):
    due = schedule.monthly_due("2025-11", 10)

    assert main(["reports", "due"]) == 0

    assert capsys.readouterr().out.strip() == f"attendance 2025-11: due {due.isoformat()}, overdue"


def test_prepare_shows_what_would_be_sent_and_sends_nothing(operator, capsys):
    assert main(["reports", "prepare", "attendance", "--period", "2025-11"]) == 0

    out = capsys.readouterr().out
    assert out.startswith("RPT-attendance-2025-11: the attendance report for 2025-11")
    assert "To: Service delivery reporting team (service-reporting) only, by participant id." in out
    assert "Fields: Date, Session, Came." in out and "2 people, 2 rows; 0 rows held back." in out
    assert "[passed] The agreement version is the one in force" in out
    assert "Nothing has been sent." in out
    assert _outbox(operator) == []


@pytest.mark.parametrize(("argv", "sentence"), [
    (["reports", "prepare", "atendance", "--period", "2025-11"], "There is no flow 'atendance'"),
    (["reports", "prepare", "attendance", "--period", "2025-13"], "'2025-13' is not a period"),
    (["reports", "prepare", "attendance", "--period", "2025-10"], "no rows dated in 2025-10"),
    (["reports", "approve", "RPT-nothing-2025-11", "--as", "kaimahi"], "There is no report 'RPT-nothing-2025-11'"),
])
def test_a_mistake_is_one_sentence_and_exit_1(operator, capsys, argv, sentence):
    assert main(argv) == 1

    out = capsys.readouterr().out
    assert sentence in out and out.count("\n") == 1


def test_approve_needs_an_active_staff_login_then_queues_the_parts(operator, capsys):
    main(["reports", "prepare", "attendance", "--period", "2025-11"])
    capsys.readouterr()

    refused = [main(["reports", "approve", "RPT-attendance-2025-11", "--as", login]) for login in ("nobody", "former")]
    refusals = capsys.readouterr().out
    approved = main(["reports", "approve", "RPT-attendance-2025-11", "--as", "kaimahi"])
    out = capsys.readouterr().out
    main(["reports", "due"])

    assert refused == [1, 1] and "'nobody' is not an active provider staff login" in refusals
    assert "'former' is not an active provider staff login" in refusals
    assert approved == 0 and "Approved RPT-attendance-2025-11 and queued 1 part (2 rows about 2 people)" in out
    assert "`tono run`" in out
    assert [m.request for m in _outbox(operator)] == ["RPT-attendance-2025-11"]
    assert capsys.readouterr().out.strip() == "Nothing is due."


def test_nothing_is_due_on_an_empty_programme(database_url, tmp_path, monkeypatch, capsys):
    migrate.upgrade(database_url)
    monkeypatch.setenv("TONO_DATABASE_URL", database_url)
    monkeypatch.setenv("TONO_KEYS_DIR", str(tmp_path / "keys"))

    assert main(["reports", "due"]) == 0

    assert capsys.readouterr().out.strip() == "Nothing is due."
    assert load_agreement().flow("attendance").schedule.kind == "monthly"


def test_the_study_number_key_is_made_once_readable_by_its_owner_only(tmp_path):
    import stat

    from tono.keys import SigningKeyError, study_number_key

    agreement = load_agreement()
    first = study_number_key(agreement, tmp_path)
    again = study_number_key(agreement, tmp_path)
    path = tmp_path / f"{agreement.provider.id}.study-numbers.key"
    path.write_bytes(b"short")

    with pytest.raises(SigningKeyError, match="should hold 32 random bytes but holds 5"):
        study_number_key(agreement, tmp_path)
    assert first == again and len(first) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
