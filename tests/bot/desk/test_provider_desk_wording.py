"""How the provider desk words what a newcomer stumbled on: the agency's grounds in words with their section
(never a code), dates as the desk writes dates (never ISO), the due date after the agency has answered and
after delivery, what "Too hard" means for a record as released, and when staff should close a request."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from bot.desk.views import day, due_of, timeline
from bot.models import Request, RequestEvent, StudyPart, UnitAnswer
from protocol.clock import nz_today
from protocol.deadlines import working_days_between, working_days_left
from tests.bot.desk.provider_desk_support import (
    HTML,
    answered_by_both_units,
    post_form,
    request_row,
)

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the wording is the same on both

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
WITHHELD_GROUND = "s 53(b): Releasing it would be an unwarranted disclosure of the affairs of another person"
HARD_TEXT = ("Notwithstanding considerable organisational difficulties, participation documentation indicates "
             "substantially consistent attendance throughout the programme's comprehensive intervention period.")
EASY_TEXT = "You came to the group. You liked it. You came most weeks."


def visible(page) -> str:
    """What a reader sees: the page's text without scripts and tags (addresses and form values are not read)."""
    text = re.sub(r"<script.*?</script>", " ", page.text, flags=re.S)
    text = re.sub(r"<textarea[^>]*>", " ", text)  # a textarea's contents are read, so only its tag goes
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())


async def _answered(app, client) -> tuple[str, str]:
    return await answered_by_both_units(app, client)


async def _released_texts(app, ref: str, text: str) -> None:
    """Every released record reads as `text` (the agency's records, as the demo holds them, vary)."""
    async with app.state.sessions.begin() as session:
        request = (await session.exec(select(Request).where(Request.ref == ref))).one()
        for answer in await session.exec(select(UnitAnswer).where(UnitAnswer.request_id == request.id)):
            answer.body = {**answer.body, "released": [{**item, "text": text} for item in answer.body["released"]]}
            session.add(answer)
        for part in await session.exec(select(StudyPart).where(StudyPart.request_id == request.id)):  # and the
            part.answer = {**part.answer, "released": [{**item, "text": text} for item in part.answer["released"]]}
            session.add(part)  # survey answers the evaluators released under the study number


async def _delivered(app, client) -> tuple[str, str]:
    ref, csrf = await _answered(app, client)
    await post_form(client, f"/provider/requests/{ref}/steps/prepare", csrf)
    delivered = await post_form(client, f"/provider/requests/{ref}/steps/deliver", csrf)
    assert delivered.status_code == 303, delivered.text[:1500]
    return ref, csrf


async def _change(app, ref: str, **values) -> None:
    async with app.state.sessions.begin() as session:
        request = (await session.exec(select(Request).where(Request.ref == ref))).one()
        for name, value in values.items():
            setattr(request, name, value)
        session.add(request)


@SQLITE
async def test_the_request_and_prepare_pages_say_grounds_and_dates_in_words_never_as_codes(app, client):
    ref, csrf = await _answered(app, client)
    answered = visible(await client.get(f"/provider/requests/{ref}", headers=HTML))
    await post_form(client, f"/provider/requests/{ref}/steps/prepare", csrf)
    preparing = visible(await client.get(f"/provider/requests/{ref}", headers=HTML))
    prepare = visible(await client.get(f"/provider/requests/{ref}/prepare", headers=HTML))

    async with app.state.sessions() as session:
        request = (await session.exec(select(Request).where(Request.ref == ref))).one()
        bodies = [a.body for a in await session.exec(select(UnitAnswer).where(UnitAnswer.request_id == request.id))]
    record_dates = [item["record_date"] for body in bodies for item in body["released"]]
    for page in (answered, preparing, prepare):
        assert "another_persons_affairs" not in page and "another persons affairs" not in page
        assert ISO_DATE.findall(page) == []
    for page in (answered, preparing):
        assert WITHHELD_GROUND in page
        assert all(day(on) in page for on in record_dates)
    assert all(day(on) in prepare for on in record_dates)  # "written 10 February 2026", and in the child's


