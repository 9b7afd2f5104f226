"""The link page on the desks: what a staff member sees of the link, and the button that sends refused messages
again. (Two servers, where the page also shows the other server's answer to a signed ping, are in
tests/tono/test_link_status.py.)"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

from linkqueue.tables import QUEUE_TABLES
from tests.bot.desk.provider_desk_support import HTML, post_form, sign_in
from tests.deskkit.desk_app import csrf_in

OUTBOX = QUEUE_TABLES["provider"].outbox
REASON = "The signature does not match: the message was changed after signing, or was not signed with ccss's key."


async def _refused(app) -> str:
    async with app.state.sessions.begin() as session:
        envelope = await app.state.link.provider.send(session, type="request.withdrawn", recipient="agency",
                                                      request="REQ-LINK-1", body={"withdrawn_on": "2026-12-07"})
        await (await session.connection()).execute(update(OUTBOX).where(OUTBOX.c.id == envelope.id).values(
            rejected_at=datetime.now(UTC), last_error=REASON))
    return envelope.id


async def test_the_link_page_asks_for_a_sign_in_first(client):
    answer = await client.get("/provider/link", headers=HTML)

    assert answer.status_code == 303 and "/provider/login" in answer.headers["location"]


async def test_a_quiet_link_says_both_organisations_run_here_and_nothing_is_refused(client):
    await sign_in(client)

    page = await client.get("/provider/link", headers=HTML)

    assert page.status_code == 200
    assert "Both organisations run in this one Tono" in page.text
    assert "Nothing is failing or refused." in page.text
    assert "Send the refused messages again" not in page.text


async def test_a_refused_message_is_shown_with_its_reason_and_the_button_sends_it_again_once(app, client):
    message = await _refused(app)
    await sign_in(client)

    page = await client.get("/provider/link", headers=HTML)
    assert "Refused by " in page.text and "The signature does not match" in page.text
    sent = await post_form(client, "/provider/link/resend", csrf_in(page))
    after = await client.get("/provider/link", headers=HTML)
    again = await post_form(client, "/provider/link/resend", csrf_in(after))
    told_again = await client.get("/provider/link", headers=HTML)

    assert sent.status_code == 303, sent.text
    assert "1 refused message will be sent again, each in its turn." in after.text
    assert "Refused by " not in after.text  # it waits to go now, in its turn
    assert again.status_code == 303 and "Nothing was refused by" in told_again.text
    async with app.state.sessions() as session:
        row = (await (await session.connection()).execute(select(OUTBOX).where(OUTBOX.c.id == message))).one()
    assert (row.rejected_at, row.delivered_at) == (None, None)


async def test_sending_again_without_the_forms_token_is_refused(app, client):
    await _refused(app)
    await sign_in(client)

    answer = await client.post("/provider/link/resend", headers=HTML, data={})

    assert answer.status_code == 403
    page = await client.get("/provider/link", headers=HTML)
    assert "The signature does not match" in page.text


async def test_staff_are_told_on_the_queue_and_the_request_page_says_what_happened_to_its_message(app, client):
    from tests.bot.desk.provider_desk_support import family_asks

    ref = await family_asks(app)
    async with app.state.sessions.begin() as session:
        envelope = await app.state.link.provider.send(session, type="request.withdrawn", recipient="agency",
                                                      request=ref, body={"withdrawn_on": "2026-12-07"})
        await (await session.connection()).execute(update(OUTBOX).where(OUTBOX.c.id == envelope.id).values(
            rejected_at=datetime.now(UTC), last_error=REASON))
    await sign_in(client)

    queue = await client.get("/provider/", headers=HTML)
    request_page = await client.get(f"/provider/requests/{ref}", headers=HTML)
    other = await client.get(f"/provider/requests/{await family_asks(app, key='grace')}", headers=HTML)

    assert "1 message to" in queue.text and "was refused</strong>" in queue.text
    assert "refused this request's “request.withdrawn” message" in request_page.text
    assert "The signature does not match" in request_page.text
    assert 'href="/provider/link"' in request_page.text
    assert "refused this request" not in other.text  # only the request whose message it was


async def test_a_message_from_the_agency_that_could_not_be_applied_is_shown_on_its_requests_page(app, client):
    from tests.bot.desk.provider_desk_support import family_asks

    ref = await family_asks(app)
    inbox = QUEUE_TABLES["provider"].inbox
    why = "evaluation answered request again, differently from its answer of 2026-12-01"
    async with app.state.sessions.begin() as session:
        await (await session.connection()).execute(inbox.insert().values(
            id="m-unapplied-1", sender="agency", stream=ref, sequence=1, type="unit.answered", envelope="{}",
            received_at=datetime.now(UTC), attempts=5, last_error=why))
    await sign_in(client)

    request_page = await client.get(f"/provider/requests/{ref}", headers=HTML)

    assert "message about this request could not be applied here" in request_page.text
    assert "“unit.answered”" in request_page.text and why in request_page.text
