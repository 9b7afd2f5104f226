"""API tokens end on their own (issue 17, item 9): a staff member chooses how long a new token works (90 days
unless they say), the tokens page shows until when, and a token past that is refused like a revoked one."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import select

from bot.models import StaffToken
from protocol.clock import utcnow
from tests.bot.desk.provider_desk_support import HTML, sign_in


async def _make(client, csrf: str, label: str, **extra: str) -> tuple[str, str]:
    made = await client.post("/provider/tokens", headers=HTML, data={"csrf": csrf, "label": label, **extra})
    return made.text.split('<code class="secret">', 1)[1].split("<", 1)[0], made.text


async def test_a_new_staff_token_works_for_ninety_days_unless_chosen_otherwise_and_the_page_says_until_when(
        app, client):
    csrf = await sign_in(client)

    _token, page = await _make(client, csrf, "ninety")
    await _make(client, csrf, "a year", days="365")
    refused = await client.post("/provider/tokens", headers=HTML, data={"csrf": csrf, "label": "for ever",
                                                                        "days": "100000"})
    async with app.state.sessions() as session:
        rows = {t.label: t for t in await session.exec(select(StaffToken))}

    made_at = utcnow()
    assert abs(rows["ninety"].expires_at - (made_at + timedelta(days=90))) < timedelta(minutes=5)
    assert abs(rows["a year"].expires_at - (made_at + timedelta(days=365))) < timedelta(minutes=5)
    assert "for ever" not in rows and refused.status_code == 422
    assert "Works until" in page and '<option value="90" selected>' in page


async def test_a_staff_token_past_its_expiry_is_refused_and_shown_as_expired(app, client):
    csrf = await sign_in(client)
    token, _page = await _make(client, csrf, "short lived")
    bearer = {"Authorization": f"Bearer {token}"}
    before = await client.get("/provider/api/requests", headers=bearer)

    async with app.state.sessions.begin() as session:
        await (await session.connection()).execute(update(StaffToken).where(StaffToken.label == "short lived")
                                                   .values(expires_at=utcnow() - timedelta(seconds=1)))
    after = await client.get("/provider/api/requests", headers=bearer)
    page = await client.get("/provider/tokens", headers=HTML)

    assert before.status_code == 200
    assert after.status_code == 401
    assert "Expired" in page.text
