"""From the agency's answer to the copies in the family's hands: the explanation and the PDF in every
language and register, delivery refused while a version is missing, statements of correction."""

from __future__ import annotations

import io

import pypdf
import pytest
from sqlmodel import select

from agency import answering
from agency.models import AgencyRecord
from bot.copies.items import answer_items
from bot.copies.pdf import Page, TooLarge, copy_pdf
from bot.language.i18n import LANGUAGES, REGISTERS, format_day, say
from bot.models import ChatLink, ItemVersion, Request
from bot.requests import delivery
from bot.requests.moves import move
from tests.agency.desk.agency_world import family_plan, outcomes_are_sent
from tests.bot.chat_driver import TODAY
from tests.tono.test_journey import _family_asks, _officer_task, _staff_relay, units_answer, world  # noqa: F401

COMBINATIONS = [(language, register) for language in LANGUAGES for register in REGISTERS]
MACRONS = "Kua tae mai a Mere ki ngā hui ā-rōpū: ā ē ī ō ū"


async def _answered(world, keys_dir, withhold=True):  # noqa: F811
    """Aroha's access request answered by both units: the service reporting unit withholds her family plan (it
    tells of her sister's own situation), once the provider's outcomes report has brought it there."""
    sessions, link, conversations, agreement = world
    await outcomes_are_sent(sessions, link, agreement, keys_dir)
    chat = await _family_asks(conversations, sessions)
    await _staff_relay(sessions, link, agreement)
    await link.settle()
    def give(unit, records):
        if unit == "service-reporting" and withhold:
            plan = family_plan(records)
            sister = {plan.id: ("another_persons_affairs", "Mostly about your sister.")}
            return answering.Answer(release=[r.id for r in records if r is not plan], withhold=sister)
        return answering.Answer(release=[r.id for r in records])

    await units_answer(sessions, link, give)
    async with sessions.begin() as session:
        request = (await session.exec(select(Request))).one()
        await move(session, request, "prepare", "staff", actor_label="kaimahi")
    return chat


async def _write_versions(sessions, language: str, register: str) -> None:
    async with sessions.begin() as session:
        request = (await session.exec(select(Request))).one()
        for item in await answer_items(session, request):
            if item.given:
                session.add(ItemVersion(request_id=request.id, item_key=item.key, language=language, audience=register,
                                        title=f"{item.title} ({language}/{register})", text=f"{MACRONS} {item.text}",
                                        written_by="kaimahi"))


async def _reads_in(sessions, language: str, register: str) -> None:
    async with sessions.begin() as session:
        link = (await session.exec(select(ChatLink))).one()
        link.language, link.audience = language, register
        session.add(link)


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


@pytest.mark.parametrize(("language", "register"), COMBINATIONS)
async def test_the_explanation_and_copies_are_made_in_each_language_and_register(world, language, register,  # noqa: F811
                                                                                tmp_path):
    sessions, link, conversations, agreement = world
    await _answered(world, tmp_path / "keys")
    await _write_versions(sessions, language, register)

    async with sessions.begin() as session:
        request = (await session.exec(select(Request))).one()
        explained, document = await delivery.copies(session, request, agreement, language, register, TODAY)

    text = "\n".join(say(part, language, register) for part in explained)
    assert agreement.text(agreement.unit("evaluation").purpose, language, register) in text
    assert "s 53(b)" in text and "Mostly about your sister." in text
    assert format_day(TODAY, language) in text
    pdf = _pdf_text(document.content)
    assert request.ref in pdf
    assert format_day(TODAY, language) in pdf
    if (language, register) == ("en", "adult"):
        assert "Attendance: 8 September 2026, group session" in pdf and "Came: yes" in pdf
    else:
        assert MACRONS in pdf
        assert f"({language}/{register})" in pdf


