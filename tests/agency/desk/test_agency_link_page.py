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
