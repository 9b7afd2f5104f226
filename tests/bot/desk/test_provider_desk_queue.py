"""The queue and the request page's contents: overdue requests first and marked in words, pages that never
repeat or skip a request, the families asking to talk to someone, and the agency's answers spelled out."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlmodel import select

from bot.desk.routes_queue import relay_overdue_before
from bot.desk.store import CURSORS
from bot.models import ChatLink, ContactRequest, Request, UnitAnswer
from deskkit.paging import Cursor
from deskkit.problems import DeskProblem
from protocol.clock import NZ, nz_today
from protocol.deadlines import add_working_days
from tests.bot.desk.provider_desk_support import HTML, family_asks, post_form, sign_in, staff_token


async def _received(app, refs_and_due: list[tuple[str, date]]) -> None:
    async with app.state.sessions.begin() as session:
        session.add_all([Request(ref=ref, kind="access", state="received", due_on=due, received_on=due,
                                 units=["evaluation"]) for ref, due in refs_and_due])


async def test_overdue_requests_come_first_and_say_overdue_in_words(app, client):
    today = nz_today()
    await _received(app, [("BFF-T-LATER", today + timedelta(days=30)), ("BFF-T-LATE", today - timedelta(days=3)),
                          ("BFF-T-SOON", today + timedelta(days=2))])
    await sign_in(client)

    page = await client.get("/provider/", headers=HTML)

    order = re.findall(r">(BFF-T-[A-Z]+)<", page.text)
    assert order[:3] == ["BFF-T-LATE", "BFF-T-SOON", "BFF-T-LATER"]
    late_row = page.text[page.text.index(">BFF-T-LATE<"):page.text.index(">BFF-T-SOON<")]
    assert "Overdue by 3 days" in late_row
    assert "1 overdue" in page.text and "<strong>1 overdue.</strong>" in page.text


async def test_a_state_is_paged_by_due_date_without_repeats_or_gaps(app, client):
    today = nz_today()
    await _received(app, [(f"BFF-T-{i:03d}", today + timedelta(days=i % 7)) for i in range(120)])
    async with app.state.sessions.begin() as session:
        session.add_all([Request(ref=f"BFF-U-{i:03d}", kind="access", state="received") for i in range(5)])
    await sign_in(client)

    seen: list[str] = []
    url = "/provider/?state=received"
    while url:
        page = await client.get(url, headers=HTML)
        seen += re.findall(r">(BFF-[TU]-\d{3})<", page.text)
        found = re.search(r'href="(\?state=received&amp;after=[^"]+)"', page.text)
        url = "/provider/" + found.group(1).replace("&amp;", "&") if found else ""

    assert len(seen) == 125 == len(set(seen))
    assert seen[-5:] == [f"BFF-U-{i:03d}" for i in range(5)]  # no due date yet: after the dated ones


async def test_a_request_past_ccss_relay_by_date_is_overdue_on_the_queue(app, client):
    ref = await family_asks(app)
    relay_days = app.state.agreement.service_levels.provider_relays_within_working_days
    long_ago = relay_overdue_before(nz_today(), relay_days) - timedelta(days=3)
    async with app.state.sessions.begin() as session:
        request = (await session.exec(select(Request).where(Request.ref == ref))).one()
        request.created_at = long_ago
        session.add(request)
    await sign_in(client)

    page = await client.get("/provider/", headers=HTML)

    relay_by = add_working_days(long_ago.astimezone(NZ).date(), relay_days)
    assert f"Relay by {relay_by.day}" in page.text and "Overdue by" in page.text


def test_the_relay_overdue_boundary_is_the_first_day_whose_relay_by_date_is_today_or_later():
    today = date(2026, 11, 25)  # a Wednesday

    boundary = relay_overdue_before(today, 2)

    first_on_time = boundary.date()
    assert add_working_days(first_on_time, 2) >= today
    assert add_working_days(first_on_time - timedelta(days=1), 2) < today


def test_page_links_round_trip_and_refuse_anything_else():
    assert CURSORS.parse(CURSORS.text(Cursor(date(2026, 12, 1), 42))) == Cursor(date(2026, 12, 1), 42)
    assert CURSORS.parse(CURSORS.text(Cursor(None, 7))) == Cursor(None, 7)
    assert CURSORS.text(Cursor(date(2026, 12, 1), 42)) == "d.2026-12-01.42" and CURSORS.text(Cursor(None, 7)) == "n.7"
    for broken in ("d.2026-13-40.1", "x.1", "n.-1", "d.2026-12-01", "n.1;DROP"):
        try:
            CURSORS.parse(broken)
        except DeskProblem as refused:
            assert refused.status == 400
            continue
        raise AssertionError(f"{broken!r} was accepted")


async def test_families_asking_to_talk_to_someone_are_listed_until_marked_done(app, client):
    async with app.state.sessions.begin() as session:
        chat = ChatLink(channel="web", chat_key="contact-test")
        session.add(chat)
        await session.flush()
        contact = ContactRequest(chat_link_id=chat.id, note="Please ring me after 3pm")
        session.add(contact)
    csrf = await sign_in(client)

    before = await client.get("/provider/", headers=HTML)
    done = await post_form(client, f"/provider/contacts/{contact.id}/done", csrf)
    after = await client.get("/provider/", headers=HTML)
    again = await post_form(client, f"/provider/contacts/{contact.id}/done", csrf)

    assert "Asking to talk to someone (1)" in before.text and "Please ring me after 3pm" in before.text
    assert done.status_code == 303 and "Marked done." in after.text and "Please ring me" not in after.text
    assert again.status_code == 303  # back to the queue, saying it was already done
    assert "already marked done" in (await client.get("/provider/", headers=HTML)).text


async def test_an_unlinked_chats_request_is_marked_as_such_and_its_web_addresses_are_not_links(app, client):
    async with app.state.sessions.begin() as session:
        chat = ChatLink(channel="web", chat_key="stranger-test")
        session.add(chat)
        await session.flush()
        session.add(ContactRequest(chat_link_id=chat.id, note="Urgent! Log in at https://evil.example/desk now"))
    await sign_in(client)

    page = (await client.get("/provider/", headers=HTML)).text

    assert "Unlinked: anyone could have typed this" in page
    assert "https://evil.example" not in page and "hxxps[:]//evil.example/desk" in page


async def test_the_agencys_answers_show_what_was_released_and_the_ground_for_what_was_withheld(app, client):
    ref = await family_asks(app)
    request = None
    async with app.state.sessions.begin() as session:
        request = (await session.exec(select(Request).where(Request.ref == ref))).one()
        session.add(UnitAnswer(request_id=request.id, unit="service-reporting", body={
            "unit": "service-reporting", "answered_on": "2026-12-01",
            "released": [{"item_id": "r1", "title": "Attendance report, term 1", "text": "Attended 7 of 8.",
                          "record_date": "2026-04-10"}],
            "withheld": [{"item_id": "r2", "title": "Family plan review", "ground": "another_persons_affairs",
                          "explanation": "It is mostly about another family member."}],
            "not_held": [{"description": "No referral records."}]}))
    await sign_in(client)

    page = await client.get(f"/provider/requests/{ref}", headers=HTML)

    assert "Service delivery reporting team" in page.text
    assert "Attendance report, term 1" in page.text and "Attended 7 of 8." in page.text
    assert "s 53(b): Releasing it would be an unwarranted disclosure of the affairs of another person" in page.text
    assert "It is mostly about another family member." in page.text and "No referral records." in page.text


async def test_only_the_steps_the_lifecycle_allows_staff_now_are_offered(app, client):
    ref = await family_asks(app)
    csrf = await sign_in(client)

    submitted = await client.get(f"/provider/requests/{ref}", headers=HTML)
    await post_form(client, f"/provider/requests/{ref}/steps/decline", csrf, reason="We could not reach you.")
    declined = await client.get(f"/provider/requests/{ref}", headers=HTML)

    steps = re.compile(r'action="/provider/requests/[^/]+/steps/(\w+)"')
    assert steps.findall(submitted.text) == ["approve", "decline"]
    assert steps.findall(declined.text) == []
    assert "Declined" in declined.text and "We could not reach you." in declined.text


async def test_prepare_deliver_and_close_follow_an_answered_request(app, client):
    ref = await family_asks(app)
    async with app.state.sessions.begin() as session:
        request = (await session.exec(select(Request).where(Request.ref == ref))).one()
        request.state = "answered"  # as if the agency had answered: the journey tests cover that path
        session.add(request)
    csrf = await sign_in(client)
    bearer = {"Authorization": f"Bearer {await staff_token(app)}"}

    prepared = await post_form(client, f"/provider/requests/{ref}/steps/prepare", csrf)
    delivered = await client.post(f"/provider/api/requests/{ref}/deliver", headers=bearer)
    closed = await client.post(f"/provider/api/requests/{ref}/close", headers=bearer)
    page = await client.get(f"/provider/requests/{ref}", headers=HTML)

    assert prepared.status_code == 303
    assert (delivered.json()["state"], closed.json()["state"]) == ("delivered", "closed")
    assert "Closed" in page.text and "Nothing for staff to do at this step." in page.text


async def test_delivery_is_refused_while_a_version_the_family_reads_is_missing(app, client):
    ref = await family_asks(app)
    async with app.state.sessions.begin() as session:
        request = (await session.exec(select(Request).where(Request.ref == ref))).one()
        chat = await session.get(ChatLink, request.chat_link_id)
        chat.audience = "child"  # the family reads in the child register: staff write those versions
        request.state = "preparing"
        session.add_all([chat, request, UnitAnswer(request_id=request.id, unit="evaluation", body={
            "unit": "evaluation", "answered_on": "2026-12-01", "withheld": [], "not_held": [],
            "released": [{"item_id": "e1", "title": "Evaluation consent form", "text": "Agreed to take part.",
                          "record_date": "2026-02-10"}]})])
    csrf = await sign_in(client)

    refused = await post_form(client, f"/provider/requests/{ref}/steps/deliver", csrf)

    assert refused.status_code == 409
    assert "Write the child version in English of: Evaluation consent form." in refused.text
    async with app.state.sessions() as session:
        assert (await session.exec(select(Request.state).where(Request.ref == ref))).one() == "preparing"


async def test_the_request_page_shows_the_evaluators_answer_under_a_study_number_apart_from_the_named_answers(
        app, client):
    from tests.bot.desk.provider_desk_support import answered_by_both_units

    ref, _csrf = await answered_by_both_units(app, client)

    page = await client.get(f"/provider/requests/{ref}", headers=HTML)

    text = " ".join(page.text.split())
    assert "under a study number (it never learned who asked)" in text
    assert text.count('class="card answer"') == 3  # each named unit's answer, and the evaluators' apart
