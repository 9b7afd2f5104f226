"""API tokens end on their own (issue 17, item 9): an officer chooses how long a new token works (90 days
unless they say), the tokens page shows until when, and a token past that is refused like a revoked one."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import select

from agency.models import OfficerToken
from protocol.clock import utcnow
from tests.agency.desk.agency_world import HTML, post_form

TOKEN_IN_PAGE = re.compile(r'value="(tono_agency_[A-Za-z0-9_-]+)"')


async def test_an_officers_token_works_for_the_days_chosen_and_is_refused_once_they_have_passed(world, found,
                                                                                                evaluation):
    client, csrf = evaluation
    made = await post_form(client, "/agency/tokens", csrf, label="Case system", days="30")
    token = TOKEN_IN_PAGE.search(made.text).group(1)
    bearer = {"Authorization": f"Bearer {token}"}
    before = await client.get("/agency/api/tasks", headers=bearer)
    async with world.sessions() as session:
        expires_at = (await session.exec(select(OfficerToken.expires_at))).one()

    async with world.sessions.begin() as session:
        await (await session.connection()).execute(update(OfficerToken).values(
            expires_at=utcnow() - timedelta(seconds=1)))
    after = await client.get("/agency/api/tasks", headers=bearer)
    page = await client.get("/agency/tokens", headers=HTML)

    assert abs(expires_at - (utcnow() + timedelta(days=30))) < timedelta(minutes=5)
    assert "Works until" in made.text and '<option value="90" selected>' in made.text
    assert before.status_code == 200
    assert after.status_code == 401
    assert "Expired" in page.text


async def test_a_token_lifetime_the_page_does_not_offer_is_refused_and_nothing_is_made(world, found, evaluation):
    client, csrf = evaluation

    refused = await post_form(client, "/agency/tokens", csrf, label="For ever", days="100000")
    async with world.sessions() as session:
        made = (await session.exec(select(OfficerToken))).all()

    assert refused.status_code == 422
    assert "Choose how long the token works" in refused.text
    assert made == []
