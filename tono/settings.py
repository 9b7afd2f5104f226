"""Tono's settings, read from the environment (DESIGN.md §10). Only `tono/` reads the environment."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./tono.db"
ROLES = ("both", "provider", "agency")  # both: the embedded default, one process for both organisations
TELEGRAM_LIBRARIES = ("aiogram", "python-telegram-bot")  # which library serves Telegram; aiogram by default

# Plain URLs people copy from their hosting panel are accepted and given the async driver Tono uses.
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


# A bot token as @BotFather gives it: the bot's number, a colon, then letters, digits, - and _ (Telegram's format;
# its length is not fixed here, so local Bot API servers and test tokens pass).
_BOT_TOKEN = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{1,200}")


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


def _is_this_machine(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalise_peer_url(raw: str) -> str:
    """The other organisation's base URL, checked; messages carry families' information, so only https
    leaves this machine."""
    text = raw.strip()
    shown = repr(text) if "@" not in text else "the value given"  # never repeat what may hold a password
    try:
        url = urlsplit(text)
        host, _port = url.hostname, url.port  # .port raises on a port that is not a number
    except ValueError:
        host = None
    if host is not None and (url.username or url.password):
        # Not repeated back: the message would put the password in a terminal or a log.
        raise SettingsError("TONO_PEER_URL must not carry a user name or password; messages are signed, so the "
                            "inbox needs none.")
    if url_problem := (
        "is not a web address" if host is None or url.scheme not in ("http", "https") else
        "must not have a query or a fragment" if url.query or url.fragment else None
    ):
        raise SettingsError(f"TONO_PEER_URL {url_problem} ({shown}); use the other organisation's base "
                            "address, e.g. https://agency.example.org.")
    if url.scheme == "http" and not _is_this_machine(host):
        raise SettingsError(f"TONO_PEER_URL must use https:// (messages carry families' information), not "
                            f"{shown}; plain http:// is only for a server on this machine (127.0.0.1).")
    base = text.rstrip("/")
    return base.removesuffix("/protocol/inbox")  # the inbox's own address works too


def _seconds(name: str, value: object, least: float, most: float) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = float("nan")
    if not least <= seconds <= most:
        raise SettingsError(f"{name} must be a number of seconds from {least:g} to {most:g}, not {value!r}.")
    return seconds


class Settings(BaseSettings):
    """Everything Tono can be told from outside. Secrets come only from here, never from the repository."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", populate_by_name=True)

    database_url: str = Field(DEFAULT_DATABASE_URL, alias="TONO_DATABASE_URL")
    telegram_bot_token: str | None = Field(None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_base: str | None = Field(None, alias="TELEGRAM_API_BASE")
    telegram_library: str = Field("aiogram", alias="TELEGRAM_LIBRARY")
    public_url: str | None = Field(None, alias="TONO_PUBLIC_URL")
    secret_key: str | None = Field(None, alias="TONO_SECRET_KEY")
    agreement: Path | None = Field(None, alias="TONO_AGREEMENT")
    keys_dir: Path = Field(Path(".tono/keys"), alias="TONO_KEYS_DIR")
    role: str = Field("both", alias="TONO_ROLE")
    peer_url: str | None = Field(None, alias="TONO_PEER_URL")
    # The longest wait between two tries of one message; short in tests, minutes in real life.
    link_max_backoff: float = Field(300.0, alias="TONO_LINK_MAX_BACKOFF_SECONDS")
    # How long a chat message being sent is held by its sender: after a crash it is sent again once this
    # has passed (and counted in doubt). Longer than any one send (a 50 MB upload), short enough to recover.
    send_lease: float = Field(30.0, alias="TONO_SEND_LEASE_SECONDS")

    @field_validator("database_url")
    @classmethod
    def _database_url_is_usable(cls, value: str) -> str:
        return normalise_database_url(value)

    @field_validator("telegram_bot_token")
    @classmethod
    def _bot_token_looks_right(cls, value: str | None) -> str | None:
        # Never repeated back in a message: it is a password to the bot.
        if value is None:
            return None
        token = value.strip()  # a newline or a space pasted with it is not part of any token
        if not token:
            raise SettingsError("TELEGRAM_BOT_TOKEN is set but empty: paste the token @BotFather gave you, or unset "
                                "it (`unset TELEGRAM_BOT_TOKEN`) to serve the web chat only.")
        if not _BOT_TOKEN.fullmatch(token):
            raise SettingsError("TELEGRAM_BOT_TOKEN does not look like a bot token (the bot's number, a colon, then "
                                "letters, digits, - and _, e.g. 123456789:AAH…): copy it again from @BotFather, or "
                                "unset it to serve the web chat only.")
        return token

    @field_validator("secret_key")
    @classmethod
    def _secret_key_is_long_enough(cls, value: str | None) -> str | None:
        if value is not None and len(value) < 32:
            raise SettingsError("TONO_SECRET_KEY is too short: use at least 32 random characters "
                                "(e.g. the output of `python -c 'import secrets; print(secrets.token_urlsafe(48))'`).")
        return value

    @field_validator("role", mode="before")
    @classmethod
    def _role_is_known(cls, value: object) -> str:
        role = str(value).strip().lower()
        if role not in ROLES:
            raise SettingsError(f"TONO_ROLE must be both, provider or agency, not {value!r}.")
        return role

    @field_validator("telegram_library", mode="before")
    @classmethod
    def _telegram_library_is_known(cls, value: object) -> str:
        library = str(value).strip().lower()
        if library not in TELEGRAM_LIBRARIES:
            raise SettingsError(f"TELEGRAM_LIBRARY must be aiogram or python-telegram-bot, not {value!r}.")
        return library

    @field_validator("peer_url")
    @classmethod
    def _peer_url_is_usable(cls, value: str | None) -> str | None:
        return normalise_peer_url(value) if value is not None and value.strip() else None

    @field_validator("link_max_backoff", mode="before")
    @classmethod
    def _backoff_is_sensible(cls, value: object) -> float:
        return _seconds("TONO_LINK_MAX_BACKOFF_SECONDS", value, 0.1, 86_400)

    @field_validator("send_lease", mode="before")
    @classmethod
    def _lease_is_sensible(cls, value: object) -> float:
        return _seconds("TONO_SEND_LEASE_SECONDS", value, 1, 3_600)

    @model_validator(mode="after")
    def _role_has_what_it_needs(self) -> Settings:
        if self.role == "both" and self.peer_url:
            raise SettingsError("TONO_PEER_URL is set, but TONO_ROLE is both (one process for both organisations): "
                                "set TONO_ROLE=provider or TONO_ROLE=agency, or unset TONO_PEER_URL.")
        if self.role != "both" and not self.peer_url:
            other = "agency" if self.role == "provider" else "provider"
            raise SettingsError(f"TONO_ROLE={self.role} needs TONO_PEER_URL, the {other}'s server "
                                f"(e.g. https://{other}.example.org), to send it messages.")
        if self.telegram_bot_token and self.public_url and not self.public_url.strip().startswith("https://"):
            raise SettingsError(f"TONO_PUBLIC_URL must start with https:// (Telegram sends its webhook only there), "
                                f"not {self.public_url.strip()[:80]!r}; unset it to use long polling instead.")
        if self.role == "agency" and self.telegram_bot_token:
            raise SettingsError("TELEGRAM_BOT_TOKEN is set, but TONO_ROLE=agency: families talk to the provider, "
                                "so give the token to the provider's server.")
        return self

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
