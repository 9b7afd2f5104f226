"""Copies as PDF: a cover page saying what this is, for whom, when and by whom it was made; each item in
the family's language and register; the request reference in every footer. The font (DejaVu Sans,
shipped in bot/copies/fonts with its licence) has the macrons of te reo Māori: ā ē ī ō ū."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from fpdf import FPDF

from bot.language.i18n import Plain, Text, _, say

FONTS = Path(__file__).parent / "fonts"
TELEGRAM_DOCUMENT_LIMIT = 50 * 1024 * 1024


class TooLarge(ValueError):
    """A copy over Telegram's 50 MB limit for a document."""


@dataclass(frozen=True)
class Page:
    title: str
    text: str
    record_date: str = ""


def _plain(html: str) -> str:
    """Catalogue sentences carry a little HTML for the chat; a PDF wants none of it."""
    import html as html_module
    import re

    return html_module.unescape(re.sub(r"</?\w+>", "", html))


class _Copy(FPDF):
    def __init__(self, footer_text: str):
        super().__init__(format="A4")
        self.footer_text = footer_text
        self.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_auto_page_break(True, margin=18)

    def para(self, height: float, text: str) -> None:
        """A paragraph, then back to the left margin on the next line."""
        self.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT")

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("DejaVu", "", 8)
        self.cell(0, 6, f"{self.footer_text} · {self.page_no()}", align="C")


def copy_pdf(ref: str, for_whom: str, made_on: date, made_by: str, pages: list[Page], language: str,
             register: str, explanation: list[Text] = ()) -> bytes:
    """The copies as one PDF in the family's language and register."""
    def words(text: Text) -> str:
        return _plain(say(text, language, register))

    pdf = _Copy(words(_("Request {ref}", ref=Plain(ref))))
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 18)
    pdf.para(10, words(_("Copies of your records")))
    pdf.ln(4)
    pdf.set_font("DejaVu", "", 12)
    pdf.para(7, words(_(
        "These are copies of the records {provider} and the agency hold about {whom}, for request {ref}. They were "
        "made on {day} by {by}. Records can be hard to read: if you would like, a worker can read them with you.",
        whom=Plain(for_whom), ref=Plain(ref), day=made_on, by=Plain(made_by))))
    pdf.ln(4)
    for part in explanation:
        pdf.para(7, words(part))
        pdf.ln(2)
    for page in pages:
        pdf.add_page()
        pdf.set_font("DejaVu", "B", 14)
        pdf.para(8, page.title)
        if page.record_date:
            pdf.set_font("DejaVu", "", 10)
            pdf.para(6, words(_("Date of the record: {day}", day=date.fromisoformat(page.record_date))))
        pdf.ln(2)
        pdf.set_font("DejaVu", "", 12)
        pdf.para(7, page.text)
    data = bytes(pdf.output())
    if len(data) > TELEGRAM_DOCUMENT_LIMIT:
        raise TooLarge(f"The copies are {len(data) // (1024 * 1024)} MB; Telegram takes documents up to 50 MB.")
    return data
