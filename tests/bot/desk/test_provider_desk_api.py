"""The provider desk's JSON API with a staff token: the queue, one request with its history, the staff steps,
people and authorities; described in /openapi.json with a line for each endpoint."""

from __future__ import annotations

from tests.bot.desk.provider_desk_support import family_asks, request_row, staff_token


async def test_a_tool_lists_the_queue_opens_a_request_and_approves_and_relays_it(app, client):
    ref = await family_asks(app)
    bearer = {"Authorization": f"Bearer {await staff_token(app)}"}

    queue = await client.get("/provider/api/requests?state=submitted", headers=bearer)
    opened = await client.get(f"/provider/api/requests/{ref}", headers=bearer)
    approved = await client.post(f"/provider/api/requests/{ref}/approve", headers=bearer,
                                 json={"identity_checked": "phone_call"})
    relayed = await client.post(f"/provider/api/requests/{ref}/relay", headers=bearer)
    await app.state.link.settle()
    received = await client.get(f"/provider/api/requests/{ref}", headers=bearer)

    [item] = queue.json()["items"]
    assert (item["ref"], item["requester_ref"], item["subject_ref"], item["due"]["label"]) == (
        ref, "P-0001", "P-0001", "Relay by")
    detail = opened.json()
    assert detail["allowed_steps"] == ["approve", "decline"]
    assert [e["trigger"] for e in detail["events"]] == ["submit", "opened"]
    assert detail["events"][1]["detail"] == {"what": "request, through the API"}
    assert approved.json()["state"] == "approved" and relayed.json()["state"] == "relayed"
    body = received.json()
    assert (body["state"], body["identity_checked"]) == ("received", "phone_call")
    assert body["due"]["on"] == (await request_row(app, ref)).due_on.isoformat()
    assert sorted(body["units"]) == ["evaluation", "service-reporting"]


async def test_a_tool_adds_a_person_records_an_authority_and_links_a_walk_in_request(app, client):
    ref = await family_asks(app, enrolled=False, key="walk-in")
    bearer = {"Authorization": f"Bearer {await staff_token(app)}"}

    added = await client.post("/provider/api/people", headers=bearer, json={
        "new_family_name": "Walker family", "given_name": "Hemi", "family_name": "Walker",
        "birth_date": "1990-02-03"})
    hemi = added.json()["ref"]
    child = await client.post("/provider/api/people", headers=bearer, json={
        "family_ref": added.json()["family_ref"], "given_name": "Aio", "family_name": "Walker",
        "is_young_person": True})
    authority = await client.post(f"/provider/api/people/{child.json()['ref']}/authorities", headers=bearer,
                                  json={"actor_ref": hemi, "relationship": "parent", "evidence": "Birth cert seen"})
    linked = await client.post(f"/provider/api/requests/{ref}/link", headers=bearer,
                               json={"requester_ref": hemi, "subject_ref": child.json()["ref"]})
    found = await client.get("/provider/api/people?q=walker", headers=bearer)

    assert added.status_code == 201 and added.json()["family_ref"].startswith("F-")
    assert child.json()["is_young_person"] is True
    assert authority.json()["may_act_for_them"][0]["actor_ref"] == hemi
    assert linked.status_code == 200 and linked.json()["done"] == "Linked: asked by Hemi Walker, about Aio Walker."
    assert [p["given_name"] for p in found.json()["items"]] == ["Aio", "Hemi"]


async def test_openapi_describes_every_provider_api_endpoint_with_a_line_and_the_bearer_token(app, client):
    spec = (await client.get("/openapi.json")).json()

    provider = {path: ops for path, ops in spec["paths"].items() if path.startswith("/provider")}
    assert all(path.startswith("/provider/api/") for path in provider)  # the pages are not API
    operations = [op for ops in provider.values() for op in ops.values()]
    assert len(operations) == 22  # 19, and [reporting]'s records, row and consents
    assert all(op.get("description") or op.get("summary") for op in operations)
    assert all(op["description"].count("\n") == 0 for op in operations)
    assert all({"ProviderStaffToken": []} in op.get("security", []) for op in operations)
    approve = provider["/provider/api/requests/{ref}/approve"]["post"]
    assert approve["description"] == "Approve a request, saying how identity and authority were checked."
    assert "409" in approve["responses"]
