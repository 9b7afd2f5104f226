"""The family conversation, driven through the flows and a real database with no network."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.chat.conversation import Conversations
from bot.flows.chat import Incoming
from bot.language.i18n import _, format_day, say
from bot.models import ChatLink, ContactRequest, EnrolmentCode, Person, Request, RequestEvent
from bot.people.enrolment import issue_code
from protocol.agreement import load_agreement
from protocol.clock import utcnow
from tests.bot.chat_driver import TODAY


async def _code_for(sessions, person_ref: str) -> str:
    async with sessions.begin() as session:
        person = (await session.exec(select(Person).where(Person.ref == person_ref))).one()
        return await issue_code(session, person)


async def _requests(sessions) -> list[Request]:
    async with sessions() as session:
        return list(await session.exec(select(Request).order_by(Request.id)))


async def _enrolled(new_chat, sessions, person_ref="P-0001"):
    chat = new_chat()
    await chat.command("start", await _code_for(sessions, person_ref))
    await chat.press("Not now")
    return chat


async def test_a_first_visit_without_a_link_explains_tono_and_offers_to_say_what_happens_to_information(new_chat):
    chat = new_chat()

    await chat.command("start")

    assert "If CCSS gave you a link" in chat.all_text
    assert chat.labels[:2] == ["Yes, tell me", "Not now"]


async def test_asking_what_happens_to_my_information_reads_from_the_agreement(new_chat):
    chat = new_chat()
    await chat.command("start")

    await chat.press("Yes, tell me")

    agreement = load_agreement()
    for unit in agreement.units:
        assert agreement.text(unit.purpose, "en", "adult") in chat.all_text
    assert "What would you like to do?" in chat.last


async def test_the_deep_link_code_links_the_chat_and_greets_the_person_by_name(new_chat, sessions):
    chat = new_chat()

    await chat.command("start", await _code_for(sessions, "P-0001"))

    assert "Kia ora Aroha!" in chat.all_text
    async with sessions() as session:
        link = (await session.exec(select(ChatLink).where(ChatLink.chat_key == chat.key))).one()
        aroha = (await session.exec(select(Person).where(Person.ref == "P-0001"))).one()
        assert link.person_id == aroha.id


async def test_a_code_works_once(new_chat, sessions):
    code = await _code_for(sessions, "P-0001")
    first, second = new_chat(), new_chat()
    await first.command("start", code)

    await second.command("start", code)
    await first.command("start", code)

    assert "already been used" in second.all_text
    assert "already linked to you" in first.all_text


async def test_an_expired_code_gets_a_kind_answer(new_chat, sessions):
    code = await _code_for(sessions, "P-0004")
    async with sessions.begin() as session:
        for row in await session.exec(select(EnrolmentCode)):
            row.expires_at = utcnow() - timedelta(minutes=1)
            session.add(row)
    chat = new_chat()

    await chat.command("start", code)

    assert "expired" in chat.all_text


async def test_repeated_wrong_codes_from_one_chat_are_slowed_down_even_for_a_right_code(new_chat, sessions):
    chat = new_chat()
    for attempt in range(5):
        await chat.command("start", f"wrong-code-{attempt}")
        assert "don't recognise that link" in chat.all_text

    await chat.command("start", await _code_for(sessions, "P-0001"))

    assert "Too many codes were tried" in chat.all_text
    assert "Kia ora Aroha" not in chat.all_text


async def test_an_access_request_for_myself_reaches_submitted_with_its_event(new_chat, sessions):
    chat = await _enrolled(new_chat, sessions)

    await chat.press("What do you hold about me?")
    await chat.press("Mine")
    await chat.press("Both CCSS and the agency")
    await chat.send("My attendance records please")
    await chat.press("A copy here in the chat")
    await chat.press("No")
    assert "My attendance records please" in chat.all_text
    await chat.press("Send my request")

    [request] = await _requests(sessions)
    assert (request.kind, request.state, request.scope, request.form) == ("access", "submitted", "both", "copy")
    assert request.ref == "BFF-2026-000001"
    assert request.ref in chat.all_text
    # Relayed within 2 working days (Friday 27 November), then 20 working days: the 19th is Thursday
    # 24 December, the closure runs 25 December to 15 January, so the 20th is Monday 18 January 2027.
    assert format_day(date(2027, 1, 18), "en") in chat.all_text
    async with sessions() as session:
        [event] = await session.exec(select(RequestEvent).where(RequestEvent.request_id == request.id))
    assert (event.trigger, event.from_state, event.to_state, event.actor_role) == ("submit", "draft", "submitted",
                                                                                   "family")


async def test_a_parent_is_offered_only_the_children_they_may_act_for(new_chat, sessions):
    chat = await _enrolled(new_chat, sessions)

    await chat.press("What do you hold about me?")

    assert "Mere's" in chat.labels
    assert not any("Nikau" in label for label in chat.labels)  # 13: asks for himself


async def test_a_request_for_a_child_records_the_child_as_the_subject(new_chat, sessions):
    chat = await _enrolled(new_chat, sessions)
    await chat.press("What do you hold about me?")
    await chat.press("Mere's")
    await chat.press("The agency")
    await chat.press("Skip")
    await chat.press("Read it together with a worker")
    await chat.press("Yes, it's urgent")
    await chat.send("She is changing schools next week")
    await chat.press("Send my request")

    [request] = await _requests(sessions)
    async with sessions() as session:
        mere = await session.get(Person, request.subject_id)
    assert mere.given_name == "Mere"
    assert (request.urgent, request.urgency_reason, request.form) == (True, "She is changing schools next week",
                                                                      "read_together")


async def test_a_correction_request_records_what_is_wrong_and_what_it_should_say(new_chat, sessions):
    chat = await _enrolled(new_chat, sessions)
    await chat.press("Something is wrong")
    await chat.press("Mine")
    await chat.press("CCSS")
    await chat.send("My address is old")
    await chat.send("12 Kōwhai Street")
    assert "12 Kōwhai Street" in chat.last
    await chat.press("Send my request")

    [request] = await _requests(sessions)
    assert (request.kind, request.state) == ("correction", "submitted")
    assert (request.correction_what, request.correction_should_say) == ("My address is old", "12 Kōwhai Street")


async def test_someone_without_a_link_can_ask_and_gives_their_name_for_staff_to_check(new_chat, sessions):
    chat = new_chat()
    await chat.command("start")
    await chat.press("Not now")
    await chat.press("What do you hold about me?")
    await chat.press("Mine")
    await chat.press("I'm not sure")
    await chat.press("Skip")
    await chat.press("A printout")
    await chat.press("No")
    await chat.send("Hemi Walker")
    await chat.press("Send my request")

    [request] = await _requests(sessions)
    assert (request.requester_id, request.requester_name, request.scope) == (None, "Hemi Walker", "both")


async def test_back_returns_to_the_previous_question_at_every_step(new_chat, sessions):
    chat = await _enrolled(new_chat, sessions)
    await chat.press("What do you hold about me?")
    questions = [chat.last]
    for press in ("Mine", "Both CCSS", "Skip", "A copy here"):
        await chat.press(press)
        questions.append(chat.last)

    for expected in reversed(questions[:-1]):
        await chat.press("← Back")
        assert chat.last == expected


@pytest.mark.parametrize("steps", [0, 1, 2, 3, 4, 5])
async def test_cancel_at_any_step_sends_nothing(new_chat, sessions, steps):
    chat = await _enrolled(new_chat, sessions)
    await chat.press("What do you hold about me?")
    for press in ("Mine", "Both CCSS", "Skip", "A copy here", "No")[:steps]:
        await chat.press(press)

    await chat.press("Cancel")

    assert "Cancelled. Nothing was sent." in chat.all_text
    assert await _requests(sessions) == []


async def test_the_cancel_command_works_mid_way(new_chat, sessions):
    chat = await _enrolled(new_chat, sessions)
    await chat.press("Something is wrong")

    await chat.command("cancel")

    assert "Cancelled" in chat.all_text
    assert "What would you like to do?" in chat.last


async def test_a_conversation_half_way_through_continues_after_a_restart(new_chat, sessions):
    chat = await _enrolled(new_chat, sessions)
    await chat.press("What do you hold about me?")
    await chat.press("Mine")
    screen = chat.said.screen

    chat.conversations = Conversations(sessions, load_agreement(), today=lambda: TODAY)  # a new process
    await chat.press_action("both", screen=screen)

    assert "anything in particular" in chat.last


async def test_status_lists_requests_with_a_plain_sentence_and_due_date(new_chat, sessions):
    chat = await _enrolled(new_chat, sessions)
    await _make_request(chat)
    await _moved_to(sessions, "received", received_on=TODAY, due_on=date(2026, 12, 23))

    await chat.command("status")

    assert "The agency has your request and is working on it." in chat.all_text
    assert format_day(date(2026, 12, 23), "en") in chat.all_text
    assert "received" not in chat.all_text.replace("receives", "")


async def test_an_overdue_request_is_told_honestly_with_the_right_to_complain(new_chat, sessions):
    chat = await _enrolled(new_chat, sessions)
    await _make_request(chat)
    await _moved_to(sessions, "received", due_on=TODAY - timedelta(days=3))

    await chat.command("status")

    assert "it is late" in chat.all_text
    assert "Privacy Commissioner" in chat.all_text


async def test_withdrawing_a_request_fires_the_lifecycle_and_is_confirmed(new_chat, sessions):
    chat = await _enrolled(new_chat, sessions)
    await _make_request(chat)
    await chat.command("status")

    await chat.press("Withdraw BFF-2026-000001")
    await chat.press("Yes, withdraw it")

    [request] = await _requests(sessions)
    assert request.state == "withdrawn"
    assert "is withdrawn" in chat.all_text


async def test_a_double_tapped_send_button_submits_once(new_chat, sessions):
    chat = await _enrolled(new_chat, sessions)
    await _make_request(chat, send=False)
    screen = chat.said.screen

    await chat.press("Send my request", screen=screen)
    await chat.press_action("send", screen=screen)

    assert len(await _requests(sessions)) == 1
    assert say(chat.said.notice, "en", "adult").startswith("That button is from an earlier message")


async def test_a_forged_button_action_does_nothing_and_says_so(new_chat, sessions):
    chat = await _enrolled(new_chat, sessions)
    await chat.press("What do you hold about me?")

    await chat.press_action("person:99999")
    await chat.press_action("send")

    assert chat.said.notice == _("That button does nothing here.")
    assert await _requests(sessions) == []


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        ("", "That message was empty"),
        ("   \u200f\u202e  ", "That message was empty"),
        ("x" * 10_000, "I can take up to 2000"),
        ("😀😀🎉", "Please use some words"),
    ],
    ids=["empty", "only-invisible-marks", "10000-characters", "emoji-only"],
)
async def test_unusable_typed_answers_get_a_clear_reply_and_the_question_again(new_chat, sessions, typed, answer):
    chat = await _enrolled(new_chat, sessions)
    await chat.press("Something is wrong")
    await chat.press("Mine")
    await chat.press("CCSS")

    await chat.send(typed)

    assert answer in chat.all_text
    assert "Which information is wrong?" in chat.last


async def test_html_and_right_to_left_text_is_kept_as_typed_and_shown_escaped(new_chat, sessions):
    chat = await _enrolled(new_chat, sessions)
    await chat.press("Something is wrong")
    await chat.press("Mine")
    await chat.press("CCSS")

    await chat.send("<b>bold</b> & عنوان\x07")
    await chat.send("שלום")

    assert "&lt;b&gt;bold&lt;/b&gt; &amp; عنوان" in chat.last
    await chat.press("Send my request")
    [request] = await _requests(sessions)
    assert request.correction_what == "<b>bold</b> & عنوان"


@pytest.mark.parametrize("kind", ["photo", "sticker", "voice", "document"])
async def test_media_where_text_is_expected_gets_a_clear_reply(new_chat, sessions, kind):
    chat = await _enrolled(new_chat, sessions)
    await chat.press("Something is wrong")
    await chat.press("Mine")
    await chat.press("CCSS")

    await chat.media(kind)

    assert "I can't open photos" in chat.all_text
    assert "Which information is wrong?" in chat.last


async def test_typing_where_a_button_is_expected_asks_for_a_button(new_chat, sessions):
    chat = await _enrolled(new_chat, sessions)
    await chat.press("What do you hold about me?")

    await chat.send("me")

    assert "Please choose one of the buttons." in chat.all_text


async def test_an_unknown_command_shows_the_menu(new_chat):
    chat = new_chat()

    await chat.command("hack")

    assert "I don't know that command" in chat.all_text


async def test_talking_to_a_person_is_recorded_for_staff(new_chat, sessions):
    chat = await _enrolled(new_chat, sessions)
    await chat.press("Talk to a person")

    await chat.send("I want to talk about my son's report")

    async with sessions() as session:
        assert (await session.exec(select(func.count()).select_from(ContactRequest))).one() == 1
    assert "within 2 working days" in chat.all_text


async def test_language_and_register_can_be_changed_any_time_and_are_remembered(new_chat, sessions):
    chat = await _enrolled(new_chat, sessions)
    await chat.press("What do you hold about me?")

    await chat.command("language")
    await chat.press("Te reo Māori")
    await chat.command("words")
    await chat.press_action("reg:child")

    assert (chat.said.language, chat.said.register) == ("mi", "child")
    async with sessions() as session:
        link = (await session.exec(select(ChatLink).where(ChatLink.chat_key == chat.key))).one()
    assert (link.language, link.audience) == ("mi", "child")


async def test_the_first_language_comes_from_telegrams_language_code(new_chat):
    chat = new_chat(hint="mi")

    await chat.command("start")

    assert chat.said.language == "mi"


async def _moved_to(sessions, state: str, **values) -> None:
    """The chat's only request, moved to `state` (and given `values`) as staff or the agency would move it."""
    async with sessions.begin() as session:
        request = (await session.exec(select(Request))).one()
        request.state = state
        for name, value in values.items():
            setattr(request, name, value)
        session.add(request)


async def _make_request(chat, send: bool = True) -> None:
    await chat.press("What do you hold about me?")
    await chat.press("Mine")
    await chat.press("Both CCSS")
    await chat.press("Skip")
    await chat.press("A copy here")
    await chat.press("No")
    if send:
        await chat.press("Send my request")


async def test_an_update_delivered_twice_changes_nothing_the_second_time(new_chat, sessions):
    chat = await _enrolled(new_chat, sessions)
    await _make_request(chat, send=False)
    screen = chat.said.screen
    press = Incoming("button", action="send", screen=screen)

    first = await chat.conversations.handle("test", chat.key, press, once="tg:777")
    again = await chat.conversations.handle("test", chat.key, press, once="tg:777")

    assert first.replies and again.replies == []
    assert len(await _requests(sessions)) == 1
