"""The officers' part of the journey, through the agency desk's pages, in the whole Tono app: a family asks
in the chat, CCSS relays, both units answer at the desk, and the provider's request comes back answered;
a correction; and a clarification round-trip. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.language.i18n import from_json, say
from bot.models import Notification, Request, UnitAnswer
from protocol.clock import nz_today
from tests.agency.desk.agency_world import (
    EVALUATION,
    HTML,
    REPORTING,
    family_asks,
    family_plan,
    officer_browser,
    outcomes_are_sent,
    post_form,
    staff_relay,
    tono_app,
    what_the_agency_has,
)


@pytest.fixture
async def tono(seeded_url, tmp_path):
    world = tono_app(seeded_url, tmp_path)
    yield world
    await world.engine.dispose()


@pytest.fixture
async def officers(tono):
    signed_in = {"evaluation": await officer_browser(tono.app, EVALUATION),
                 "service-reporting": await officer_browser(tono.app, REPORTING)}
    yield signed_in
    for client, _csrf in signed_in.values():
        await client.aclose()


async def _provider_request(tono) -> tuple[Request, dict]:
    async with tono.sessions() as session:
        request = (await session.exec(select(Request))).one()
        answers = {a.unit: a.body for a in await session.exec(select(UnitAnswer).where(
            UnitAnswer.request_id == request.id))}
    return request, answers


async def test_both_units_answer_at_the_desk_and_the_providers_request_is_answered(tono, officers, tmp_path):
    # the provider's outcomes report brings Aroha's family plan to the service reporting unit
    await outcomes_are_sent(tono.sessions, tono.link, tono.agreement, tmp_path / "keys", nz_today())
    await family_asks(tono)
    await staff_relay(tono, nz_today())
    found = await what_the_agency_has(tono)

    for unit, (client, csrf) in officers.items():
        task, records = found.tasks[unit], found.records[unit]
        queue = await client.get("/agency/", headers=HTML)
        assert queue.status_code == 200 and f"/agency/tasks/{task.id}/claim" in queue.text
        claimed = await post_form(client, f"/agency/tasks/{task.id}/claim", csrf)
        assert claimed.headers["location"] == f"/agency/tasks/{task.id}"
        page = await client.get(claimed.headers["location"], headers=HTML)
        assert "Send the answer" in page.text and all(r.title.replace("'", "&#39;") in page.text for r in records)
        decisions = {f"decision-{r.id}": "release" for r in records}
        if unit == "service-reporting":
            plan = family_plan(records)  # it tells of her sister's own situation
            decisions |= {f"decision-{plan.id}": "withhold", f"ground-{plan.id}": "another_persons_affairs",
                          f"explanation-{plan.id}": "It is mostly about another family member."}
        answered = await post_form(client, f"/agency/tasks/{task.id}/answer", csrf, **decisions)
        assert answered.status_code == 303, answered.text
        after = await client.get(answered.headers["location"], headers=HTML)
        assert "Your unit&#39;s answer has been sent to the provider." in after.text
        assert "Send the answer" not in after.text
    await tono.link.settle()

    request, answers = await _provider_request(tono)
    assert request.state == "answered"
    assert sorted(answers) == ["evaluation", "service-reporting"]
    # the evaluation unit holds her consent form by name; her survey answers, under a study number, never show
    assert [r["title"] for r in answers["evaluation"]["released"]] == ["Evaluation consent: 4 September 2026"]
    assert [(w["title"], w["ground"]) for w in answers["service-reporting"]["withheld"]] == [
        (plan.title, "another_persons_affairs")]
    assert len(answers["service-reporting"]["released"]) == len(found.records["service-reporting"]) - 1
    assert answers["service-reporting"]["withheld"][0]["explanation"] == "It is mostly about another family member."
    async with tono.sessions() as session:
        told = [say(from_json(n.text), "en", "adult") for n in await session.exec(
            select(Notification).order_by(Notification.id))]
    assert "has answered your request" in told[-1]


async def test_a_correction_is_made_at_the_desk_and_reaches_the_provider(tono, officers):
    await family_asks(tono, kind="correction")
    await staff_relay(tono, nz_today())
    found = await what_the_agency_has(tono)

    for unit, (client, csrf) in officers.items():
        task, records = found.tasks[unit], found.records[unit]
        await post_form(client, f"/agency/tasks/{task.id}/claim", csrf)
        if unit == "service-reporting":
            # Her enrolment came in a report: the form offers its fields, and the provider's row follows.
            referred = "school" if records[0].values["referred_by"] != "school" else "health"
            form = {f"decision-{records[0].id}": "correct", f"value-{records[0].id}-referred_by": referred,
                    f"decision-{records[1].id}": "keep"}
        else:
            form = {f"decision-{r.id}": "keep" for r in records} | {"not_held": "No attendance records."}
        answered = await post_form(client, f"/agency/tasks/{task.id}/answer", csrf, **form)
        assert answered.status_code == 303, answered.text
    await tono.link.settle()

    request, answers = await _provider_request(tono)
    assert (request.kind, request.state) == ("correction", "answered")
    (corrected,) = answers["service-reporting"]["corrected"]
    assert {"field": "referred_by", "value": referred} in corrected["values"]
    assert f"Who referred the family: {referred}" in corrected["new_text"]
    assert answers["evaluation"]["not_held"] == [{"description": "No attendance records."}]


async def test_a_clarification_asked_at_the_desk_is_answered_in_the_chat_and_shown_on_the_task(tono, officers):
    chat = await family_asks(tono)
    await staff_relay(tono, nz_today())
    found = await what_the_agency_has(tono)
    client, csrf = officers["evaluation"]
    task = found.tasks["evaluation"]

    asked = await post_form(client, f"/agency/tasks/{task.id}/clarify", csrf, question="Which term do you mean?")
    await tono.link.settle()
    async with tono.sessions() as session:
        assert (await session.exec(select(Request))).one().state == "clarifying"
        notice = (await session.exec(select(Notification).order_by(Notification.id.desc()))).first()
    [[[_label, action]]] = notice.buttons  # rows of buttons
    await chat.press_action(action, screen=0)
    await chat.send("Term 1 this year")
    await tono.link.settle()
    page = await client.get(f"/agency/tasks/{task.id}", headers=HTML)

    assert asked.status_code == 303
    assert action.startswith("clarify:")
    assert "Which term do you mean?" in page.text
    assert "Family's answer</dt><dd>Term 1 this year</dd>" in page.text
    assert "Send the answer" not in page.text  # not claimed yet: the lifecycle offers a claim first
    assert f"/agency/tasks/{task.id}/claim" in page.text


async def test_one_units_clarification_question_and_the_familys_answer_are_not_shown_to_another_unit(tono, officers):
    chat = await family_asks(tono)
    await staff_relay(tono, nz_today())
    found = await what_the_agency_has(tono)
    client, csrf = officers["evaluation"]
    await post_form(client, f"/agency/tasks/{found.tasks['evaluation'].id}/clarify", csrf,
                    question="Which evaluation interview do you mean?")
    await tono.link.settle()
    async with tono.sessions() as session:
        notice = (await session.exec(select(Notification).order_by(Notification.id.desc()))).first()
    [[[_label, action]]] = notice.buttons
    await chat.press_action(action, screen=0)
    await chat.send("The one in October")
    await tono.link.settle()
    other, _csrf = officers["service-reporting"]
    theirs = await other.get(f"/agency/tasks/{found.tasks['service-reporting'].id}", headers=HTML)
    ours = await client.get(f"/agency/tasks/{found.tasks['evaluation'].id}", headers=HTML)

    assert "Which evaluation interview do you mean?" in ours.text and "The one in October" in ours.text
    assert theirs.status_code == 200
    assert "Which evaluation interview do you mean?" not in theirs.text
    assert "The one in October" not in theirs.text
