"""Bad settings stop start-up with one clear sentence naming the setting, and write nothing."""

from __future__ import annotations

import sqlite3

import pytest

from tono import migrate
from tono.cli import main


@pytest.fixture
def in_empty_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("TONO_DATABASE_URL", "TONO_AGREEMENT", "TONO_KEYS_DIR"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def _one_sentence(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("tono: ")
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    return err


@pytest.mark.parametrize("command", [["run"], ["db", "upgrade"], ["seed-demo"]])
def test_a_malformed_database_url_stops_every_command_and_writes_nothing(in_empty_folder, monkeypatch,
                                                                         capsys, command):
    monkeypatch.setenv("TONO_DATABASE_URL", "sqlite:")

    assert main(command) == 2

    assert "TONO_DATABASE_URL" in _one_sentence(capsys)
    assert list(in_empty_folder.iterdir()) == []


@pytest.mark.parametrize("command", [["run"], ["db", "upgrade"], ["seed-demo"]])
def test_an_unreachable_postgresql_stops_start_up_with_one_sentence(in_empty_folder, monkeypatch, capsys,
                                                                   command):
    # Port 9 (discard) on loopback: nothing listens there, so the connection is refused at once.
    monkeypatch.setenv("TONO_DATABASE_URL", "postgresql://postgres@127.0.0.1:9/tono")

    assert main(command) == 2

    sentence = _one_sentence(capsys)
    assert "TONO_DATABASE_URL" in sentence
    assert "cannot reach the PostgreSQL server at 127.0.0.1:9" in sentence


@pytest.mark.parametrize("command", [["run"], ["db", "upgrade"], ["seed-demo"]])
def test_a_missing_agreement_file_stops_start_up_and_no_database_is_created(in_empty_folder, monkeypatch,
                                                                            capsys, command):
    monkeypatch.setenv("TONO_AGREEMENT", str(in_empty_folder / "no-such-agreement.yaml"))

    assert main(command) == 2

    sentence = _one_sentence(capsys)
    assert sentence.startswith("tono: TONO_AGREEMENT")
    assert "no-such-agreement.yaml" in sentence
    assert list(in_empty_folder.iterdir()) == []


def test_running_before_any_migration_says_to_run_db_upgrade_and_creates_nothing(in_empty_folder, capsys):
    assert main(["run"]) == 2

    assert "run `tono db upgrade`" in _one_sentence(capsys)
    assert list(in_empty_folder.iterdir()) == []


def test_running_on_a_database_behind_its_migrations_says_so(in_empty_folder, capsys):
    sqlite3.connect(in_empty_folder / "tono.db").close()  # a database file no migration has touched

    assert main(["run"]) == 2

    sentence = _one_sentence(capsys)
    assert "database is at migration none" in sentence
    assert migrate.head_revision() in sentence
