"""Families and people at the provider desk: add a person, record and revoke who may act for whom, add
CCSS's own records, find people, and issue an enrolment link whose QR code and code work."""

from __future__ import annotations

import re

from sqlmodel import select

from bot.models import Authority, ChatLink, EnrolmentCode, Family, Person, ProviderRecord
from tests.bot.chat_driver import FamilyChat
from tests.bot.desk.provider_desk_support import HTML, post_form, sign_in, staff_token


async def test_staff_add_a_young_person_to_a_new_family_and_see_their_page(app, client):
    csrf = await sign_in(client)

    added = await post_form(client, "/provider/people", csrf, new_family_name="Ngata whānau", given_name="Hine",
                            family_name="Ngata", birth_date="2014-06-01", is_young_person="yes", language="mi")
    page = await client.get(added.headers["location"], headers=HTML)

    async with app.state.sessions() as session:
        hine = (await session.exec(select(Person).where(Person.given_name == "Hine"))).one()
        family = await session.get(Family, hine.family_id)
    assert added.status_code == 303 and added.headers["location"] == f"/provider/people/{hine.ref}"
    assert re.fullmatch(r"P-\d{4}", hine.ref) and re.fullmatch(r"F-\d{4}", family.ref)
    assert (family.name, hine.is_young_person, hine.language) == ("Ngata whānau", True, "mi")
    assert hine.participant_id == f"BFF-P-{1000 + hine.id}"
    assert f"Added Hine Ngata ({hine.ref})." in page.text and "Young person" in page.text


async def test_someone_added_to_an_existing_family_is_listed_with_its_members(app, client):
    csrf = await sign_in(client)

    added = await post_form(client, "/provider/people", csrf, family_ref="F-0001", given_name="Rangi",
                            family_name="Parata", participant_id="BFF-P-9001")
    page = await client.get(added.headers["location"], headers=HTML)

    assert "Parata whānau" in page.text and "Aroha Parata" in page.text and "BFF-P-9001" in page.text


async def test_recording_and_revoking_an_authority_changes_whom_a_request_can_be_linked_to(app, client):
    csrf = await sign_in(client)

    recorded = await post_form(client, "/provider/people/P-0002/authorities", csrf, actor_ref="P-0001",
                               relationship="guardian", evidence="Guardianship order seen")
    page = await client.get("/provider/people/P-0002", headers=HTML)
    async with app.state.sessions() as session:
        nikau = (await session.exec(select(Person).where(Person.ref == "P-0002"))).one()
        authority = (await session.exec(select(Authority).where(Authority.subject_id == nikau.id))).one()
    revoked = await post_form(client, f"/provider/people/P-0002/authorities/{authority.id}/revoke", csrf)
    again = await post_form(client, f"/provider/people/P-0002/authorities/{authority.id}/revoke", csrf)
    elsewhere = await post_form(client, f"/provider/people/P-0006/authorities/{authority.id}/revoke", csrf)
    after = await client.get("/provider/people/P-0002", headers=HTML)
    restored = await post_form(client, "/provider/people/P-0002/authorities", csrf, actor_ref="P-0001",
                               relationship="parent", evidence="Birth certificate seen")

    assert recorded.status_code == 303
    assert "Guardianship order seen" in page.text and "Aroha Parata" in page.text
    assert revoked.status_code == 303 and "Revoked" in after.text
    assert again.status_code == 409 and "already revoked" in again.text
    assert elsewhere.status_code == 404
    assert restored.status_code == 303
    async with app.state.sessions() as session:
        row = await session.get(Authority, authority.id)
    assert (row.relationship, row.revoked_at) == ("parent", None)


async def test_ccss_records_are_added_to_a_persons_page(app, client):
    csrf = await sign_in(client)

    added = await post_form(client, "/provider/people/P-0001/records", csrf, title="Home visit",
                            body="Talked about bedtime routines.\nNext visit in two weeks.", record_date="2026-03-02")
    page = await client.get("/provider/people/P-0001", headers=HTML)

    async with app.state.sessions() as session:
        record = (await session.exec(select(ProviderRecord))).one()
    assert added.status_code == 303
    assert (record.title, record.created_by) == ("Home visit", "kaimahi")
    assert "Record added for Aroha Parata: Home visit." in page.text and "Next visit in two weeks." in page.text