async def test_delivery_is_refused_while_the_familys_version_is_missing_and_nothing_is_sent(world, tmp_path):  # noqa: F811
    sessions, link, conversations, agreement = world
    await _answered(world, tmp_path / "keys")
    await _reads_in(sessions, "mi", "child")

    async with sessions.begin() as session:
        request = (await session.exec(select(Request))).one()
        with pytest.raises(delivery.DeliveryError, match="child version in te reo Māori"):
            await delivery.deliver(session, request, "kaimahi")

    async with sessions() as session:
        assert (await session.exec(select(Request))).one().state == "preparing"


def test_a_copy_over_telegrams_limit_is_refused_with_a_clear_message(monkeypatch):
    # Making a real 50 MB PDF takes minutes; the limit is the same check at any size.
    monkeypatch.setattr("bot.copies.pdf.TELEGRAM_DOCUMENT_LIMIT", 10_000)

    with pytest.raises(TooLarge, match="up to 50 MB"):
        copy_pdf("BFF-2026-000001", "Aroha", TODAY, "CCSS", [Page("Scan", "y" * 40_000)], "en", "adult")


async def test_the_family_chooses_copies_and_gets_the_explanation_and_the_pdf_in_their_register(world, tmp_path):  # noqa: F811
    sessions, link, conversations, agreement = world
    chat = await _answered(world, tmp_path / "keys")
    await _reads_in(sessions, "mi", "child")
    await _write_versions(sessions, "mi", "child")
    async with sessions.begin() as session:
        await delivery.deliver(session, (await session.exec(select(Request))).one(), "kaimahi")

    await chat.press_action(f"copies:{'BFF-2026-000001'}", screen=0)

    documents = [r.document for r in chat.said.replies if r.document]
    assert len(documents) == 1 and documents[0].filename == "BFF-2026-000001-mi-child.pdf"
    assert MACRONS in _pdf_text(documents[0].content)
    async with sessions() as session:
        assert (await session.exec(select(Request))).one().read_together is False


async def test_reading_together_is_recorded_and_staff_are_told(world, tmp_path):  # noqa: F811
    from bot.models import ContactRequest

    sessions, link, conversations, agreement = world
    chat = await _answered(world, tmp_path / "keys")
    async with sessions.begin() as session:
        await delivery.deliver(session, (await session.exec(select(Request))).one(), "kaimahi")

    await chat.press_action("together:BFF-2026-000001", screen=0)

    async with sessions() as session:
        assert (await session.exec(select(Request))).one().read_together is True
        notes = [c.note for c in await session.exec(select(ContactRequest))]
    assert any("BFF-2026-000001" in note for note in notes)


async def test_from_the_agencys_answer_to_a_te_reo_maori_child_pdf_arriving_in_telegram(seeded_url, tmp_path):
    from bot.chat.conversation import Conversations
    from bot.models import Person
    from bot.people.enrolment import issue_code
    from protocol.agreement import load_agreement
    from tests.bot.test_telegram_channel import read_until
    from tests.fakes.telegram_api import FakeTelegram
    from tono.app import telegram_channel
    from tono.database import make_engine, make_sessionmaker
    from tono.link import Link

    engine = make_engine(seeded_url)
    sessions, agreement = make_sessionmaker(engine), load_agreement()
    link = Link(sessions, agreement, tmp_path / "keys", today=lambda: TODAY)
    conversations = Conversations(sessions, agreement, today=lambda: TODAY, outbox=link.provider)
    async with FakeTelegram() as fake:
        channel = telegram_channel("aiogram", fake.token, conversations, api_base=fake.base_url)
        await channel.start_polling()
        try:
            mere_parent = fake.user(4242, "Aroha", language_code="mi")
            async with sessions.begin() as session:
                aroha = (await session.exec(select(Person).where(Person.ref == "P-0001"))).one()
                code = await issue_code(session, aroha)
            await mere_parent.send_command("/start", code)
            await read_until(mere_parent, "Kia ora Aroha")
            async with sessions.begin() as session:  # the chat reads te reo Māori, child register
                chat = (await session.exec(select(ChatLink))).one()
                chat.language, chat.audience = "mi", "child"
                session.add(chat)
            await _ask_and_answer_through(sessions, link, conversations, agreement, mere_parent, channel)
            await _write_versions(sessions, "mi", "child")
            async with sessions.begin() as session:
                await delivery.deliver(session, (await session.exec(select(Request))).one(), "kaimahi")
            channel.notifier.wake()  # the news waits in the outbox the channel's sender drains
            for _ in range(30):
                ready = [m for m in mere_parent.messages if "copies:BFF-2026-000001" in str(m.get("reply_markup"))]
                if ready:
                    break
                await mere_parent.next_message()

            await mere_parent.press(ready[-1], "0:copies:BFF-2026-000001")

            for _ in range(20):
                if fake.uploads:
                    break
                await mere_parent.next_message()
            upload = fake.uploads[-1]
        finally:
            await channel.stop()
    await engine.dispose()

    assert ready, "the family was offered the copies"
    assert upload.filename == "BFF-2026-000001-mi-child.pdf"
    text = _pdf_text(upload.data)
    assert MACRONS in text
    assert format_day(TODAY, "mi") in text


