"""The staff journey through HTTP, on SQLite and PostgreSQL: a family asks in the chat, staff sign in,
open the request, approve it (ID seen) and relay it; the agency acknowledges across the linked queue and
the request page shows it received, with the agency's due date."""

from __future__ import annotations

from sqlmodel import select

from bot.desk.views import day, long_day
from bot.models import Notification, RequestEvent
from protocol.clock import nz_today
from protocol.deadlines import decision_due
from protocol.history import fields_of, first_broken
from tests.bot.desk.provider_desk_support import HTML, family_asks, post_form, request_row, sign_in


async def test_staff_approve_and_relay_a_chat_request_and_see_it_received_with_the_agencys_due_date(app, client):
    ref = await family_asks(app)
    csrf = await sign_in(client)

    queue = await client.get("/provider/", headers=HTML)
    opened = await client.get(f"/provider/requests/{ref}", headers=HTML)
    approved = await post_form(client, f"/provider/requests/{ref}/steps/approve", csrf, identity_checked="id_seen")
    after_approval = await client.get(approved.headers["location"], headers=HTML)
    relayed = await post_form(client, f"/provider/requests/{ref}/steps/relay", csrf)
    await app.state.link.settle()
    received = await client.get(f"/provider/requests/{ref}", headers=HTML)

    assert ref in queue.text and "To check" in queue.text
    assert opened.status_code == 200 and "Aroha Parata" in opened.text
    assert 'value="id_seen"' in opened.text and "Relay to the agency" not in opened.text
    assert approved.status_code == 303 and "identity and authority checked by: ID seen" in after_approval.text
    assert "Relay to the agency" in after_approval.text
    assert relayed.status_code == 303
    due = decision_due(nz_today())
    request = await request_row(app, ref)
    assert (request.state, request.identity_checked, request.due_on) == ("received", "id_seen", due)
    assert "Received by the agency" in received.text
    assert f"Decision due {day(due)}" in received.text and long_day(due) in received.text


async def test_the_history_records_the_opening_and_each_step_in_one_unbroken_chain(app, client):
    ref = await family_asks(app)
    csrf = await sign_in(client)
    await client.get(f"/provider/requests/{ref}", headers=HTML)
    await post_form(client, f"/provider/requests/{ref}/steps/approve", csrf, identity_checked="known_in_person")
    await post_form(client, f"/provider/requests/{ref}/steps/relay", csrf)
    await app.state.link.settle()

    request = await request_row(app, ref)
    async with app.state.sessions() as session:
        events = list(await session.exec(select(RequestEvent).where(RequestEvent.request_id == request.id)
                                         .order_by(RequestEvent.seq)))
        told = list(await session.exec(select(Notification).where(Notification.request_id == request.id)))

    assert [e.trigger for e in events] == ["submit", "opened", "approve", "relay", "acknowledge"]
    opened = events[1]
    assert (opened.actor_role, opened.from_state, opened.to_state) == ("staff", "submitted", "submitted")
    assert opened.detail == {"what": "request page"}
    assert first_broken([(e.prev_hash, e.hash, fields_of(e)) for e in events]) is None
    assert len(told) == 3  # checked, relayed, received: the family hears of each step
