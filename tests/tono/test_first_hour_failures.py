"""What a newcomer can get wrong in the first hour, run through the real `tono` command: each mistake is one
sentence on stderr saying what happened and what to do, a non-zero exit, no traceback, nothing half-written."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy.engine import make_url

from protocol.agreement import DEFAULT_AGREEMENT_PATH
from tono import migrate

WRITING_COMMANDS = [["db", "upgrade"], ["seed-demo"], ["run", "--port", "0"]]
SECRET = "a-long-random-secret-for-the-first-hour-tests-0123456789"


def _clean_env(**settings: str) -> dict[str, str]:
    # Nothing from the developer's shell (a real token, make's MAKELEVEL) may change what the newcomer sees.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TONO_", "TELEGRAM_")) and k != "MAKELEVEL"}
    return {**env, "TONO_SECRET_KEY": SECRET, "PYTHONUNBUFFERED": "1", **settings}


def tono(folder: Path, *args: str, **settings: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tono.cli", *args], cwd=folder, env=_clean_env(**settings),
                          capture_output=True, text=True, timeout=120)


def one_sentence(done: subprocess.CompletedProcess) -> str:
    """The one line a failed command said, after checking it failed and said nothing else."""
    assert done.returncode != 0, done.stdout
    said = done.stderr.strip()
    assert "Traceback" not in said, said
    assert len(said.splitlines()) == 1, said
    assert said.startswith("tono: ")
    return said


def _fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def migrated_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "tono.db"
    migrate.upgrade(f"sqlite+aiosqlite:///{path}")
    with sqlite3.connect(path) as db:  # one file, so a copy carries everything
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def migrated(tmp_path, migrated_template) -> Path:
    """A folder holding a tono.db at this code's migration, with nothing in it yet."""
    shutil.copyfile(migrated_template, tmp_path / "tono.db")
    return tmp_path


def _taken_port() -> socket.socket:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    return listener


# ---- 1. The port ---------------------------------------------------------------------------------------------

def test_a_port_in_use_is_one_sentence_that_suggests_the_next_port(migrated):
    with _taken_port() as taken:
        port = taken.getsockname()[1]

        done = tono(migrated, "run", "--port", str(port))

    assert one_sentence(done) == (f"tono: Port {port} on 127.0.0.1 is already in use (is another Tono running?): "
                                  f"stop it or use `tono run --port {port + 1}`.")


def test_under_make_a_port_in_use_suggests_make_run_with_a_port(migrated):
    with _taken_port() as taken:
        port = taken.getsockname()[1]

        done = tono(migrated, "run", "--port", str(port), MAKELEVEL="1")

    assert one_sentence(done).endswith(f"stop it or use `make run PORT={port + 1}`.")


def test_a_host_that_is_not_this_machines_is_one_sentence(migrated):
    done = tono(migrated, "run", "--host", "192.0.2.1", "--port", "0")  # TEST-NET-1: never this machine's

    assert "192.0.2.1 is not an address of this machine: use `--host 127.0.0.1`" in one_sentence(done)


# ---- 2 and 3. The bot token --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("command", "token"), zip(WRITING_COMMANDS, ["", "   ", "\n"], strict=True))
def test_an_empty_bot_token_stops_every_command_before_anything_is_written(tmp_path, command, token):
    done = tono(tmp_path, *command, TELEGRAM_BOT_TOKEN=token)

    assert "TELEGRAM_BOT_TOKEN is set but empty" in one_sentence(done)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("command", "token"), zip(
    WRITING_COMMANDS, ["not-a-token", "AAHfake:123456789", "123456789:AAH with spaces"], strict=True))
def test_a_malformed_bot_token_stops_every_command_and_is_never_repeated_back(tmp_path, command, token):
    done = tono(tmp_path, *command, TELEGRAM_BOT_TOKEN=token)

    sentence = one_sentence(done)
    assert "TELEGRAM_BOT_TOKEN does not look like a bot token" in sentence
    assert "@BotFather" in sentence
    assert token not in sentence
    assert list(tmp_path.iterdir()) == []


