"""Bad input at the provider desk: missing, overlong and wrong-type fields, steps out of order, unknown
references, replayed forms and missing CSRF tokens each get one clear sentence, and nothing changes."""

from __future__ import annotations

from sqlmodel import func, select

from bot.models import Person, Request, RequestEvent
from tests.bot.desk.provider_desk_support import HTML, family_asks, post_form, request_row, sign_in, staff_token


async def _events(app, ref: str) -> list[str]:
    request = await request_row(app, ref)
    async with app.state.sessions() as session:
        rows = await session.exec(select(RequestEvent.trigger).where(RequestEvent.request_id == request.id)
                                  .order_by(RequestEvent.seq))
        return list(rows)


async def _people(app) -> int:
    async with app.state.sessions() as session:
        return (await session.exec(select(func.count()).select_from(Person))).one()


async def test_approving_without_saying_how_identity_was_checked_is_refused_and_changes_nothing(app, client):
    ref = await family_asks(app)
    csrf = await sign_in(client)

    missing = await post_form(client, f"/provider/requests/{ref}/steps/approve", csrf)
    wrong = await post_form(client, f"/provider/requests/{ref}/steps/approve", csrf, identity_checked="a hunch")

    assert missing.status_code == 422
    assert "How identity and authority were checked is missing: fill it in." in missing.text
    assert wrong.status_code == 422
    assert "must be one of: known_in_person, id_seen, phone_call" in wrong.text
    assert (await request_row(app, ref)).state == "submitted"


async def test_an_overlong_reason_to_decline_is_refused_and_kept_in_the_form(app, client):
    ref = await family_asks(app)
    csrf = await sign_in(client)
    reason = "Ka aroha, " + "x" * 1000

    refused = await post_form(client, f"/provider/requests/{ref}/steps/decline", csrf, reason=reason)

    assert refused.status_code == 422
    assert "The reason is too long: at most 1000 characters." in refused.text
    assert reason in refused.text and "<details open>" in refused.text
    assert (await request_row(app, ref)).state == "submitted"


async def test_approving_a_relayed_request_gets_the_lifecycles_sentence(app, client):
    ref = await family_asks(app)
    csrf = await sign_in(client)
    await post_form(client, f"/provider/requests/{ref}/steps/approve", csrf, identity_checked="id_seen")
    await post_form(client, f"/provider/requests/{ref}/steps/relay", csrf)
    token = await staff_token(app)
    before = await _events(app, ref)

    page = await post_form(client, f"/provider/requests/{ref}/steps/approve", csrf, identity_checked="id_seen")
    api = await client.post(f"/provider/api/requests/{ref}/approve", json={"identity_checked": "id_seen"},
                            headers={"Authorization": f"Bearer {token}"})

    sentence = "Staff cannot approve a request that is &#39;relayed&#39;; only one that is &#39;submitted&#39;."
    assert page.status_code == 409 and sentence in page.text
    assert api.status_code == 409
    assert api.json() == {"detail": "Staff cannot approve a request that is 'relayed'; only one that is 'submitted'."}
    assert await _events(app, ref) == before


async def test_a_replayed_approval_says_it_was_already_done_and_changes_nothing(app, client):
    ref = await family_asks(app)
    csrf = await sign_in(client)
    first = await post_form(client, f"/provider/requests/{ref}/steps/approve", csrf, identity_checked="id_seen")
    after_first = await _events(app, ref)

    again = await post_form(client, f"/provider/requests/{ref}/steps/approve", csrf, identity_checked="phone_call")

    assert first.status_code == 303
    assert again.status_code == 409
    assert "This was already done: Demo staff member (CCSS) approved it on" in again.text
    assert "Nothing was changed." in again.text
    assert await _events(app, ref) == after_first
    assert (await request_row(app, ref)).identity_checked == "id_seen"


async def test_a_form_without_its_csrf_token_is_refused_with_403(app, client):
    ref = await family_asks(app)
    await sign_in(client)

    missing = await client.post(f"/provider/requests/{ref}/steps/approve", headers=HTML,
                                data={"identity_checked": "id_seen"})
    forged = await client.post(f"/provider/requests/{ref}/steps/approve", headers=HTML,
                               data={"identity_checked": "id_seen", "csrf": "0" * 64})

    assert (missing.status_code, forged.status_code) == (403, 403)
    assert (await request_row(app, ref)).state == "submitted"


