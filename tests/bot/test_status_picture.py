"""The picture of a request's steps: drawn for every place on the main path in each language and register,
offered by "Where is my request?" and said in words for anyone who cannot see it."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont
from sqlmodel import select

from bot.copies.pdf import FONTS
from bot.flows.engine import NOTICE_SCREEN
from bot.flows.ports import Timeline
from bot.flows.status import picture_of
from bot.flows.status_picture import LATE, SIZE
from bot.flows.timeline import steps
from bot.language.i18n import LANGUAGES, REGISTERS, format_day, say
from bot.models import RequestEvent
from protocol.clock import nz_today
from tests.bot.chat_driver import TODAY
from tests.bot.test_family_flows import _enrolled, _make_request, _moved_to

DAYS = {"submit": date(2026, 11, 25), "approve": date(2026, 11, 26), "relay": date(2026, 11, 27),
        "acknowledge": date(2026, 11, 27), "complete": date(2027, 1, 12), "deliver": date(2027, 1, 14),
        "close": date(2027, 2, 1)}
DUE = date(2027, 1, 18)


def _reached(*triggers: str) -> dict[str, date]:
    return {trigger: DAYS[trigger] for trigger in triggers}


POSITIONS = {
    "submitted": Timeline("BFF-2026-000001", "access", "submitted", _reached("submit"), relay_by=date(2026, 11, 27)),
    "with the agency": Timeline("BFF-2026-000001", "access", "received",
                                _reached("submit", "approve", "relay", "acknowledge"), due_on=DUE),
    "overdue": Timeline("BFF-2026-000001", "correction", "received",
                        _reached("submit", "approve", "relay", "acknowledge"), due_on=DUE, overdue=True),
    "delivered": Timeline("BFF-2026-000001", "access", "delivered",
                          _reached("submit", "approve", "relay", "acknowledge", "complete", "deliver")),
    "closed": Timeline("BFF-2026-000001", "access", "closed", DAYS),
}


@pytest.mark.parametrize("register", REGISTERS)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("position", POSITIONS)
def test_the_picture_is_a_png_of_the_expected_size_at_every_step_in_each_language_and_register(position, language,
                                                                                             register):
    picture = picture_of(POSITIONS[position], language, register)

    image = Image.open(io.BytesIO(picture.content))
    assert picture.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert (image.format, image.size) == ("PNG", SIZE)
    assert picture.filename == f"BFF-2026-000001-{language}-{register}.png"
    words = " ".join(say(sentence, language, register) for sentence in picture.alt)
    assert "BFF-2026-000001" in words
    assert format_day(DAYS["submit"], language) in words


def test_each_place_on_the_way_marks_the_steps_done_now_and_still_to_come():
    marks = {position: [step.mark for step in steps(timeline)] for position, timeline in POSITIONS.items()}

    assert marks["submitted"] == ["done", "now", "next", "next", "next"]
    assert marks["with the agency"] == ["done", "done", "done", "now", "next"]
    assert marks["delivered"] == marks["closed"] == ["done"] * 5
    assert [s.day for s in steps(POSITIONS["closed"])] == [DAYS[t] for t in
                                                           ("submit", "approve", "acknowledge", "complete", "deliver")]
    assert steps(POSITIONS["submitted"])[2].due == date(2026, 11, 27)


def test_a_request_about_ccss_records_only_has_no_agency_steps():
    timeline = Timeline("BFF-2026-000002", "access", "preparing", _reached("submit", "approve"), via_agency=False)

    shown = steps(timeline)

    assert [say(s.label, "en", "adult") for s in shown] == ["Sent", "Checked by CCSS", "The answer is sent to you"]
    assert [s.mark for s in shown] == ["done", "done", "now"]


@pytest.mark.parametrize("state", ["draft", "withdrawn", "declined", "transferred"])
def test_a_request_off_the_main_path_is_told_in_words_only(state):
    assert steps(Timeline("BFF-2026-000003", "access", state)) == []


def test_a_late_request_is_drawn_late_and_says_so_in_words():
    late, on_time = picture_of(POSITIONS["overdue"], "en", "adult"), picture_of(POSITIONS["with the agency"], "en",
                                                                                "adult")

    words = " ".join(say(sentence, "en", "adult") for sentence in late.alt)
    assert f"The agency decides: late. It was due by {format_day(DUE, 'en')}." in words
    red = tuple(int(LATE[i:i + 2], 16) for i in (1, 3, 5))
    assert red in {colour for _count, colour in Image.open(io.BytesIO(late.content)).convert("RGB").getcolors(10**6)}
    assert red not in {c for _n, c in Image.open(io.BytesIO(on_time.content)).convert("RGB").getcolors(10**6)}


@pytest.mark.parametrize("name", ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"])
def test_the_pictures_fonts_draw_every_macron_of_te_reo_maori(name):
    glyphs = TTFont(FONTS / name).getBestCmap()
    font = ImageFont.truetype(str(FONTS / name), 14)

    for vowel, plain in zip("āēīōūĀĒĪŌŪ", "aeiouAEIOU", strict=True):
        assert ord(vowel) in glyphs, vowel
        assert _drawn(vowel, font) != _drawn(plain, font), vowel


def _drawn(letter: str, font) -> bytes:
    image = Image.new("L", (30, 30))
    ImageDraw.Draw(image).text((5, 5), letter, font=font, fill=255)
    return image.tobytes()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_where_is_my_request_offers_the_picture_and_sends_it_with_its_words(new_chat, sessions):
    chat = await _enrolled(new_chat, sessions)
    await _make_request(chat)
    await chat.command("status")
    assert "Show it as a picture" in chat.labels

    await chat.press("Show it as a picture")

    [reply] = chat.said.replies
    assert reply.picture is not None
    assert Image.open(io.BytesIO(reply.picture.content)).size == SIZE
    assert "Request BFF-2026-000001, step by step" in chat.last
    async with sessions() as session:
        [event] = await session.exec(select(RequestEvent))
    words = [say(sentence, "en", "adult") for sentence in reply.picture.alt]
    assert f"Sent: done on {format_day(nz_today(event.at), 'en')}." in words
    assert "Checked by CCSS: happening now." in words


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_withdrawn_request_is_not_offered_as_a_picture_and_a_forged_press_does_nothing(new_chat, sessions):
    chat = await _enrolled(new_chat, sessions)
    await _make_request(chat)
    await _moved_to(sessions, "withdrawn")
    await chat.command("status")
    assert "Show it as a picture" not in chat.labels

    await chat.press_action("picture:BFF-2026-000001", screen=NOTICE_SCREEN)
    await chat.press_action("picture:BFF-2026-999999", screen=NOTICE_SCREEN)

    assert chat.said.replies == []
    assert say(chat.said.notice, "en", "adult") == "That button does nothing here."


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_the_picture_of_a_late_request_is_said_late_in_te_reo_maori_too(new_chat, sessions):
    chat = await _enrolled(new_chat, sessions)
    await _make_request(chat)
    await _moved_to(sessions, "received", due_on=TODAY - timedelta(days=3))
    await chat.press("English / te reo Māori")
    await chat.press("Te reo Māori")
    await chat.command("status")

    await chat.press_action("picture:BFF-2026-000001", screen=NOTICE_SCREEN)

    [reply] = chat.said.replies
    words = " ".join(say(sentence, "mi", "adult") for sentence in reply.picture.alt)
    assert "kua tōmuri" in words
    assert format_day(TODAY - timedelta(days=3), "mi") in words
