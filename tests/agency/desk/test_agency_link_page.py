"""The link page on the agency's desk: the same page as the provider's (deskkit/link_page.py), for the agency's
end of the linked queue."""

from __future__ import annotations

from tests.agency.desk.agency_world import HTML


async def test_an_officer_sees_the_link_from_the_agencys_side(reporting):
    client, _csrf = reporting

    page = await client.get("/agency/link", headers=HTML)

    assert page.status_code == 200
    assert "<h1>The link to CCSS</h1>" in page.text
    assert "Both organisations run in this one Tono" in page.text
    assert 'href="/agency/link" aria-current="page"' in page.text


async def test_the_agency_link_page_asks_for_a_sign_in_first(world):
    from tests.agency.desk.agency_world import browser

    async with browser(world.app) as client:
        answer = await client.get("/agency/link", headers=HTML)

    assert answer.status_code == 303 and "/agency/login" in answer.headers["location"]


async def test_officers_are_told_on_their_queue_when_messages_to_the_provider_were_refused(world, reporting):
    from datetime import UTC, datetime

    from sqlalchemy import update

    from linkqueue.tables import QUEUE_TABLES

    outbox = QUEUE_TABLES["agency"].outbox
    async with world.sessions.begin() as session:
        sent = await world.link.agency.send(session, type="records.opened", recipient="ccss", request="BFF-X-1",
                                            body={"unit": "service-reporting", "opened_on": "2026-12-07"})
        await (await session.connection()).execute(update(outbox).where(outbox.c.id == sent.id).values(
            rejected_at=datetime.now(UTC), last_error="The signature does not match."))
    client, _csrf = reporting

    queue = await client.get("/agency/", headers=HTML)

    text = " ".join(queue.text.split())
    assert "1 message to CCSS was refused" in text and 'href="/agency/link"' in text