async def test_unknown_references_and_steps_are_404(app, client):
    ref = await family_asks(app)
    csrf = await sign_in(client)
    token = await staff_token(app)

    page = await client.get("/provider/requests/BFF-2026-999999", headers=HTML)
    step = await post_form(client, "/provider/requests/BFF-2026-999999/steps/relay", csrf)
    no_such_step = await post_form(client, f"/provider/requests/{ref}/steps/teleport", csrf)
    person = await client.get("/provider/people/P-9999", headers=HTML)
    api = await client.get("/provider/api/requests/BFF-2026-999999", headers={"Authorization": f"Bearer {token}"})

    assert page.status_code == 404 and "There is no request &#39;BFF-2026-999999&#39;" in page.text
    assert step.status_code == 404
    assert no_such_step.status_code == 404 and "There is no staff step called" in no_such_step.text
    assert person.status_code == 404
    assert api.status_code == 404
    assert api.json() == {"detail": "There is no request 'BFF-2026-999999'. Check the reference and try again."}


async def test_an_id_past_what_a_table_holds_is_not_found_never_a_server_error(app, client):
    csrf = await sign_in(client)
    bearer = {"Authorization": f"Bearer {await staff_token(app)}"}
    huge = 10**30

    authority = await post_form(client, f"/provider/people/P-0001/authorities/{huge}/revoke", csrf)
    token = await post_form(client, f"/provider/tokens/{huge}/revoke", csrf)
    contact = await post_form(client, f"/provider/contacts/{huge}/done", csrf)
    api_authority = await client.post(f"/provider/api/people/P-0001/authorities/{huge}/revoke", headers=bearer)
    api_contact = await client.post(f"/provider/api/contacts/{huge}/done", headers=bearer)

    assert (authority.status_code, token.status_code, contact.status_code) == (404, 404, 404)
    assert f"There is no authority &#39;{huge}&#39;" in authority.text and "You have no such token." in token.text
    assert api_authority.json() == {"detail": f"There is no authority '{huge}'. Check the reference and try again."}
    assert api_contact.status_code == 404


async def test_api_bodies_of_the_wrong_shape_get_one_sentence(app, client):
    ref = await family_asks(app)
    bearer = {"Authorization": f"Bearer {await staff_token(app)}"}
    url = f"/provider/api/requests/{ref}/approve"

    wrong_type = await client.post(url, json={"identity_checked": 5}, headers=bearer)
    no_body = await client.post(url, headers=bearer)
    not_json = await client.post(url, content=b"{nope", headers={**bearer, "Content-Type": "application/json"})
    extra = await client.post(url, json={"identity_checked": "id_seen", "approve_anyway": True}, headers=bearer)
    limit = await client.get("/provider/api/requests?limit=5000", headers=bearer)
    cursor = await client.get("/provider/api/requests?after=DROP%20TABLE", headers=bearer)
    draft = await client.get("/provider/api/requests?state=draft", headers=bearer)

    assert wrong_type.status_code == 422
    assert wrong_type.json()["detail"].startswith("How identity and authority were checked must be one of")
    assert no_body.json() == {"detail": "Send a JSON object with the fields this takes."}
    assert not_json.json() == {"detail": "The body is not valid JSON."}
    assert extra.json() == {"detail": "'approve_anyway' is not something this form or call takes."}
    assert limit.status_code == 422 and limit.json()["detail"].startswith("The page size is out of range")
    assert cursor.status_code == 400 and "page link" in cursor.json()["detail"]
    assert draft.status_code == 422
    assert (await request_row(app, ref)).state == "submitted"


async def test_an_unlinked_request_cannot_be_approved_until_it_is_linked(app, client):
    ref = await family_asks(app, enrolled=False, key="walk-in")
    csrf = await sign_in(client)

    page = await client.get(f"/provider/requests/{ref}", headers=HTML)
    refused = await post_form(client, f"/provider/requests/{ref}/steps/approve", csrf, identity_checked="id_seen")
    no_authority = await post_form(client, f"/provider/requests/{ref}/link", csrf, requester_ref="P-0001",
                                   subject_ref="P-0004")
    nobody = await post_form(client, f"/provider/requests/{ref}/link", csrf, requester_ref="P-0404",
                             subject_ref="P-0404")
    linked = await post_form(client, f"/provider/requests/{ref}/link", csrf, requester_ref="P-0001",
                             subject_ref="P-0003")
    again = await post_form(client, f"/provider/requests/{ref}/link", csrf, requester_ref="P-0001",
                            subject_ref="P-0003")
    approved = await post_form(client, f"/provider/requests/{ref}/steps/approve", csrf, identity_checked="id_seen")

    assert "Link to the people it is from and about" in page.text and "Aroha Parata" in page.text
    assert refused.status_code == 409
    assert "Link this request to the person asking and the person it is about before approving it." in refused.text
    assert no_authority.status_code == 409
    assert "Aroha Parata has no recorded authority to act for Grace Smith" in no_authority.text
    assert nobody.status_code == 422 and "There is no person &#39;P-0404&#39;" in nobody.text
    assert (linked.status_code, again.status_code, approved.status_code) == (303, 409, 303)
    assert "already linked to those people" in again.text
    request = await request_row(app, ref)
    assert (request.state, request.requester_name) == ("approved", "Aroha Parata")
    assert await _events(app, ref) == ["submit", "opened", "linked", "approve"]


