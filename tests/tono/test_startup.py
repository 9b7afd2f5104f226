"""Bad settings stop start-up with one clear sentence naming the setting, and write nothing."""

from __future__ import annotations

import sqlite3

import pytest

from tono import migrate
from tono.cli import main


@pytest.fixture
def in_empty_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("TONO_DATABASE_URL", "TONO_AGREEMENT", "TONO_KEYS_DIR", "TONO_ROLE", "TONO_PEER_URL"):
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


def _agreement_with_keys(folder, keys: dict[str, str]):
    import yaml

    from protocol.agreement import DEFAULT_AGREEMENT_PATH

    data = yaml.safe_load(DEFAULT_AGREEMENT_PATH.read_text(encoding="utf-8"))
    for party, key in keys.items():
        data["parties"][party]["public_key"] = key
    path = folder / "agreement.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def as_the_provider(in_empty_folder, monkeypatch):
    monkeypatch.setenv("TONO_ROLE", "provider")
    monkeypatch.setenv("TONO_PEER_URL", "https://agency.example.org")
    return in_empty_folder


def test_one_organisation_with_the_demos_keys_is_told_to_make_real_ones_and_nothing_is_written(as_the_provider,
                                                                                                  capsys):
    assert main(["run"]) == 2

    sentence = _one_sentence(capsys)
    assert "TONO_ROLE=provider needs each party's real public key in the agreement" in sentence
    assert "tono keys generate ccss" in sentence
    assert list(as_the_provider.iterdir()) == []  # no demo key made: it would be useless to the agency


def test_one_organisation_without_its_own_private_key_is_told_where_to_put_it(as_the_provider, monkeypatch,
                                                                              capsys):
    from protocol.signing import generate_keypair

    path = _agreement_with_keys(as_the_provider, {party: generate_keypair()[1] for party in ("ccss", "agency")})
    monkeypatch.setenv("TONO_AGREEMENT", str(path))

    assert main(["run"]) == 2

    sentence = _one_sentence(capsys)
    assert "TONO_ROLE=provider signs as ccss, but TONO_KEYS_DIR" in sentence
    assert "holds no ccss.pem" in sentence
    assert sorted(p.name for p in as_the_provider.iterdir()) == ["agreement.yaml"]


def test_one_organisation_does_not_need_the_other_organisations_private_key(as_the_provider, monkeypatch):
    from protocol.agreement import load_agreement
    from protocol.signing import generate_keypair
    from tono.keys import generate_key_files
    from tono.settings import load_settings
    from tono.startup import check_signing_keys

    _, ccss_public = generate_key_files(as_the_provider / "keys", "ccss")
    path = _agreement_with_keys(as_the_provider, {"ccss": ccss_public, "agency": generate_keypair()[1]})
    monkeypatch.setenv("TONO_AGREEMENT", str(path))
    monkeypatch.setenv("TONO_KEYS_DIR", str(as_the_provider / "keys"))

    check_signing_keys(load_settings(), load_agreement(path))

    assert sorted(p.name for p in (as_the_provider / "keys").iterdir()) == ["ccss.pem"]


def test_a_peer_url_without_a_role_stops_start_up_with_one_sentence(in_empty_folder, monkeypatch, capsys):
    monkeypatch.setenv("TONO_PEER_URL", "https://agency.example.org")

    assert main(["run"]) == 2

    assert "TONO_PEER_URL is set, but TONO_ROLE is both" in _one_sentence(capsys)
    assert list(in_empty_folder.iterdir()) == []


@pytest.mark.parametrize(("command", "says"), [
    (["enrol", "P-0001"], "`tono enrol` enrols a family for the chat on"),
    (["records", "import", "attendance.csv", "--holding", "attendance"], "`tono records import` records the"),
    (["reports", "due"], "`tono reports` prepares and sends the reports on"),
])
def test_a_providers_command_on_the_agencys_server_says_where_to_run_it(in_empty_folder, monkeypatch, capsys,
                                                                        command, says):
    monkeypatch.setenv("TONO_ROLE", "agency")
    monkeypatch.setenv("TONO_PEER_URL", "https://ccss.example.org")

    assert main(command) == 2

    sentence = _one_sentence(capsys)
    assert says in sentence
    assert "this one runs as the agency only (TONO_ROLE=agency): run it there." in sentence
    assert list(in_empty_folder.iterdir()) == []
