"""What provider staff do to a request (bot/requests/staff.py): approve, decline, relay, prepare locally."""

from __future__ import annotations

from datetime import date

import pytest

from bot.requests import staff
from protocol.agreement import load_agreement
from protocol.lifecycle import IllegalMove
from tests.bot.requests.requests_support import RecordingOutbox, family_told, sent_request, the_request

TODAY = date(2026, 11, 25)


async def test_approving_records_how_identity_was_checked_and_tells_the_family(new_chat, sessions):
    ref = await sent_request(new_chat, sessions)

    async with sessions.begin() as session:
        await staff.approve(session, await the_request(session, ref), "kaimahi", "id_seen")

    async with sessions() as session:
        request = await the_request(session, ref)
        assert (request.state, request.identity_checked) == ("approved", "id_seen")
    assert any("has checked who you are" in text for text in await family_told(sessions, ref))


async def test_approving_without_saying_how_identity_was_checked_changes_nothing(new_chat, sessions):
    ref = await sent_request(new_chat, sessions)

    with pytest.raises(IllegalMove):
        async with sessions.begin() as session:
            await staff.approve(session, await the_request(session, ref), "kaimahi", "")

    async with sessions() as session:
        assert (await the_request(session, ref)).state == "submitted"


async def test_a_request_not_linked_to_the_people_it_is_from_and_about_cannot_be_approved(new_chat, sessions):
    ref = await sent_request(new_chat, sessions)
    async with sessions.begin() as session:
        (await the_request(session, ref)).subject_id = None

    with pytest.raises(staff.StaffError, match="Link this request"):
        async with sessions.begin() as session:
            await staff.approve(session, await the_request(session, ref), "kaimahi", "id_seen")


async def test_declining_tells_the_family_the_reason_and_that_they_may_complain(new_chat, sessions):
    ref = await sent_request(new_chat, sessions)

    async with sessions.begin() as session:
        await staff.decline(session, await the_request(session, ref), "kaimahi", "We could not reach you.")

    told = "\n".join(await family_told(sessions, ref))
    assert "We could not reach you." in told and "Privacy Commissioner" in told


async def test_relaying_puts_one_message_for_the_agency_in_the_same_transaction(new_chat, sessions):
    ref = await sent_request(new_chat, sessions)
    outbox, agreement = RecordingOutbox(), load_agreement()
    async with sessions.begin() as session:
        await staff.approve(session, await the_request(session, ref), "kaimahi", "id_seen")

    async with sessions.begin() as session:
        await staff.relay(session, await the_request(session, ref), outbox, agreement, "kaimahi", TODAY)

    (message,) = outbox.sent
    assert (message["type"], message["recipient"], message["request"]) == ("request.relayed", agreement.agency.id, ref)
    assert message["body"]["subject"]["participant_id"] and message["body"]["relayed_on"] == TODAY.isoformat()
    async with sessions() as session:
        assert (await the_request(session, ref)).state == "relayed"


async def test_a_request_only_about_the_provider_s_own_records_is_never_relayed(new_chat, sessions):
    ref = await sent_request(new_chat, sessions)
    outbox = RecordingOutbox()
    async with sessions.begin() as session:
        request = await the_request(session, ref)
        request.scope = "provider"
        await staff.approve(session, request, "kaimahi", "id_seen")

    with pytest.raises(staff.StaffError, match="without the agency"):
        async with sessions.begin() as session:
            await staff.relay(session, await the_request(session, ref), outbox, load_agreement(), "kaimahi", TODAY)

    assert outbox.sent == []
    async with sessions.begin() as session:
        await staff.prepare_locally(session, await the_request(session, ref), "kaimahi")
    async with sessions() as session:
        assert (await the_request(session, ref)).state == "preparing"
