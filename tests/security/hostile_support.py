"""What the hostile-input table needs: the whole Tono app on a seeded database, signed-in desks, and a
fingerprint of every table, so a row can say "nothing was stored or changed" and mean all of it."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import httpx
from sqlalchemy import text
from sqlmodel import SQLModel, select

import agency.models  # noqa: F401  (their tables in the metadata the fingerprint walks)
import bot.models  # noqa: F401
import linkqueue.tables  # noqa: F401
from agency.desk import store as agency_store
from agency.models import Officer
from tests.bot.desk.provider_desk_support import make_app, staff_token

HTML = {"Accept": "text/html,application/xhtml+xml"}
JSON = {"Content-Type": "application/json"}
SQL_INJECTION = "'; DROP TABLE provider_request; --"
SCRIPT = "<script>alert('tono')</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(&#39;tono&#39;)&lt;/script&gt;"
# A chat turn that is refused still saves where the chat is (its screen, the update it answered).
CHAT_BOOKKEEPING = frozenset({"provider_chat_link", "provider_conversation", "provider_seen_update",
                              "provider_notification"})


async def fingerprint(sessions, skip: frozenset[str] = frozenset()) -> dict[str, str]:
    """A hash of every row of every table (but `skip`), to compare before and after a refusal."""
    found = {}
    async with sessions() as session:
        connection = await session.connection()
        for name, table in sorted(SQLModel.metadata.tables.items()):
            if name in skip:
                continue
            order = [column for column in table.primary_key.columns] or list(table.columns)
            rows = (await connection.execute(table.select().order_by(*order))).all()
            found[name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return found


async def table_exists(sessions, name: str) -> bool:
    async with sessions() as session:
        try:
            await (await session.connection()).execute(text(f"SELECT count(*) FROM {name}"))
        except Exception:  # the table is gone: exactly what an injection would do
            return False
    return True


def browser(app, host: str = "tono.test") -> httpx.AsyncClient:
    """A browser: keeps cookies, follows no redirects, talks to the app in process."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("192.0.2.66", 50000)),
                             base_url=f"http://{host}")


def tono_app(seeded_url: str, tmp_path):
    """The whole of Tono as `tono run` serves it: web chat, both desks (without the background loops)."""
    return make_app(seeded_url, tmp_path / "keys")


async def officer_token(app, unit: str = "evaluation") -> str:
    async with app.state.sessions.begin() as session:
        officer = (await session.exec(select(Officer).where(Officer.unit_id == unit))).first()
        return await agency_store.create_token(session, officer, "hostile-input tests")


@dataclass
class Desk:
    """One desk as the rows use it: a signed-in browser with its form token, a stranger's browser, an API token."""

    side: str
    client: httpx.AsyncClient
    anonymous: httpx.AsyncClient
    csrf: str
    bearer: dict[str, str]


LOGINS = {"provider": ("kaimahi", "demo-kaimahi-2026"), "agency": ("officer-evaluation", "demo-evaluation-2026")}
CSRF_IN_PAGE = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_in(page: httpx.Response) -> str:
    found = CSRF_IN_PAGE.search(page.text)
    assert found, f"no CSRF field in the page ({page.status_code}):\n{page.text[:2000]}"
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, side: str) -> str:
    """Sign in through the desk's login form, as a person would; returns the session's form token."""
    login, password = LOGINS[side]
    page = await client.get(f"/{side}/login", headers=HTML)
    signed = await client.post(f"/{side}/login", headers=HTML,
                               data={"login": login, "password": password, "csrf": csrf_in(page)})
    assert signed.status_code == 303, signed.text
    return csrf_in(await client.get(f"/{side}/", headers=HTML))


async def signed_in_desks(app, stack) -> dict[str, Desk]:
    desks = {}
    for side in ("provider", "agency"):
        client, anonymous = browser(app), browser(app)
        stack.push_async_callback(client.aclose)
        stack.push_async_callback(anonymous.aclose)
        token = await staff_token(app) if side == "provider" else await officer_token(app)
        desks[side] = Desk(side, client, anonymous, await sign_in(client, side), {"Authorization": f"Bearer {token}"})
    return desks