def test_the_history_says_an_extensions_ground_with_its_section_and_its_dates_in_words():
    extended = RequestEvent(request_id=1, seq=1, at=datetime(2026, 12, 1, tzinfo=UTC), actor_role="officer",
                            trigger="extend", from_state="received", to_state="received",
                            detail={"ground": "complexity", "received_on": "2026-11-25", "notified_on": "2026-12-01",
                                    "new_due": "2027-02-17", "when": "2026-12-02"})

    access, correction = timeline([extended])[0], timeline([extended], "correction")[0]

    said = dict(access.details)
    assert said["Ground"].startswith("s 48: Processing the request raises issues so complex")
    assert dict(correction.details)["Ground"].startswith("s 65: ")
    assert (said["Received on"], said["New due date"], said["When"]) == ("25 November 2026", "17 February 2027",
                                                                         "2 December 2026")


def test_while_staff_prepare_the_due_date_is_theirs_to_deliver_by_counted_from_today():
    request = Request(ref="BFF-T-1", kind="access", state="preparing", received_on=date(2026, 11, 25),
                      due_on=date(2026, 12, 23))

    early, later = due_of(request, date(2026, 11, 26), 2), due_of(request, date(2026, 12, 14), 2)
    late = due_of(request, date(2026, 12, 28), 2)

    assert early.text == later.text == "Deliver by 23 December 2026"
    assert early.note == f"{working_days_left(date(2026, 12, 23), date(2026, 11, 26))} working days left"
    assert later.note == "7 working days left"
    assert late.overdue and late.note == "Overdue by 5 days"


@SQLITE
async def test_after_delivery_the_request_page_says_when_it_was_delivered_and_whether_in_time(app, client):
    ref, _csrf = await _delivered(app, client)
    request = await request_row(app, ref)
    on_time = visible(await client.get(f"/provider/requests/{ref}", headers=HTML))
    queue = visible(await client.get("/provider/?state=delivered", headers=HTML))
    # The same request, had it been delivered a week after its due date (and made long before).
    made = datetime.combine(request.due_on - timedelta(days=60), datetime.min.time(), UTC)
    late_day = request.due_on + timedelta(days=7)
    await _change(app, ref, created_at=made, delivered_at=datetime.combine(late_day, datetime.min.time(), UTC)
                  + timedelta(hours=1))
    late = visible(await client.get(f"/provider/requests/{ref}", headers=HTML))

    today = nz_today()
    assert f"Delivered on {day(today)}, 0 working days after the request was made" in on_time
    assert f"On time: the due date was {day(request.due_on)}" in on_time
    assert "working days left" not in on_time and "Decision due " + day(request.due_on) not in on_time
    assert f"Delivered on {day(today)}" in queue and "working days left" not in queue
    taken = working_days_between(made.date(), late_day)
    assert f"Delivered on {day(late_day)}, {taken} working days after the request was made" in late
    assert f"Late: 7 days after the due date, {day(request.due_on)}" in late


@SQLITE
async def test_a_record_too_hard_to_read_says_what_that_means_and_that_it_can_still_be_delivered(app, client):
    ref, csrf = await _answered(app, client)
    await post_form(client, f"/provider/requests/{ref}/steps/prepare", csrf)
    await _released_texts(app, ref, EASY_TEXT)
    easy = visible(await client.get(f"/provider/requests/{ref}/prepare", headers=HTML))
    await _released_texts(app, ref, HARD_TEXT)
    hard = visible(await client.get(f"/provider/requests/{ref}/prepare", headers=HTML))

    assert "Too hard" not in easy and "“Too hard” means" not in easy
    assert "Ready to deliver" in hard and "Too hard" in hard
    assert "“Too hard” means this record is harder to read than the plain-language aim for adults" in hard
    assert "you can still deliver it" in hard and "read it with a worker" in hard
    assert "marked “Too hard”: that does not stop delivery" in hard


@SQLITE
async def test_after_delivery_staff_are_told_when_to_close_the_request_by_the_familys_choice(app, client):
    ref, _csrf = await _delivered(app, client)
    not_chosen = visible(await client.get(f"/provider/requests/{ref}", headers=HTML))
    await _change(app, ref, read_together=True)
    together = visible(await client.get(f"/provider/requests/{ref}", headers=HTML))
    await _change(app, ref, read_together=False)
    copies = visible(await client.get(f"/provider/requests/{ref}", headers=HTML))

    for page in (not_chosen, together, copies):
        assert "Close the request" in page and "Tono does not close a request by itself." in page
        assert "the family can still get their copies in the chat" in page
    assert "has not yet chosen" in not_chosen and "close it once they have what they need" in not_chosen
    assert "close it after you have read them together" in together
    assert "took the copies in the chat" in copies