async def test_people_forms_refuse_what_does_not_fit_and_add_no_one(app, client):
    csrf = await sign_in(client)
    before = await _people(app)
    good = {"new_family_name": "Ngata whānau", "given_name": "Hine", "family_name": "Ngata"}

    no_family = await post_form(client, "/provider/people", csrf, given_name="Hine", family_name="Ngata")
    two_families = await post_form(client, "/provider/people", csrf, **good, family_ref="F-0001")
    bad_date = await post_form(client, "/provider/people", csrf, **good, birth_date="14/03/1988")
    future = await post_form(client, "/provider/people", csrf, **good, birth_date="2999-01-01")
    long_name = await post_form(client, "/provider/people", csrf, **{**good, "given_name": "H" * 101})
    no_family_ref = await post_form(client, "/provider/people", csrf, given_name="Hine", family_name="Ngata",
                                    family_ref="F-0404")
    taken_id = await post_form(client, "/provider/people", csrf, **good, participant_id="BFF-P-1001")

    for refused in (no_family, two_families, bad_date, future, long_name, no_family_ref):
        assert refused.status_code == 422, refused.text[:500]
        assert "Hine" in refused.text or "H" * 101 in refused.text  # what was typed is still there
    assert "Give either the reference of the person&#39;s family or the name of a new family." in no_family.text
    assert "The date of birth must be a date written like 2026-03-14." in bad_date.text
    assert "The date of birth must be a past date, after 1900." in future.text
    assert "The given name is too long: at most 100 characters." in long_name.text
    assert "There is no family &#39;F-0404&#39;" in no_family_ref.text
    assert taken_id.status_code == 409 and "Someone already has the programme id" in taken_id.text
    assert await _people(app) == before


async def test_authority_and_record_forms_refuse_what_does_not_fit(app, client):
    csrf = await sign_in(client)

    relationship = await post_form(client, "/provider/people/P-0002/authorities", csrf, actor_ref="P-0001",
                                   relationship="neighbour", evidence="Says so")
    no_evidence = await post_form(client, "/provider/people/P-0002/authorities", csrf, actor_ref="P-0001",
                                  relationship="parent")
    twice = await post_form(client, "/provider/people/P-0003/authorities", csrf, actor_ref="P-0001",
                            relationship="parent", evidence="Seen again")
    themselves = await post_form(client, "/provider/people/P-0001/authorities", csrf, actor_ref="P-0001",
                                 relationship="parent", evidence="Seen")
    future_record = await post_form(client, "/provider/people/P-0001/records", csrf, title="Visit",
                                    body="Notes", record_date="2999-01-01")

    assert relationship.status_code == 422
    assert "The relationship must be one of: parent, caregiver, guardian, representative." in relationship.text
    assert no_evidence.status_code == 422 and "How CCSS knows is missing: fill it in." in no_evidence.text
    assert twice.status_code == 409 and "Aroha Parata may already act for Mere Parata" in twice.text
    assert themselves.status_code == 422
    assert future_record.status_code == 422 and "The record&#39;s date cannot be in the future." in future_record.text


async def test_a_request_about_ccss_records_only_is_answered_here_and_cannot_be_relayed(app, client):
    from tests.bot.chat_driver import FamilyChat

    chat = FamilyChat(app.state.conversations, "walk-in")
    await chat.command("start")
    await chat.press("Not now")
    for label in ("What do you hold about me?", "Mine", "CCSS", "Skip", "A copy here", "No"):
        await chat.press(label)
    await chat.send("Aroha Parata")
    await chat.press("Send my request")
    async with app.state.sessions() as session:
        ref = (await session.exec(select(Request.ref))).one()
    csrf = await sign_in(client)
    await post_form(client, f"/provider/requests/{ref}/link", csrf, requester_ref="P-0001", subject_ref="P-0001")
    await post_form(client, f"/provider/requests/{ref}/steps/approve", csrf, identity_checked="known_in_person")

    page = await client.get(f"/provider/requests/{ref}", headers=HTML)
    relay = await post_form(client, f"/provider/requests/{ref}/steps/relay", csrf)
    local = await post_form(client, f"/provider/requests/{ref}/steps/prepare_locally", csrf)

    assert "Answer from CCSS&#39;s own records" in page.text and "Relay to the agency" not in page.text
    assert relay.status_code == 409 and "only about CCSS&#39;s own records" in relay.text
    assert local.status_code == 303
    assert (await request_row(app, ref)).state == "preparing"
