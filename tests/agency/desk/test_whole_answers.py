"""Answers that are the whole answer, from the officer's desk to the family's explanation: a unit that will neither
confirm nor deny (s 47) says so on a small form of its own, and the family reads why, never a count of records;
a unit asked to correct information it does not hold says "not ours" in one press, and the family is told that
unit had nothing to change, never "Records about you: 0"."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.copies.explain import explanation
from bot.copies.items import answer_items
from bot.language.i18n import say
from bot.models import Request, UnitAnswer
from tests.agency.desk.agency_world import (
    EVALUATION,
    HTML,
    agency_app,
    family_asks,
    officer_browser,
    post_form,
    staff_relay,
    unit_adds_own_record,
    what_the_agency_has,
)
from tests.bot.chat_driver import TODAY

NCND = "neither_confirm_nor_deny"


async def _claimed_page(client, csrf, task) -> str:
    claimed = await post_form(client, f"/agency/tasks/{task.id}/claim", csrf)
    return (await client.get(claimed.headers["location"], headers=HTML)).text


async def _explained(world, language: str = "en", register: str = "adult") -> tuple[dict, str]:
    """Each unit's answer at the provider, and the explanation the family reads with the copies."""
    await world.link.settle()
    async with world.sessions() as session:
        request = (await session.exec(select(Request).order_by(Request.id.desc()))).first()
        answers = {a.unit: a.body for a in await session.exec(select(UnitAnswer).where(
            UnitAnswer.request_id == request.id))}
        items = await answer_items(session, request)
    said = explanation(world.agreement, request.ref, items, language, register, TODAY, request.kind)
    return answers, "\n".join(say(text, language, register) for text in said)


async def test_a_unit_neither_confirms_nor_denies_on_its_own_form_and_the_family_reads_why_not_a_count(
        world, found, evaluation):
    client, csrf = evaluation
    page = await _claimed_page(client, csrf, found.tasks["evaluation"])

    sent = await post_form(client, f"/agency/tasks/{found.tasks['evaluation'].id}/answer", csrf,
                           whole=NCND, ncnd_ground="safety", ncnd_explanation="")
    answers, told = await _explained(world)
    _, told_child_mi = await _explained(world, "mi", "child")

    assert "Neither confirm nor deny (s 47)" in page
    assert 'value="safety"' in page and 'value="another_persons_affairs"' not in page.split("ncnd_ground")[1][:3000]
    assert sent.status_code == 303, sent.text
    assert answers["evaluation"][NCND] == {"ground": "safety"}
    assert answers["evaluation"]["released"] == [] and answers["evaluation"]["not_held"] == []
    unit = world.agreement.unit("evaluation").name.en.adult
    assert f"<b>{unit}</b> will not say whether it holds information about you" in told
    assert "s 47 and s 49(1)(a)(i)" in told
    assert f"Records about you at <b>{unit}</b>" not in told
    assert "Kāore <b>" in told_child_mi and "s 47 me s 49(1)(a)(i)" in told_child_mi


@pytest.mark.parametrize(("given", "sentence"), [
    ({NCND: {"ground": "safety"}, "release": [0]}, "is the whole answer"),
    ({NCND: {"ground": "another_persons_affairs"}}, "must be one of"),
    ({"not_ours": True}, "Not ours answers a correction request"),
    ({NCND: {"ground": "safety"}, "not_held": ["Nothing else."]}, "is the whole answer"),
])
async def test_a_whole_answer_with_anything_beside_it_or_on_the_wrong_request_is_refused_with_a_sentence(
        world, found, tokens, given, sentence):
    import httpx

    task = found.tasks["evaluation"]
    if given.get("release") == [0]:
        given = {**given, "release": [found.records["evaluation"][0].id]}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=world.app), base_url="http://tono.test") as api:
        headers = {"Authorization": f"Bearer {tokens['evaluation']}"}
        await api.post(f"/agency/api/tasks/{task.id}/claim", headers=headers)
        refused = await api.post(f"/agency/api/tasks/{task.id}/answer", headers=headers, json=given)

    assert refused.status_code == 422, refused.text
    assert sentence in refused.text
    async with world.sessions() as session:
        assert (await session.exec(select(UnitAnswer))).first() is None  # nothing was sent


@pytest.fixture
async def correction(seeded_url, tmp_path):
    """Aroha asks for a correction; both units get a task, though the information is one unit's at most."""
    made = agency_app(seeded_url, tmp_path)
    await unit_adds_own_record(made, "evaluation")
    await family_asks(made, kind="correction")
    await staff_relay(made)
    yield made
    await made.engine.dispose()


async def test_a_unit_that_does_not_hold_what_the_family_asks_to_correct_says_not_ours_in_one_press(correction):
    world = correction
    found = await what_the_agency_has(world)
    client, csrf = await officer_browser(world.app, EVALUATION)
    try:
        page = await _claimed_page(client, csrf, found.tasks["evaluation"])
        sent = await post_form(client, f"/agency/tasks/{found.tasks['evaluation'].id}/answer", csrf,
                               whole="not_ours")
        refused_ncnd = await post_form(client, f"/agency/tasks/{found.tasks['evaluation'].id}/answer", csrf,
                                       whole=NCND, ncnd_ground="safety")
    finally:
        await client.aclose()
    answers, told = await _explained(world)
    _, told_child = await _explained(world, "en", "child")

    assert "Not ours: my unit does not hold this information" in page
    assert "Neither confirm nor deny (s 47)" not in page  # a correction is corrected or not
    assert sent.status_code == 303, sent.text
    assert refused_ncnd.status_code != 303  # the task is answered: nothing more is sent
    assert answers["evaluation"]["not_ours"] is True
    unit = world.agreement.unit("evaluation").name.en.adult
    assert f"<b>{unit}</b> does not hold the information you asked to correct, so it had nothing to change." in told
    assert "Records about you at" not in told  # a correction counts nothing it was never asked about
    assert "does not have the thing you asked to fix" in told_child