def test_a_webhook_address_without_https_is_one_sentence(tmp_path):
    done = tono(tmp_path, "db", "upgrade", TELEGRAM_BOT_TOKEN="123456789:AAH-fake_token",
                TONO_PUBLIC_URL="http://tono.example")

    assert "TONO_PUBLIC_URL must start with https://" in one_sentence(done)
    assert list(tmp_path.iterdir()) == []


async def test_a_token_telegram_refuses_is_one_sentence_naming_botfather_and_the_database_is_untouched(migrated):
    import asyncio

    from tests.fakes.telegram_api import FakeTelegram

    before = _fingerprint(migrated / "tono.db")
    async with FakeTelegram() as fake:  # it answers 401 Unauthorized to any token but its own, as Telegram does
        command = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tono.cli", "run", "--port", "0", cwd=migrated,
            env=_clean_env(TELEGRAM_BOT_TOKEN="987654321:AAH-not-this-bots-token", TELEGRAM_API_BASE=fake.base_url),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = await asyncio.wait_for(command.communicate(), 120)

    done = subprocess.CompletedProcess([], command.returncode, out.decode(), err.decode())
    sentence = one_sentence(done)
    assert "Telegram refused TELEGRAM_BOT_TOKEN (401 Unauthorized)" in sentence
    assert "@BotFather" in sentence
    assert _fingerprint(migrated / "tono.db") == before
    assert [p.name for p in migrated.iterdir()] == ["tono.db"]  # no demo signing keys made either
    assert "Tono is serving" not in done.stdout


