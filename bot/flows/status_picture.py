"""The picture of a request's steps: a small PNG timeline for "Where is my request?", in the family's language
and register. The words in the chat stay the answer; the picture only shows the same at a glance.

The steps run top to bottom, as parcel trackers on phones do: a phone shows a photo about 330 points wide, and
five steps side by side would leave each word a few pixels high. It never relies on colour alone: a done step
is a filled circle with a tick, the step happening now a thick ring with a dot and a "Now" tag, a step still
to come an empty thin ring and grey words, a late step a ring with an exclamation mark and a "Late" tag. Dark
on white throughout (every colour here is at least 4.5:1 against what it is drawn on). The font is DejaVu
Sans, shipped with the copies, which has the macrons of te reo Māori."""

from __future__ import annotations

import html
import io
from functools import cache

from PIL import Image, ImageDraw, ImageFont

from bot.copies.pdf import FONTS
from bot.flows.timeline import Step
from bot.language.i18n import Plain, Text, _, format_day, say

SIZE = (640, 400)
MARGIN = 18
PAPER, INK, DONE, LATE, TO_COME = "#ffffff", "#1b1b1b", "#0b5d4b", "#a4161a", "#595959"
NODE_X, RADIUS = MARGIN + 20, 17
TEXT_X = NODE_X + RADIUS + 20
FIRST_ROW, ROW = 112, 64  # the centre of the first step, and the distance between steps


@cache
def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")), size)


def _said(text: Text, language: str, register: str) -> str:
    """A sentence as drawn: said in the family's language, without the HTML escaping the chat needs."""
    return html.unescape(say(text, language, register))


def _fitted(draw: ImageDraw.ImageDraw, text: str, font, width: float) -> str:
    """The text, cut short with "…" if it is wider than `width` (the words in the chat say it whole)."""
    if draw.textlength(text, font=font) <= width:
        return text
    while len(text) > 1 and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _node(draw: ImageDraw.ImageDraw, y: float, step: Step) -> None:
    x = NODE_X
    box = (x - RADIUS, y - RADIUS, x + RADIUS, y + RADIUS)
    if step.mark == "done":
        draw.ellipse(box, fill=DONE)
        draw.line([(x - 8, y), (x - 2, y + 7), (x + 9, y - 7)], fill=PAPER, width=4, joint="curve")
    elif step.late:
        draw.ellipse(box, fill=PAPER, outline=LATE, width=5)
        draw.text((x, y), "!", font=_font(22, bold=True), fill=LATE, anchor="mm")
    elif step.mark == "now":
        draw.ellipse(box, fill=PAPER, outline=DONE, width=5)
        draw.ellipse((x - 7, y - 7, x + 7, y + 7), fill=DONE)
    else:
        inner = RADIUS - 3
        draw.ellipse((x - inner, y - inner, x + inner, y + inner), fill=PAPER, outline=TO_COME, width=2)


def _track(draw: ImageDraw.ImageDraw, y0: float, y1: float, behind: bool) -> None:
    """The line between two steps: solid where the way is behind, dashed where it is still ahead."""
    y0, y1 = y0 + RADIUS + 3, y1 - RADIUS - 3
    if behind:
        draw.line([(NODE_X, y0), (NODE_X, y1)], fill=DONE, width=4)
        return
    y = y0
    while y < y1:
        draw.line([(NODE_X, y), (NODE_X, min(y + 5, y1))], fill=TO_COME, width=2)
        y += 10


def _tag(draw: ImageDraw.ImageDraw, y: float, step: Step, language: str, register: str) -> float:
    """The "Now" or "Late" tag at the right of a step's name; returns where it starts (or the right edge)."""
    right = SIZE[0] - MARGIN
    if not (step.late or step.mark == "now"):
        return right
    words = _said(_("Late") if step.late else _("Now"), language, register)
    font = _font(16, bold=True)
    left = right - draw.textlength(words, font=font) - 20
    draw.rounded_rectangle((left, y - 13, right, y + 13), radius=13, fill=LATE if step.late else DONE)
    draw.text(((left + right) / 2, y), words, font=font, fill=PAPER, anchor="mm")
    return left


def _day_line(step: Step, language: str, register: str) -> tuple[str, str]:
    """The words under a step's name about its day, and their colour."""
    if step.mark == "done":
        return (format_day(step.day, language) if step.day else ""), INK
    if step.late:
        return _said(_("Was due by {due}", due=step.due), language, register), LATE
    if step.due:
        return _said(_("Due by {due}", due=step.due), language, register), INK
    return "", TO_COME


def draw_steps(ref: str, kind: Text, shown: list[Step], language: str, register: str) -> bytes:
    """The timeline of one request as a PNG of SIZE, every word in `language` and `register`."""
    image = Image.new("RGB", SIZE, PAPER)
    draw = ImageDraw.Draw(image)
    width = SIZE[0] - TEXT_X - MARGIN
    heading = _said(_("Request {ref}", ref=Plain(ref)), language, register)
    draw.text((MARGIN, MARGIN), _fitted(draw, heading, _font(26, bold=True), SIZE[0] - 2 * MARGIN),
              font=_font(26, bold=True), fill=INK)
    draw.text((MARGIN, MARGIN + 36), _fitted(draw, _said(kind, language, register), _font(20), SIZE[0] - 2 * MARGIN),
              font=_font(20), fill=INK)
    rows = [FIRST_ROW + ROW * i for i in range(len(shown))]
    for i in range(len(shown) - 1):
        _track(draw, rows[i], rows[i + 1], shown[i + 1].mark in ("done", "now"))
    for y, step in zip(rows, shown, strict=True):
        _node(draw, y, step)
        tag_left = _tag(draw, y - 10, step, language, register)
        name, label_font = _said(step.label, language, register), _font(22, bold=True)
        draw.text((TEXT_X, y - 3), _fitted(draw, name, label_font, tag_left - TEXT_X - 10), font=label_font,
                  fill=TO_COME if step.mark == "next" else INK, anchor="ls")
        day, colour = _day_line(step, language, register)
        draw.text((TEXT_X, y + 22), _fitted(draw, day, _font(19), width), font=_font(19), fill=colour, anchor="ls")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
