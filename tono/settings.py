"""Tono's settings, read from the environment (DESIGN.md §10). Only `tono/` reads the environment."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./tono.db"

# Plain URLs people copy from their hosting panel are accepted and given the async driver Tono uses.
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


class SettingsError(ValueError):
    """A setting is wrong; the message is one sentence that names the setting."""


def normalise_database_url(raw: str) -> str:
    """Give a database URL the async driver Tono uses, or say in one sentence what is wrong with it."""
    try:
        url = make_url(raw.strip())
    except ArgumentError:
        raise SettingsError(
            f"TONO_DATABASE_URL is not a database URL ({raw!r}); use e.g. "
            "sqlite:///./tono.db or postgresql://user@127.0.0.1:5432/tono."
        ) from None
    driver = _ASYNC_DRIVERS.get(url.drivername)
    if driver is None:
        raise SettingsError(
            f"TONO_DATABASE_URL uses {url.drivername!r}, which Tono does not support; "
            "use sqlite:/// (a file) or postgresql:// (a server)."
        )
    if driver.startswith("sqlite") and not url.database:
        raise SettingsError("TONO_DATABASE_URL names no SQLite file; use e.g. sqlite:///./tono.db.")
    if driver.startswith("postgresql") and not url.host and not url.query.get("host"):
        raise SettingsError("TONO_DATABASE_URL names no PostgreSQL host; use e.g. postgresql://127.0.0.1/tono.")
    return url.set(drivername=driver).render_as_string(hide_password=False)


class Settings(BaseSettings):
    """Everything Tono can be told from outside. Secrets come only from here, never from the repository."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", populate_by_name=True)

    database_url: str = Field(DEFAULT_DATABASE_URL, alias="TONO_DATABASE_URL")
    telegram_bot_token: str | None = Field(None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_base: str | None = Field(None, alias="TELEGRAM_API_BASE")
    public_url: str | None = Field(None, alias="TONO_PUBLIC_URL")
    secret_key: str | None = Field(None, alias="TONO_SECRET_KEY")
    agreement: Path | None = Field(None, alias="TONO_AGREEMENT")
    keys_dir: Path = Field(Path(".tono/keys"), alias="TONO_KEYS_DIR")

    @field_validator("database_url")
    @classmethod
    def _database_url_is_usable(cls, value: str) -> str:
        return normalise_database_url(value)

    @field_validator("secret_key")
    @classmethod
    def _secret_key_is_long_enough(cls, value: str | None) -> str | None:
        if value is not None and len(value) < 32:
            raise SettingsError("TONO_SECRET_KEY is too short: use at least 32 random characters "
                                "(e.g. the output of `python -c 'import secrets; print(secrets.token_urlsafe(48))'`).")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite file, or None for an in-memory database or a server."""
        if not self.is_sqlite:
            return None
        database = make_url(self.database_url).database
        return None if database in (None, "", ":memory:") else Path(database)


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning pydantic's report into one sentence per wrong setting."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)
    except ValidationError as error:
        sentences = []
        for problem in error.errors():
            cause = problem.get("ctx", {}).get("error")
            sentences.append(str(cause) if cause else f"{'.'.join(map(str, problem['loc']))}: {problem['msg']}")
        raise SettingsError(" ".join(sentences)) from None