# ---- 4. The database file ----------------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("command", WRITING_COMMANDS)
def test_a_database_another_program_holds_locked_is_one_sentence_and_stays_as_it_was(migrated, command):
    before = _fingerprint(migrated / "tono.db")
    holder = sqlite3.connect(migrated / "tono.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # as a sqlite3 shell or DB Browser does while it edits
    try:
        done = tono(migrated, *command)
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    assert one_sentence(done) == "tono: The database tono.db is in use by another program: close it and try again."
    assert _fingerprint(migrated / "tono.db") == before


@pytest.mark.parametrize("command", WRITING_COMMANDS)
def test_a_database_in_a_folder_that_does_not_exist_is_one_sentence_and_nothing_is_created(tmp_path, command):
    done = tono(tmp_path, *command, TONO_DATABASE_URL="sqlite:///./data/tono.db")

    assert one_sentence(done) == ("tono: The folder data for the database tono.db does not exist: create it "
                                  "(`mkdir -p data`) or change TONO_DATABASE_URL.")
    assert list(tmp_path.iterdir()) == []


def test_a_database_under_a_file_instead_of_a_folder_is_one_sentence(tmp_path):
    (tmp_path / "data").write_text("not a folder")

    done = tono(tmp_path, "db", "upgrade", TONO_DATABASE_URL="sqlite:///./data/tono.db")

    assert "data is a file, not a folder" in one_sentence(done)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write in any folder")
def test_a_database_in_a_folder_tono_may_not_write_in_is_one_sentence(tmp_path):
    locked_away = tmp_path / "data"
    locked_away.mkdir(mode=0o555)

    done = tono(tmp_path, "db", "upgrade", TONO_DATABASE_URL="sqlite:///./data/tono.db")

    assert "Tono may not write in the folder data" in one_sentence(done)
    assert list(locked_away.iterdir()) == []


def test_a_folder_without_write_access_is_named_even_where_the_tests_run_as_root(tmp_path, monkeypatch):
    from tono import first_hour
    from tono.settings import load_settings
    from tono.startup import StartupError

    (tmp_path / "data").mkdir()
    monkeypatch.setattr(first_hour.os, "access", lambda path, mode: False)  # what a read-only folder answers

    with pytest.raises(StartupError) as raised:
        first_hour.check_sqlite_file(load_settings(TONO_DATABASE_URL=f"sqlite:///{tmp_path / 'data' / 'tono.db'}"))

    assert str(raised.value).startswith(f"Tono may not write in the folder {tmp_path / 'data'}, where the database")


@pytest.mark.parametrize("command", WRITING_COMMANDS)
def test_a_file_that_is_not_a_database_is_one_sentence_and_left_as_it_was(tmp_path, command):
    (tmp_path / "tono.db").write_text("my shopping list\n" * 100)

    done = tono(tmp_path, *command)

    assert "The file tono.db is not a SQLite database" in one_sentence(done)
    assert (tmp_path / "tono.db").read_text() == "my shopping list\n" * 100


def test_a_lock_taken_after_the_start_up_check_is_still_one_sentence(migrated, monkeypatch, capsys):
    from tono import first_hour
    from tono.cli import main

    monkeypatch.chdir(migrated)
    for name in ("TONO_DATABASE_URL", "TONO_AGREEMENT", "TELEGRAM_BOT_TOKEN", "TONO_ROLE", "TONO_PEER_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(first_hour, "check_sqlite_file", lambda settings: None)  # as if the lock came just after
    holder = sqlite3.connect(migrated / "tono.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        code = main(["db", "upgrade"])
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    assert code == 2
    assert capsys.readouterr().err == ("tono: The database tono.db is in use by another program: close it and try "
                                       "again.\n")


# ---- 5. The agreement ----------------------------------------------------------------------------------------------

def test_a_missing_agreement_file_is_one_sentence_naming_it(tmp_path):
    done = tono(tmp_path, "db", "upgrade", TONO_AGREEMENT="our-agreement.yaml")

    assert one_sentence(done) == "tono: TONO_AGREEMENT names 'our-agreement.yaml', but there is no such file."
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", WRITING_COMMANDS)
def test_an_agreement_that_is_not_yaml_is_one_sentence_pointing_to_agreement_check(tmp_path, command):
    (tmp_path / "agreement.yaml").write_text("programme: [\n", encoding="utf-8")

    done = tono(tmp_path, *command, TONO_AGREEMENT="agreement.yaml")

    sentence = one_sentence(done)
    assert sentence.startswith("tono: TONO_AGREEMENT: the agreement agreement.yaml is not valid (line 2")
    assert sentence.endswith("run `tono agreement check agreement.yaml` for the full list.")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["agreement.yaml"]


def test_an_agreement_with_schema_errors_names_the_first_field_and_counts_the_rest(tmp_path):
    data = yaml.safe_load(DEFAULT_AGREEMENT_PATH.read_text(encoding="utf-8"))
    del data["programme"]["id"]
    data["parties"]["ccss"]["role"] = 42
    (tmp_path / "agreement.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    done = tono(tmp_path, "seed-demo", TONO_AGREEMENT="agreement.yaml")

    sentence = one_sentence(done)
    assert "the agreement agreement.yaml is not valid at programme.id: is missing, and 1 more problem;" in sentence
    assert "`tono agreement check agreement.yaml`" in sentence
    assert sorted(p.name for p in tmp_path.iterdir()) == ["agreement.yaml"]


# ---- 6. What start-up already said, through the real command ----------------------------------------------------

@pytest.mark.parametrize(("url", "says"), [
    ("sqlite:", "TONO_DATABASE_URL is not a database URL"),
    ("postgresql://postgres@127.0.0.1:9/tono", "cannot reach the PostgreSQL server at 127.0.0.1:9"),
])
def test_a_wrong_or_unreachable_database_url_is_one_sentence(tmp_path, url, says):
    done = tono(tmp_path, "db", "upgrade", TONO_DATABASE_URL=url)

    assert says in one_sentence(done)
    assert list(tmp_path.iterdir()) == []


def _on_our_server(database: str = "postgres", role: str = "postgres") -> str:
    from tests.conftest import POSTGRES_URL, _postgres_or_skip

    _postgres_or_skip()
    url = make_url(POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://"))
    return url.set(username=role, database=database).render_as_string(hide_password=False)


@pytest.mark.parametrize("command", [("db", "upgrade"), ("run", "--port", "0"), ("enrol", "P-0001"),
                                     ("seed-demo",), ("setup",)])
@pytest.mark.parametrize(("database", "role", "says"), [
    ("tono_no_such_database", "postgres", "names the database tono_no_such_database, which does not exist"),
    ("postgres", "tono_no_such_role", "logs in as tono_no_such_role, which the PostgreSQL server"),
])
def test_a_database_or_role_the_server_does_not_have_is_one_sentence_from_every_command(
        tmp_path, command, database, role, says):
    done = tono(tmp_path, *command, TONO_DATABASE_URL=_on_our_server(database, role))

    assert says in one_sentence(done)


def test_a_wrong_password_is_one_sentence_naming_the_role():
    import asyncpg

    from tono.database import postgres_login_problem

    refused = asyncpg.exceptions.InvalidPasswordError('password authentication failed for user "kaimahi"')

    said = postgres_login_problem(refused, "postgresql://kaimahi:wrong@db.example:5433/tono")

    assert said == ("The PostgreSQL server at db.example:5433 refused the password for kaimahi: correct the password "
                    "in TONO_DATABASE_URL.")


def test_a_database_behind_its_migrations_is_one_sentence_saying_to_upgrade(tmp_path):
    sqlite3.connect(tmp_path / "tono.db").close()

    done = tono(tmp_path, "run", "--port", "0")

    assert "run `tono db upgrade`" in one_sentence(done)


# ---- 3 and 7. Telegram out of reach, then Ctrl+C -------------------------------------------------------------

def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again: connecting to it is refused at once


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


def _wait_for(condition, what: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds  # a busy two-core machine can take a while to import everything
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.2)


@pytest.mark.slow
def test_without_telegram_tono_still_serves_the_web_chat_says_so_once_and_stops_cleanly_on_ctrl_c(migrated):
    out, err = migrated / "stdout.txt", migrated / "stderr.txt"
    env = _clean_env(TELEGRAM_BOT_TOKEN="123456789:AAH-fake_token",
                     TELEGRAM_API_BASE=f"http://127.0.0.1:{_closed_port()}")
    with out.open("w") as stdout, err.open("w") as stderr:
        server = subprocess.Popen([sys.executable, "-m", "tono.cli", "run", "--port", "0"], cwd=migrated, env=env,
                                  stdout=stdout, stderr=stderr, text=True)
    try:
        _wait_for(lambda: "Tono is serving on" in out.read_text() or server.poll() is not None, "the serving line")
        port = int(out.read_text().split("http://127.0.0.1:")[1].split("/")[0])
        _wait_for(lambda: "Telegram cannot be reached" in err.read_text(), "the sentence about Telegram")
        _wait_for(lambda: _answers(port), "/healthz")
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
        chat = httpx.get(f"http://127.0.0.1:{port}/chat/", timeout=10)

        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()

    assert health.json()["status"] == "ok"
    assert chat.status_code == 200
    said = err.read_text().splitlines()  # one sentence for the outage, not one per try, and no traceback
    assert len(said) == 1, said
    assert said[0].startswith("Telegram cannot be reached (")
    assert said[0].endswith("Tono serves the web chat and the desks, and keeps trying Telegram in the background.")
    assert server.returncode == 0
    assert out.read_text().splitlines()[-1] == "Tono has stopped."


@pytest.mark.slow
def test_a_public_url_without_a_token_serves_the_web_chat_and_says_telegram_is_off(migrated):
    server = subprocess.Popen([sys.executable, "-m", "tono.cli", "run", "--port", "0"], cwd=migrated,
                              env=_clean_env(TONO_PUBLIC_URL="https://tono.example"), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        lines = [server.stdout.readline(), server.stdout.readline()]
        port = int(lines[0].split("http://127.0.0.1:")[1].split("/")[0])
        _wait_for(lambda: _answers(port), "/healthz")  # Ctrl+C while serving, not while starting
        server.send_signal(signal.SIGINT)
        rest, said = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()

    assert lines[0].startswith("Tono is serving on http://127.0.0.1:")
    assert lines[1].startswith("TONO_PUBLIC_URL is set but TELEGRAM_BOT_TOKEN is not, so families reach Tono by "
                               "the web chat only")
    assert rest.splitlines()[-1] == "Tono has stopped."  # after the access log's line for /healthz
    assert said == ""
