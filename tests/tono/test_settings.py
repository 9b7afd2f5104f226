"""Settings come from the environment; a wrong one is one sentence that names it."""

from __future__ import annotations

import pytest

from tono.settings import DEFAULT_DATABASE_URL, SettingsError, load_settings


def test_the_default_database_is_a_sqlite_file_in_the_working_directory(monkeypatch):
    monkeypatch.delenv("TONO_DATABASE_URL", raising=False)

    settings = load_settings()

    assert settings.database_url == DEFAULT_DATABASE_URL
    assert str(settings.sqlite_path) == "tono.db"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://postgres@127.0.0.1:5432/tono", "postgresql+asyncpg://postgres@127.0.0.1:5432/tono"),
        ("postgres://db.example/tono", "postgresql+asyncpg://db.example/tono"),
        ("sqlite:///./here.db", "sqlite+aiosqlite:///./here.db"),
    ],
)
def test_plain_database_urls_are_given_the_async_driver(monkeypatch, given, expected):
    monkeypatch.setenv("TONO_DATABASE_URL", given)

    assert load_settings().database_url == expected


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("not a url", "is not a database URL"),
        ("mysql://root@localhost/tono", "does not support"),
        ("sqlite://", "names no SQLite file"),
        ("postgresql:///tono", "names no PostgreSQL host"),
    ],
)
def test_a_malformed_database_url_is_one_sentence_naming_the_setting(monkeypatch, given, says):
    monkeypatch.setenv("TONO_DATABASE_URL", given)

    with pytest.raises(SettingsError) as raised:
        load_settings()

    message = str(raised.value)
    assert message.startswith("TONO_DATABASE_URL")
    assert says in message
    assert "\n" not in message


@pytest.fixture
def one_organisation(monkeypatch):
    """A clean environment for the settings that choose which organisation this Tono runs as."""
    for name in ("TONO_ROLE", "TONO_PEER_URL", "TELEGRAM_BOT_TOKEN", "TONO_LINK_MAX_BACKOFF_SECONDS",
                 "TONO_SEND_LEASE_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_by_default_tono_runs_both_organisations_in_one_process(one_organisation):
    settings = load_settings()

    assert (settings.role, settings.peer_url, settings.link_max_backoff) == ("both", None, 300.0)


@pytest.mark.parametrize(("role", "peer", "expected"), [
    ("provider", "https://agency.example.org/", "https://agency.example.org"),
    (" Agency ", "https://ccss.example.org/tono", "https://ccss.example.org/tono"),
    ("agency", "http://127.0.0.1:8001", "http://127.0.0.1:8001"),
    ("agency", "http://localhost:8001/protocol/inbox", "http://localhost:8001"),
    ("provider", "http://[::1]:8001", "http://[::1]:8001"),
])
def test_one_organisation_names_the_other_organisations_server(one_organisation, role, peer, expected):
    one_organisation.setenv("TONO_ROLE", role)
    one_organisation.setenv("TONO_PEER_URL", peer)

    settings = load_settings()

    assert (settings.role, settings.peer_url) == (role.strip().lower(), expected)


@pytest.mark.parametrize(("environment", "names", "says"), [
    ({"TONO_ROLE": "bank"}, "TONO_ROLE", "must be both, provider or agency"),
    ({"TONO_ROLE": "provider"}, "TONO_ROLE=provider needs TONO_PEER_URL", "the agency's server"),
    ({"TONO_ROLE": "agency"}, "TONO_ROLE=agency needs TONO_PEER_URL", "the provider's server"),
    ({"TONO_PEER_URL": "https://agency.example.org"}, "TONO_PEER_URL is set", "TONO_ROLE is both"),
    ({"TONO_ROLE": "provider", "TONO_PEER_URL": "http://agency.example.org"}, "TONO_PEER_URL", "must use https://"),
    ({"TONO_ROLE": "provider", "TONO_PEER_URL": "agency.example.org"}, "TONO_PEER_URL", "is not a web address"),
    ({"TONO_ROLE": "provider", "TONO_PEER_URL": "ftp://agency.example.org"}, "TONO_PEER_URL", "not a web address"),
    ({"TONO_ROLE": "provider", "TONO_PEER_URL": "https://agency.example.org:http"}, "TONO_PEER_URL",
     "not a web address"),
    ({"TONO_ROLE": "provider", "TONO_PEER_URL": "https://agency.example.org/?x=1"}, "TONO_PEER_URL",
     "must not have a query"),
    ({"TONO_ROLE": "agency", "TONO_PEER_URL": "https://ccss.example.org", "TELEGRAM_BOT_TOKEN": "123:abc"},
     "TELEGRAM_BOT_TOKEN is set, but TONO_ROLE=agency", "give the token to the provider's server"),
    ({"TONO_LINK_MAX_BACKOFF_SECONDS": "soon"}, "TONO_LINK_MAX_BACKOFF_SECONDS", "from 0.1 to 86400"),
    ({"TONO_LINK_MAX_BACKOFF_SECONDS": "0"}, "TONO_LINK_MAX_BACKOFF_SECONDS", "from 0.1 to 86400"),
    ({"TONO_SEND_LEASE_SECONDS": "a while"}, "TONO_SEND_LEASE_SECONDS", "from 1 to 3600"),
    ({"TONO_SEND_LEASE_SECONDS": "0"}, "TONO_SEND_LEASE_SECONDS", "from 1 to 3600"),
    ({"TELEGRAM_LIBRARY": "telegram"}, "TELEGRAM_LIBRARY", "aiogram or python-telegram-bot"),
])
def test_a_role_without_what_it_needs_is_one_sentence_naming_the_setting(one_organisation, environment, names,
                                                                         says):
    for name, value in environment.items():
        one_organisation.setenv(name, value)

    with pytest.raises(SettingsError) as raised:
        load_settings()

    message = str(raised.value)
    assert message.startswith(names)
    assert says in message
    assert "\n" not in message


def test_a_peer_url_with_a_password_is_refused_without_repeating_it(one_organisation):
    one_organisation.setenv("TONO_ROLE", "provider")
    one_organisation.setenv("TONO_PEER_URL", "https://tono:hunter2-secret@agency.example.org")

    with pytest.raises(SettingsError) as raised:
        load_settings()

    assert "must not carry a user name or password" in str(raised.value)
    assert "hunter2" not in str(raised.value)
