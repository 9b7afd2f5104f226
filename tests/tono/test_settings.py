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
