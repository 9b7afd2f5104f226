"""The family conversation's flows against an in-memory provider (tests.fakes.family_port): no database,
no channel, the same flows and the same lifecycle. The database-backed runs are tests/bot/test_family_flows.py."""

from __future__ import annotations

import pytest

from bot.flows.ports import Opening
from protocol import deadlines
from protocol.agreement import load_agreement
from tests.bot.chat_driver import TODAY, FamilyChat
from tests.fakes.family_port import FakeFamily, FakePerson, MemoryConversations


@pytest.fixture
def family():
    aroha = FakePerson(1, "Aroha", may_ask_for=[2], code="aroha-code")
    return FakeFamily(load_agreement(), TODAY, [aroha, FakePerson(2, "Mere")])


@pytest.fixture
def new_chat(family):
    conversations = MemoryConversations(family)
    counter = iter(range(1, 1000))
    return lambda hint="en": FamilyChat(conversations, f"memory-{next(counter)}", hint)


async def _linked(new_chat):
    chat = new_chat()
    await chat.command("start", "aroha-code")
    await chat.press("Not now")
    return chat


async def _ask_what_the_agency_holds_about_me(chat):
    await chat.press("What do you hold about me?")
    await chat.press("Mine")
    await chat.press("The agency")
    await chat.press("Skip")
    await chat.press("A copy here in the chat")
    await chat.press("No")
    await chat.press("Send my request")


async def test_a_first_visit_explains_tono_without_any_database(new_chat):
    chat = new_chat()

    await chat.command("start")

    assert chat.labels[:2] == ["Yes, tell me", "Not now"]


async def test_a_code_links_the_chat_and_greets_the_person_by_name(new_chat, family):
    chat = new_chat()

    await chat.command("start", "aroha-code")

    assert "Kia ora Aroha!" in chat.all_text
    assert family.links == {1: 1}


async def test_an_access_request_is_submitted_through_the_lifecycle_and_given_a_reference(new_chat, family):
    chat = await _linked(new_chat)

    await _ask_what_the_agency_holds_about_me(chat)

    (request,) = family.requests.values()
    assert request.state == "submitted" and request.kind == "access"
    assert request.answers["holder"] == "agency" and request.subject_id == 1
    assert request.ref in chat.all_text


async def test_where_is_my_request_lists_the_family_s_own_request(new_chat, family):
    chat = await _linked(new_chat)
    await _ask_what_the_agency_holds_about_me(chat)

    await chat.command("status")

    assert next(iter(family.requests)) in chat.all_text


async def test_a_family_can_withdraw_a_request_before_it_is_delivered(new_chat, family):
    chat = await _linked(new_chat)
    await _ask_what_the_agency_holds_about_me(chat)
    await chat.command("status")

    await chat.press("Withdraw")
    await chat.press("Yes, withdraw it")

    assert next(iter(family.requests.values())).state == "withdrawn"


async def test_a_question_from_the_agency_is_answered_in_the_chat_and_the_request_goes_back(new_chat, family):
    chat = await _linked(new_chat)
    await _ask_what_the_agency_holds_about_me(chat)
    request = next(iter(family.requests.values()))
    family.move(request, "approve", "staff", identity_checked="id_seen")
    family.move(request, "relay", "staff")
    family.move(request, "acknowledge", "system", received_on=TODAY, due=deadlines.decision_due(TODAY))
    family.move(request, "ask_clarification", "officer", question="Which years?")
    request.question = "Which years?"

    await chat.press_action(f"clarify:{request.ref}", screen=0)
    await chat.send("2024 and 2025")

    assert request.state == "received"
    assert family.told_agency == [(request.ref, "2024 and 2025")]


async def test_who_has_seen_my_information_names_roles_and_units_never_people(new_chat, family):
    chat = await _linked(new_chat)
    await _ask_what_the_agency_holds_about_me(chat)
    request = next(iter(family.requests.values()))
    request.openings.append(Opening(TODAY, "evaluation", request.ref))

    await chat.command("start")
    await chat.press("My information")
    await chat.press("Who has seen my information?")

    assert "evaluation" in chat.all_text.lower()


async def test_who_has_seen_my_information_names_the_officer_s_role_when_the_agency_gave_it(new_chat, family):
    chat = await _linked(new_chat)
    await _ask_what_the_agency_holds_about_me(chat)
    request = next(iter(family.requests.values()))
    request.openings.append(Opening(TODAY, "evaluation", request.ref, "evaluation-lead"))

    await chat.press("My information")
    await chat.press("Who has seen my information?")

    assert f"The evaluation lead, who keeps the consent forms at Evaluation team opened request {request.ref}" \
        in chat.all_text


async def test_the_chat_changes_to_te_reo_maori_and_remembers_it(new_chat, family):
    chat = await _linked(new_chat)

    await chat.command("language")
    await chat.press("Te reo Māori")

    assert chat.said.language == "mi"
    assert family.settings[1][0] == "mi"


async def test_a_family_cannot_ask_staff_for_a_version_of_another_family_s_copies(new_chat, family):
    aroha = await _linked(new_chat)
    await _ask_what_the_agency_holds_about_me(aroha)
    request = next(iter(family.requests.values()))
    request.state = "delivered"
    stranger = new_chat()
    await stranger.command("start")

    await stranger.press_action(f"copy:{request.ref}:mi:child", screen=0)

    assert family.notes == []
    assert stranger.said.notice is not None and stranger.said.replies == []


async def test_the_family_whose_answer_it_is_may_ask_for_a_version_not_written_yet(new_chat, family):
    chat = await _linked(new_chat)
    await _ask_what_the_agency_holds_about_me(chat)
    request = next(iter(family.requests.values()))
    request.state = "delivered"
    family.copies_missing = True

    await chat.press_action(f"copy:{request.ref}:mi:child", screen=0)

    assert family.notes == [f"Please write the young person's version in te reo Māori of {request.ref}: the family "
                            "asked for it in the chat. They are told when it is ready."]  # words, never codes
