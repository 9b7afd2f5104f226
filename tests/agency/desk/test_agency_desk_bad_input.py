"""Bad input at the agency desk, by form and by API: missing, overlong, wrong-type and out-of-order data,
another unit's records, late extensions and transfers, replayed forms, missing CSRF tokens. Each gets one
clear sentence, and the database is exactly as it was."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func
from sqlmodel import select

from agency import answering
from agency.desk import store
from agency.models import AgencyEvent, AgencyRecord, AgencyRequest, InformationUse, Officer, Task
from deskkit.passwords import hash_password
from linkqueue.tables import QUEUE_TABLES
from tests.agency.desk.agency_world import (
    EVALUATION,
    HTML,
    agency_app,
    browser,
    family_asks,
    officer_browser,
    post_form,
    staff_relay,
    what_the_agency_has,
)

LATE = date(2027, 1, 20)  # after the original due date (23 December 2026) and the transfer limit


async def snapshot(world) -> dict:
    """Everything an action could change, except the record of who opened what."""
    async with world.sessions() as session:
        return {
            "tasks": [(t.id, t.state, t.claimed_by, t.due_on, t.answer) for t in
                      await session.exec(select(Task).order_by(Task.id))],
            "requests": [(r.id, r.state, r.due_on) for r in await session.exec(select(AgencyRequest))],
            "events": (await session.exec(select(func.count()).select_from(AgencyEvent).where(
                AgencyEvent.trigger != "opened"))).one(),
            "sent": (await session.exec(select(func.count()).select_from(QUEUE_TABLES["agency"].outbox).where(
                QUEUE_TABLES["agency"].outbox.c.type != "records.opened"))).one(),
            "records": [(r.id, r.body) for r in await session.exec(select(AgencyRecord).order_by(AgencyRecord.id))],
            "outcomes": (await session.exec(select(func.count()).select_from(InformationUse))).one(),
        }


async def claim(world, found, unit: str = "evaluation") -> None:
    async with world.sessions.begin() as session:
        await answering.claim(session, await session.get(Task, found.tasks[unit].id),
                              await session.get(Officer, found.officers[unit].id))


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


async def test_an_answer_to_an_unclaimed_task_is_refused_by_form_and_by_api(world, found, evaluation, tokens):
    client, csrf = evaluation
    task, records = found.tasks["evaluation"], found.records["evaluation"]
    before = await snapshot(world)

    by_form = await post_form(client, f"/agency/tasks/{task.id}/answer", csrf,
                              **{f"decision-{r.id}": "release" for r in records})
    by_api = await client.post(f"/agency/api/tasks/{task.id}/answer", headers=bearer(tokens["evaluation"]),
                               json={"release": [r.id for r in records]})

    assert by_form.status_code == by_api.status_code == 409
    sentence = "An agency officer cannot answer a task that is 'open'; only one that is 'claimed'."
    assert by_api.json() == {"detail": sentence}
    assert sentence.replace("'", "&#39;") in by_form.text
    assert await snapshot(world) == before


async def test_an_answer_to_a_task_another_officer_claimed_is_refused(world, found, tokens):
    async with world.sessions.begin() as session:
        colleague = Officer(login="officer-evaluation-2", display_name="Second evaluation officer",
                            unit_id="evaluation", password_hash=hash_password("not used here"))
        session.add(colleague)
        await session.flush()
        colleague_token = await store.create_token(session, colleague, "colleague")
    await claim(world, found)
    before = await snapshot(world)

    refused = await api(world, "post", f"/agency/api/tasks/{found.tasks['evaluation'].id}/answer", colleague_token,
                        json={"release": [r.id for r in found.records["evaluation"]]})

    assert refused.status_code == 409
    assert refused.json()["detail"] == "Only the officer who claimed this task may answer it; claim it first."
    assert await snapshot(world) == before


R0, R1, THEIRS, SOMEONE = "R0", "R1", "THEIRS", "SOMEONE"  # record ids, filled in by the test
WITHHELD = {"record_id": R1, "ground": "evaluative_material", "explanation": "Given in confidence."}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the checks come before any database work
@pytest.mark.parametrize(("body", "sentence"), [
    ({}, "Release or withhold every record: nothing was chosen for 'Evaluation consent: 4 September 2026'."),
    ({"release": "all"}, "'release' must be a list."),
    ({"release": ["1"]}, "'release.0' must be a whole number."),
    ({"release": [0]}, "'release.0' must be 1 or more."),
    ({"release": [2**40]}, "'release.0' is too large to be an id."),
    ({"release": [R0], "withhold": [{**WITHHELD, "ground": "because"}]}, "'withhold.0.ground' must be one of:"),
    ({"release": [R0], "withhold": [{**WITHHELD, "ground": "does_not_exist"}]}, "'withhold.0.ground' must be one of:"),
    ({"release": [R0], "withhold": [{"record_id": R1, "ground": "safety"}]}, "'withhold.0.explanation' is missing."),
    ({"release": [R0], "withhold": [{**WITHHELD, "explanation": "  "}]}, "'withhold.0.explanation' is empty."),
    ({"release": [R0], "withhold": [{**WITHHELD, "explanation": "x" * 5001}]},
     "'withhold.0.explanation' is too long: at most 5000 characters."),
    ({"release": [R0, R1], "not_held": ["x"] * 1001}, "'not_held' is too long: at most 1000 entries."),
    ({"release": [R0, R1], "released": []}, "'released' is not a field this takes."),
    ({"release": [R0, R0, R1]}, "Choose one thing to do with 'Evaluation consent: 4 September 2026'"),
    ({"release": [R0], "withhold": [{**WITHHELD, "record_id": R0}]}, "Choose one thing to do with"),
    ({"release": [R0, R1, THEIRS]}, "is not one of your unit's records about this person."),
    ({"release": [R0, R1, SOMEONE]}, "is not one of your unit's records about this person."),
    ({"release": [R0], "corrected": [{"record_id": R1, "new_text": "Better."}]},
     "This is an access request: release or withhold records"),
    ([1, 2], "The request body must be an object."),
])
async def test_a_wrong_answer_by_api_gets_one_sentence_and_changes_nothing(world, found, tokens, body, sentence):
    await claim(world, found)
    async with world.sessions() as session:
        someone_else = (await session.exec(select(AgencyRecord.id).where(
            AgencyRecord.unit_id == "evaluation", AgencyRecord.participant_id == "BFF-P-1004"))).first()
    ids = {R0: found.records["evaluation"][0].id, R1: found.records["evaluation"][1].id,
           THEIRS: found.records["service-reporting"][0].id, SOMEONE: someone_else}
    before = await snapshot(world)

    refused = await api(world, "post", f"/agency/api/tasks/{found.tasks['evaluation'].id}/answer",
                        tokens["evaluation"], json=_fill(body, ids))

    assert refused.status_code == 422, refused.text
    assert sentence in refused.json()["detail"]
    assert await snapshot(world) == before


def _fill(value, ids):
    if isinstance(value, str):
        return ids.get(value, value)
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


async def api(world, method: str, path: str, token: str, headers: dict | None = None, **kwargs):
    async with browser(world.app) as client:
        return await client.request(method, path, headers={**bearer(token), **(headers or {})}, **kwargs)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the checks come before any database work
@pytest.mark.parametrize(("fields", "sentence"), [
    ({"decision-R0": "release"}, "Release or withhold every record: nothing was chosen for 'Evaluator interview"),
    ({"decision-R0": "release", "decision-R1": "publish"}, "Choose release or withhold for 'Evaluator interview"),
    ({"decision-R0": "release", "decision-R1": "withhold", "explanation-R1": "Private."},
     "Choose the ground for withholding 'Evaluator interview notes'."),
    ({"decision-R0": "release", "decision-R1": "withhold", "ground-R1": "because", "explanation-R1": "Private."},
     "The ground for withholding 'Evaluator interview notes' must be one of:"),
    ({"decision-R0": "release", "decision-R1": "withhold", "ground-R1": "safety", "explanation-R1": "x" * 5001},
     "The explanation for withholding 'Evaluator interview notes' is too long: at most 5000 characters."),
    ({"decision-R0": "release", "decision-R1": "withhold", "ground-R1": "safety"},
     "The explanation for withholding 'Evaluator interview notes' is empty."),
    ({"decision-R0": "release", "decision-R1": "release", "decision-THEIRS": "release"},
     "is not one of your unit&#39;s records about this person."),
    ({"decision-R0": "release", "decision-R1": "release", "note": "n" * 5001},
     "The note is too long: at most 5000 characters."),
])
async def test_a_wrong_answer_form_is_shown_again_with_one_sentence_and_what_was_typed(world, found, evaluation,
                                                                                         fields, sentence):
    client, csrf = evaluation
    await claim(world, found)
    ids = {"R0": found.records["evaluation"][0].id, "R1": found.records["evaluation"][1].id,
           "THEIRS": found.records["service-reporting"][0].id}
    form = {}
    for key, value in fields.items():
        name, _, which = key.partition("-")
        form[f"{name}-{ids[which]}" if which else name] = value
    before = await snapshot(world)

    refused = await post_form(client, f"/agency/tasks/{found.tasks['evaluation'].id}/answer", csrf, **form)

    assert refused.status_code == 422
    assert sentence.replace("'", "&#39;") in refused.text or sentence in refused.text
    assert 'role="alert"' in refused.text
    for value in form.values():
        if value not in ("release", "withhold", "publish", "because", "safety"):
            assert value in refused.text  # what the officer typed is still there
    assert await snapshot(world) == before


@pytest.fixture
async def late_world(seeded_url, tmp_path):
    """The agency received Aroha's request on 25 November 2026, and the desk's today is 20 January 2027."""
    made = agency_app(seeded_url, tmp_path, desk_today=LATE)
    await family_asks(made)
    await staff_relay(made)
    yield made
    await made.engine.dispose()


async def test_an_extension_after_the_original_due_date_is_refused_with_the_lifecycles_sentence(late_world):
    found = await what_the_agency_has(late_world)
    client, csrf = await officer_browser(late_world.app, EVALUATION)
    task = found.tasks["evaluation"]
    before = await snapshot(late_world)

    by_form = await post_form(client, f"/agency/tasks/{task.id}/extend", csrf, ground="complexity",
                              new_due="2027-02-17", reasons="The records are complex.")
    async with late_world.sessions.begin() as session:
        token = await store.create_token(session, found.officers["evaluation"], "case system")
    by_api = await api(late_world, "post", f"/agency/api/tasks/{task.id}/extend", token,
                       json={"ground": "complexity", "new_due": "2027-02-17", "reasons": "Complex."})
    page = await client.get(f"/agency/tasks/{task.id}", headers=HTML)
    await client.aclose()

    sentence = ("Notice of an extension had to be given by Wednesday 23 December 2026, within the original "
                "20 working days, but it was given on Wednesday 20 January 2027.")
    assert (by_form.status_code, by_api.status_code) == (409, 409)
    assert by_api.json() == {"detail": sentence}
    assert sentence in by_form.text
    assert '<span class="tag overdue">Overdue</span>' in page.text
    assert await snapshot(late_world) == before


async def test_a_transfer_after_ten_working_days_is_refused(late_world):
    found = await what_the_agency_has(late_world)
    client, csrf = await officer_browser(late_world.app, EVALUATION)
    before = await snapshot(late_world)

    refused = await post_form(client, f"/agency/tasks/{found.tasks['evaluation'].id}/transfer", csrf,
                              to_agency="Ministry of Education", reason="They hold the school records.")
    await client.aclose()

    assert refused.status_code == 409
    assert ("A request can be transferred only within 10 working days of its receipt, from 2026-11-25 to "
            "2026-12-09; 2027-01-20 is outside that.") in refused.text
    assert await snapshot(late_world) == before


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the checks come before any database work
@pytest.mark.parametrize(("path", "fields", "sentence"), [
    ("extend", {"ground": "because", "new_due": "2027-01-20", "reasons": "R"}, "The ground for the extension must be"),
    ("extend", {"ground": "complexity", "new_due": "next week", "reasons": "R"},
     "The new due date must be a date written as YYYY-MM-DD."),
    ("extend", {"ground": "complexity", "new_due": "2027-01-20"}, "The reasons for the extension is missing."),
    ("extend", {"ground": "complexity", "new_due": "2026-12-01", "reasons": "R"},
     "An extended due date must be after the original due date"),
    ("extend", {"ground": "complexity", "new_due": "2027-01-09", "reasons": "R"},
     "An extended due date must be a working day"),
    ("clarify", {"question": ""}, "The question for the family is empty."),
    ("clarify", {"question": "q" * 5001}, "The question for the family is too long: at most 5000 characters."),
    ("transfer", {"to_agency": "a" * 201, "reason": "R"}, "The other agency is too long: at most 200 characters."),
    ("transfer", {"to_agency": "Ministry of Education"}, "The reason for the transfer is missing."),
])
async def test_wrong_request_moves_are_refused_with_one_sentence_and_change_nothing(world, found, evaluation, path,
                                                                                     fields, sentence):
    client, csrf = evaluation
    before = await snapshot(world)

    refused = await post_form(client, f"/agency/tasks/{found.tasks['evaluation'].id}/{path}", csrf, **fields)

    assert refused.status_code in (409, 422)
    assert sentence in refused.text.replace("&#39;", "'")
    assert await snapshot(world) == before


async def test_a_replayed_form_is_refused_the_second_time(world, found, evaluation):
    client, csrf = evaluation
    task, records = found.tasks["evaluation"], found.records["evaluation"]
    answer = {f"decision-{r.id}": "release" for r in records}
    outcome = {"kind": "advice", "about": "everyone", "report": found.reports["evaluation"][0], "wording": "template",
               "template": "advice-to-leaders"}

    first_claim = await post_form(client, f"/agency/tasks/{task.id}/claim", csrf)
    second_claim = await post_form(client, f"/agency/tasks/{task.id}/claim", csrf)
    first_answer = await post_form(client, f"/agency/tasks/{task.id}/answer", csrf, **answer)
    after_answer = await snapshot(world)
    second_answer = await post_form(client, f"/agency/tasks/{task.id}/answer", csrf, **answer)
    first_outcome = await post_form(client, "/agency/outcomes", csrf, **outcome)
    second_outcome = await post_form(client, "/agency/outcomes", csrf, **outcome)

    assert [first_claim.status_code, first_answer.status_code, first_outcome.status_code] == [303, 303, 303]
    assert [second_claim.status_code, second_answer.status_code, second_outcome.status_code] == [409, 409, 409]
    assert "cannot claim a task that is &#39;claimed&#39;" in second_claim.text
    assert "cannot answer a task that is &#39;answered&#39;" in second_answer.text
    assert "This outcome was already recorded today" in second_outcome.text
    assert {**await snapshot(world), "outcomes": 0, "sent": 0} == {**after_answer, "outcomes": 0, "sent": 0}
    assert (await snapshot(world))["outcomes"] == after_answer["outcomes"] + 1


@pytest.mark.parametrize("csrf_given", [None, "", "forged-token-value"])
async def test_a_form_without_this_sessions_csrf_token_is_refused_with_403(world, found, evaluation, csrf_given):
    client, _csrf = evaluation
    before = await snapshot(world)
    data = {} if csrf_given is None else {"csrf": csrf_given}

    claim_ = await client.post(f"/agency/tasks/{found.tasks['evaluation'].id}/claim", headers=HTML, data=data)
    outcome = await client.post("/agency/outcomes", headers=HTML,
                                data={**data, "kind": "report", "about": "programme", "summary": "S"})
    token = await client.post("/agency/tokens", headers=HTML, data={**data, "label": "L"})

    assert [claim_.status_code, outcome.status_code, token.status_code] == [403, 403, 403]
    assert "did not come with a valid security token" in claim_.text
    assert await snapshot(world) == before
    async with world.sessions() as session:
        assert await store.own_tokens(session, found.officers["evaluation"]) == []


WRITTEN = {"wording": "written", "summary_en_adult": "The plan changed.", "summary_en_child": "We changed the plan.",
           "summary_mi_adult": "I panonihia te mahere.", "summary_mi_child": "I panonihia te mahere."}
OWN = "{own}"  # a report the evaluation unit received (the consent forms, which name people)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # one database is enough: the checks come first
@pytest.mark.parametrize(("fields", "sentence"), [
    ({"kind": "rumour", "report": OWN, **WRITTEN}, "The kind of outcome must be one of"),
    ({"report": OWN, **WRITTEN}, "The kind of outcome is missing."),
    ({"kind": "decision", "report": OWN, "about": "participant", "participant_id": "Aroha Parata", **WRITTEN},
     "The participant id must be a participant id such as BFF-P-1001."),
    ({"kind": "decision", "report": OWN, "about": "participant", "participant_id": "BFF-P-9999", **WRITTEN},
     "None of the named reports carried BFF-P-9999 by name"),
    ({"kind": "decision", **WRITTEN}, "Tick at least one report your unit received that informed this outcome."),
    ({"kind": "decision", "report": "RPT-attendance-1999-01", **WRITTEN},
     "Your unit has not received a report RPT-attendance-1999-01"),
    ({"kind": "decision", "report": "{other}", **WRITTEN}, "went to another unit, not yours"),
    ({"kind": "decision", "report": OWN, "wording": "template", "template": ""},
     "Choose a template, or choose to write the summary in four versions."),
    ({"kind": "decision", "report": OWN, "wording": "template", "template": "made-up"},
     "There is no template called &#39;made-up&#39;"),
    ({"kind": "advice", "report": OWN, "wording": "template", "template": "evaluation-changed-programme"},
     "The template evaluation-changed-programme describes a decision, not advice"),
    ({"kind": "decision", "report": OWN, **WRITTEN, "summary_mi_child": " "},
     "The summary in te reo Māori, for a young person is empty."),
    ({"kind": "decision", "report": OWN, **WRITTEN, "summary_en_adult": "s" * 5001},
     "The summary in English, for a parent or caregiver is too long"),
])
async def test_a_wrong_outcome_is_refused_and_not_recorded(world, found, evaluation, fields, sentence):
    client, csrf = evaluation
    refs = {"{own}": found.reports["evaluation"][0], "{other}": found.reports["service-reporting"][0]}
    fields = {k: refs.get(v, v) for k, v in fields.items()}
    before = await snapshot(world)

    refused = await post_form(client, "/agency/outcomes", csrf, **fields)

    assert refused.status_code == 422
    assert sentence in refused.text
    assert await snapshot(world) == before


async def test_api_calls_with_a_body_that_is_not_json_or_not_a_date_get_one_sentence(world, found, tokens):
    task = found.tasks["evaluation"].id

    not_json = await api(world, "post", f"/agency/api/tasks/{task}/clarify", tokens["evaluation"],
                         content=b"{question: why}", headers={"content-type": "application/json"})
    no_body = await api(world, "post", f"/agency/api/tasks/{task}/clarify", tokens["evaluation"])
    not_a_date = await api(world, "post", f"/agency/api/tasks/{task}/extend", tokens["evaluation"],
                           json={"ground": "complexity", "new_due": "soon", "reasons": "R"})
    bad_page = await api(world, "get", "/agency/api/tasks?page=0", tokens["evaluation"])

    assert [r.status_code for r in (not_json, no_body, not_a_date, bad_page)] == [422] * 4
    assert not_json.json() == {"detail": "The request body is not valid JSON."}
    assert no_body.json() == {"detail": "The request body is missing."}
    assert not_a_date.json() == {"detail": "'new_due' must be a date written as YYYY-MM-DD."}
    assert bad_page.json() == {"detail": "'page' must be 1 or more."}


async def test_a_token_needs_a_name_and_an_officer_may_keep_only_ten(world, evaluation):
    client, csrf = evaluation

    unnamed = await post_form(client, "/agency/tokens", csrf, label="  ")
    made = [await post_form(client, "/agency/tokens", csrf, label=f"system {n}") for n in range(store.MOST_TOKENS)]
    one_too_many = await post_form(client, "/agency/tokens", csrf, label="one more")

    assert unnamed.status_code == 422
    assert "Name the token" in unnamed.text
    assert {r.status_code for r in made} == {201}
    assert one_too_many.status_code == 409
    assert "Revoke one you no longer use" in one_too_many.text
