"""Young people, as the agreement's `young_people` says (the demo: younger than 18; told from 12): greeted and
answered in the child register from their first message, in the language staff set for them; told in their own
chat when someone else's request for their information is approved; and staff see who is under 16."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from bot.language.i18n import Plain, _, from_json, say
from bot.models import Authority, ChatLink, Notification, Person, Request
from bot.people.enrolment import issue_code
from bot.people.young import age, is_young, told_of_requests
from protocol.agreement import load_agreement
from tests.bot.chat_driver import FamilyChat
from tests.bot.desk.provider_desk_support import HTML, sign_in, staff_token

LINKED = "Kia ora {name}! Your chat is now linked to your records at {provider}."


async def _enrolled(app, person_ref: str, key: str) -> FamilyChat:
    async with app.state.sessions.begin() as session:
        person = (await session.exec(select(Person).where(Person.ref == person_ref))).one()
        code = await issue_code(session, person)
    chat = FamilyChat(app.state.conversations, key)
    await chat.command("start", code)
    return chat


async def _chat_of(app, key: str) -> ChatLink:
    async with app.state.sessions() as session:
        return (await session.exec(select(ChatLink).order_by(ChatLink.id.desc()))).first()


async def test_a_young_person_is_greeted_in_the_child_register_from_their_first_message(app):
    chat = await _enrolled(app, "P-0002", "nikau")  # Nikau, 13

    linked = await _chat_of(app, "nikau")

    assert linked.audience == "child"
    assert say(_(LINKED, name=Plain("Nikau")), "en", "child") in chat.all_text


async def test_a_person_staff_set_to_te_reo_is_greeted_in_te_reo_from_their_first_message(app):
    async with app.state.sessions.begin() as session:
        grace = (await session.exec(select(Person).where(Person.ref == "P-0004"))).one()
        grace.language = "mi"
        session.add(grace)

    chat = await _enrolled(app, "P-0004", "grace")
    linked = await _chat_of(app, "grace")

    assert (linked.language, linked.audience) == ("mi", "adult")
    assert say(_(LINKED, name=Plain("Grace")), "mi", "adult") in chat.all_text


async def test_a_young_person_of_the_agreements_age_is_told_in_their_chat_when_someone_elses_request_is_approved(
        app, client):
    import httpx

    async with app.state.sessions.begin() as session:
        people = {p.ref: p for p in await session.exec(select(Person).where(Person.ref.in_(["P-0001", "P-0002"])))}
        session.add(Authority(actor_id=people["P-0001"].id, subject_id=people["P-0002"].id, relationship="parent",
                              evidence="Birth certificate seen"))
    nikau = await _enrolled(app, "P-0002", "nikau")
    aroha = await _enrolled(app, "P-0001", "aroha")
    await aroha.press("Not now")
    for label in ("What do you hold about me?", "Nikau", "The agency", "Skip", "A copy here", "No", "Send my request"):
        await aroha.press(label)
    async with app.state.sessions() as session:
        ref = (await session.exec(select(Request.ref).order_by(Request.id.desc()))).first()
    nikau_chat = (await _chat_of_person(app, "P-0002"))
    before = await _told(app, nikau_chat)

    await sign_in(client)
    page = await client.get(f"/provider/requests/{ref}", headers=HTML)
    token = await staff_token(app)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tono.test") as api:
        approved = await api.post(f"/provider/api/requests/{ref}/approve", json={"identity_checked": "id_seen"},
                                  headers={"Authorization": f"Bearer {token}"})
    told = await _told(app, nikau_chat)

    assert approved.status_code == 200, approved.text
    assert before == []
    assert len(told) == 1 and ref in told[0]
    assert told[0].startswith("Someone who looks after you asked CCSS to see what they have about you.")  # child
    assert "Young person, 13" in page.text and "s 49(1)(c)" in page.text
    assert "They are told in their own chat" in page.text
    assert nikau.all_text  # Nikau's own chat is untouched by Aroha's request otherwise


async def _chat_of_person(app, person_ref: str) -> ChatLink:
    async with app.state.sessions() as session:
        person = (await session.exec(select(Person).where(Person.ref == person_ref))).one()
        return (await session.exec(select(ChatLink).where(ChatLink.person_id == person.id))).one()


async def _told(app, chat: ChatLink) -> list[str]:
    async with app.state.sessions() as session:
        rows = await session.exec(select(Notification).where(Notification.chat_link_id == chat.id,
                                                             Notification.request_id.is_(None)))
        return [say(from_json(row.text), chat.language, chat.audience) for row in rows
                if "looks after you" in str(row.text)]


def test_who_is_young_and_who_is_told_follows_the_agreements_ages_and_never_guesses_an_unknown_age():
    agreement = load_agreement()
    today = date(2026, 12, 7)

    def person(born, marked=False):
        return Person(ref="P-X", given_name="X", family_name="Y", birth_date=born, is_young_person=marked)

    eleven, twelve, seventeen, eighteen = (date(2015, 1, 1), date(2014, 12, 7), date(2009, 1, 1), date(2008, 12, 7))
    assert [is_young(person(b), agreement, today) for b in (eleven, twelve, seventeen, eighteen)] == [
        True, True, True, False]
    assert [told_of_requests(person(b), agreement, today) for b in (eleven, twelve, seventeen, eighteen)] == [
        False, True, True, False]
    assert age(person(twelve), today) == 12 and age(person(None), today) is None
    assert is_young(person(None, marked=True), agreement, today)
    assert not told_of_requests(person(None, marked=True), agreement, today)  # age unknown: never guessed