async def test_an_enrolment_link_is_shown_once_with_a_qr_code_and_enrols_the_chat(app, client):
    csrf = await sign_in(client)

    issued = await post_form(client, "/provider/people/P-0004/enrolment", csrf)
    qr = await client.get("/provider/people/P-0004/enrolment-qr.png")
    other_qr = await client.get("/provider/people/P-0001/enrolment-qr.png")
    code = re.search(r"/chat/\?start=([A-Za-z0-9_-]+)", issued.text).group(1)
    chat = FamilyChat(app.state.conversations, "grace")
    await chat.command("start", code)

    assert issued.status_code == 200 and "http://desk.test/chat/?start=" in issued.text
    assert "It works once" in issued.text and "t.me" not in issued.text
    assert qr.status_code == 200 and qr.headers["content-type"] == "image/png"
    assert qr.content.startswith(b"\x89PNG")
    assert other_qr.status_code == 404
    async with app.state.sessions() as session:
        stored = (await session.exec(select(EnrolmentCode))).one()
        link = (await session.exec(select(ChatLink).where(ChatLink.chat_key == "grace"))).one()
        grace = (await session.exec(select(Person).where(Person.ref == "P-0004"))).one()
    assert code not in stored.code_hash and stored.used_at is not None
    assert link.person_id == grace.id


async def test_the_telegram_link_is_offered_when_the_bot_is_known(app, client):
    app.state.telegram_username = "tono_ccss_bot"
    bearer = {"Authorization": f"Bearer {await staff_token(app)}"}

    issued = await client.post("/provider/api/people/P-0006/enrolment-codes", headers=bearer)

    body = issued.json()
    assert issued.status_code == 201
    assert body["telegram_link"] == f"https://t.me/tono_ccss_bot?start={body['code']}"
    assert body["web_link"].endswith(f"/chat/?start={body['code']}")


async def test_people_are_found_by_name_reference_family_and_programme_id(app, client):
    await sign_in(client)

    by_name = await client.get("/provider/people?q=aroha", headers=HTML)
    by_full_name = await client.get("/provider/people?q=Grace+Smith", headers=HTML)
    by_ref = await client.get("/provider/people?q=P-0006", headers=HTML)
    by_family = await client.get("/provider/people?q=F-0001", headers=HTML)
    by_programme_id = await client.get("/provider/people?q=BFF-P-1007", headers=HTML)
    nobody = await client.get("/provider/people?q=Zebedee", headers=HTML)

    assert "Aroha Parata" in by_name.text and "Grace Smith" not in by_name.text
    assert "Grace Smith" in by_full_name.text and "Liam Smith" not in by_full_name.text
    assert "Sina Tanielu" in by_ref.text and "Tavita" not in by_ref.text
    assert all(name in by_family.text for name in ("Aroha", "Nikau", "Mere")) and "Grace" not in by_family.text
    assert "Tavita Tanielu" in by_programme_id.text
    assert "No one matches “Zebedee”." in nobody.text


async def test_the_people_list_pages_newest_first_without_repeating_anyone(app, client):
    async with app.state.sessions.begin() as session:
        family = (await session.exec(select(Family))).first()
        demo_people = len((await session.exec(select(Person.id))).all())
        session.add_all([Person(ref=f"P-9{i:03d}", participant_id=f"T-{i}", family_id=family.id,
                                given_name=f"Test{i}", family_name="Person") for i in range(60)])
    await sign_in(client)

    first = await client.get("/provider/people", headers=HTML)
    before = re.search(r"before=(\d+)", first.text).group(1)
    second = await client.get(f"/provider/people?before={before}", headers=HTML)

    shown = re.findall(r'href="/provider/people/(P-\d+)"', first.text + second.text)
    assert len(shown) == 60 + demo_people == len(set(shown))
    assert shown[0] == "P-9059" and shown[-1] == "P-0001"


async def test_a_people_page_link_past_any_id_a_database_holds_is_refused_not_a_server_error(app, client):
    await sign_in(client)
    bearer = {"Authorization": f"Bearer {await staff_token(app)}"}

    page = await client.get("/provider/people?before=99999999999999999999", headers=HTML)
    api = await client.get("/provider/api/people?before=99999999999999999999", headers=bearer)

    assert page.status_code == 422 and api.status_code == 422