def _screen(user) -> int:
    data = user.messages[-1]["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    return int(data.split(":")[0])


async def _ask_and_answer_through(sessions, link, conversations, agreement, user, channel):
    """The request made in Telegram, relayed, answered by both units and prepared by staff."""
    await channel.notifier.deliver()  # the earlier turns' replies are all in the chat before we look for new ones
    seen = len(user.messages)
    await user.send_command("/menu")
    for action in ("access", "self", "both", "skip", "copy", "no", "send"):
        message = await _new_buttons(user, seen)
        seen = len(user.messages)
        screen = message["reply_markup"]["inline_keyboard"][0][0]["callback_data"].split(":")[0]
        await user.press(message, f"{screen}:{action}")
    for _ in range(30):
        async with sessions() as session:
            if (await session.exec(select(Request))).first() is not None:
                break
        await user.next_message()
    await _staff_relay(sessions, link, agreement)
    await link.settle()
    await units_answer(sessions, link, lambda unit, records: answering.Answer(release=[r.id for r in records]))
    async with sessions.begin() as session:
        await move(session, (await session.exec(select(Request))).one(), "prepare", "staff", actor_label="kaimahi")


async def _new_buttons(user, seen: int) -> dict:
    """The first message with buttons that arrived after the first `seen` messages."""
    for _ in range(20):
        for message in user.messages[seen:]:
            if message.get("reply_markup", {}).get("inline_keyboard"):
                return message
        await user.next_message()
    raise AssertionError("no new buttons arrived")


async def test_who_has_seen_names_ccss_staff_and_the_agency_units_that_opened_the_records(world):  # noqa: F811
    from agency.moves import record_opening as agency_opening
    from bot.requests.moves import record_opening

    sessions, link, conversations, agreement = world
    chat = await _family_asks(conversations, sessions)
    await _staff_relay(sessions, link, agreement)
    await link.settle()
    async with sessions.begin() as session:
        await record_opening(session, (await session.exec(select(Request))).one(), "staff", "Kaimahi", "request page")
    officer, task = await _officer_task(sessions, "evaluation")
    async with sessions.begin() as session:
        await agency_opening(session, task.request_id, task.id, "officer", officer.login, "records", outbox=link.agency)
    await link.settle()

    await chat.press_action("seen")

    seen = chat.all_text
    assert "a CCSS staff member opened request BFF-2026-000001" in seen
    assert "an officer of " in seen and agreement.text(agreement.unit("evaluation").name, "en", "adult") in seen
    assert "Kaimahi" not in seen and officer.login not in seen


@pytest.mark.parametrize(("typed", "answer"), [("", "That message was empty"),
                                               ("x" * 10_000, "I can take up to 5000")],
                         ids=["empty", "10000-characters"])
async def test_a_statement_of_correction_that_is_empty_or_too_long_gets_a_clear_answer_and_nothing_is_sent(
        world, typed, answer):  # noqa: F811
    from bot.models import CorrectionStatement
    from linkqueue.tables import QUEUE_TABLES

    sessions, link, conversations, agreement = world
    chat = await _family_asks(conversations, sessions, kind="correction")
    await _staff_relay(sessions, link, agreement)
    await link.settle()
    await units_answer(sessions, link, lambda unit, records: answering.Answer(
        not_corrected={records[0].id: "The record says what was seen at the time."}))
    async with sessions.begin() as session:
        request = (await session.exec(select(Request))).one()
        await move(session, request, "prepare", "staff", actor_label="kaimahi")
        await delivery.deliver(session, request, "kaimahi")
    await chat.press_action("copies:BFF-2026-000001", screen=0)
    attach = next(b.action for r in chat.said.replies for row in r.buttons for b in row
                  if b.action.startswith("statement:"))
    await chat.press_action(attach, screen=0)
    async with sessions() as session:
        queued = len((await session.exec(select(QUEUE_TABLES["provider"].outbox.c.id))).all())

    await chat.send(typed)

    assert answer in chat.all_text
    async with sessions() as session:
        assert (await session.exec(select(CorrectionStatement))).all() == []
        assert len((await session.exec(select(QUEUE_TABLES["provider"].outbox.c.id))).all()) == queued
    await chat.send("I left the session early because my son was sick; I did not miss it.")
    await link.settle()
    async with sessions() as session:
        [statement] = (await session.exec(select(CorrectionStatement))).all()
        record = await session.get(AgencyRecord, int(statement.item_key.split(":")[1]))
    assert statement.attached_on == TODAY
    assert record.statement_of_correction == statement.statement
    assert "Your statement has gone to the agency" in chat.all_text


async def test_the_web_chat_downloads_a_copy_only_for_the_chat_it_was_offered_to(world, tmp_path):  # noqa: F811
    sessions, link, conversations, agreement = world
    await _answered(world, tmp_path / "keys")
    await _write_versions(sessions, "mi", "child")
    async with sessions.begin() as session:
        await delivery.deliver(session, (await session.exec(select(Request))).one(), "kaimahi")

    mine = await conversations.copies_document("test", "aroha", "BFF-2026-000001", "mi", "child")
    missing = await conversations.copies_document("test", "aroha", "BFF-2026-000001", "en", "child")
    someone_else = await conversations.copies_document("test", "stranger", "BFF-2026-000001", "mi", "child")

    assert MACRONS in _pdf_text(mine.content)
    assert (missing, someone_else) == (None, None)


async def test_the_copies_a_press_asks_for_are_drawn_before_its_turn_holding_no_database(world, tmp_path, monkeypatch):  # noqa: F811
    import asyncio
    import time

    from sqlalchemy import text

    sessions, link, conversations, agreement = world
    chat = await _answered(world, tmp_path / "keys")
    await _write_versions(sessions, "en", "adult")
    async with sessions.begin() as session:
        await delivery.deliver(session, (await session.exec(select(Request))).one(), "kaimahi")
    real = delivery.draw_copies

    def slow(material):
        time.sleep(1.0)  # a long PDF: CPU-bound, holding its thread
        return real(material)

    monkeypatch.setattr(delivery, "draw_copies", slow)
    pressing = asyncio.create_task(chat.press_action("copies:BFF-2026-000001", screen=0))
    await asyncio.sleep(0.3)  # the copies are being drawn now
    started = time.perf_counter()
    async with sessions() as session:  # anyone else's turn, a desk page, /healthz
        await session.exec(text("SELECT 1"))
    waited = time.perf_counter() - started
    await pressing

    assert waited < 0.5, f"the database waited {waited:.2f} s for the drawing"
    assert [r.document.filename for r in chat.said.replies if r.document] == ["BFF-2026-000001-en-adult.pdf"]
