"""Preparing the answer: each item the family will get, its adult English text as released, and beside it
the versions staff write (the child version in English; te reo Māori versions by staff or a translator),
with the English reading level and what is still missing for the family's language and register.

The items, versions and what is missing are bot.copies.items'; the family's language and register are
bot.requests.delivery's. This module only arranges them for the page and saves one version in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field

import textstat
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.copies.items import PROVIDER, Item, answer_items, missing, versions
from bot.desk import store
from bot.desk.context import DeskContext
from bot.desk.forms import VersionIn
from bot.desk.request_page import unit_name
from bot.desk.views import long_day, state_label
from bot.flows.chat import Button
from bot.language.i18n import Plain, _
from bot.models import ItemVersion, Request, RequestEvent, StaffAccount
from bot.outbound.notify import notify
from bot.requests.delivery import family_reads_in
from bot.requests.moves import record_still
from deskkit.problems import DeskProblem
from protocol import lifecycle
from protocol.agreement import Agreement
from protocol.clock import utcnow

LANGUAGES = {"en": "English", "mi": "te reo Māori"}
REGISTERS = {"adult": "adult", "child": "child"}
WRITTEN = (("en", "child"), ("mi", "adult"), ("mi", "child"))  # en/adult is the record as released
AIM = {"child": 4, "adult": 8}  # Flesch–Kincaid grade, English only (DESIGN §5)
SEEN_AS = "answer preparation page"


def variant_name(language: str, register: str) -> str:
    return f"{register} version in {LANGUAGES[language]}"


@dataclass(frozen=True)
class Reading:
    """The English reading level of a text: its Flesch–Kincaid grade against the aim for its register."""

    grade: float
    aim: int

    @property
    def ok(self) -> bool:
        return self.grade <= self.aim

    @property
    def word(self) -> str:
        return "OK" if self.ok else "Too hard"

    @property
    def shown(self) -> str:
        return f"{max(self.grade, 0.0):.1f}"

    @property
    def sentence(self) -> str:
        return f"Reading level: grade {self.shown} (aim: {self.aim} or lower): {self.word}."


def reading(text: str, register: str) -> Reading | None:
    """Flesch–Kincaid grade of an English text (textstat 0.7.8 works offline); None for an empty text."""
    if not text.strip():
        return None
    return Reading(round(float(textstat.flesch_kincaid_grade(text)), 1), AIM[register])


def holder_name(agreement: Agreement, holder: str) -> str:
    return agreement.provider.name if holder == PROVIDER else unit_name(agreement, holder)


def child_template(item: Item, holder: str) -> str:
    """A start for a child version in English, in plain words; staff rewrite it."""
    when = f" It was written on {long_day(item.record_date)}." if item.record_date else ""
    return f"This is a record about you from {holder}.{when} It says: …"


def anchor_of(item_key: str) -> str:
    return "item-" + "".join(c if c.isalnum() else "-" for c in item_key)


@dataclass
class VersionForm:
    language: str
    register: str
    title: str
    text: str
    saved: ItemVersion | None
    for_family: bool
    from_template: bool = False
    reading: Reading | None = None  # English only, of the saved text
    error: str = ""

    @property
    def name(self) -> str:
        return variant_name(self.language, self.register)

    @property
    def heading(self) -> str:
        return self.name[:1].upper() + self.name[1:]

    @property
    def missing(self) -> bool:
        return self.saved is None or not self.saved.text.strip()

    @property
    def anchor(self) -> str:
        return f"{self.language}-{self.register}"


@dataclass
class ItemPanel:
    item: Item
    holder: str
    released_reading: Reading | None
    forms: list[VersionForm] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return anchor_of(self.item.key)

    @property
    def hard_to_read(self) -> bool:
        return self.released_reading is not None and not self.released_reading.ok


@dataclass
class PreparePage:
    request: Request
    language: str
    register: str
    items: list[ItemPanel]
    lacking: list[Item]

    @property
    def family_reads(self) -> str:
        return variant_name(self.language, self.register)

    @property
    def missing_links(self) -> list[tuple[str, str]]:
        return [(anchor_of(item.key), item.title) for item in self.lacking]

    @property
    def ready(self) -> bool:
        return not self.lacking

    @property
    def hard_to_read(self) -> int:
        """How many records, as released, read above the plain-language aim for adults."""
        return sum(panel.hard_to_read for panel in self.items)


def variants_for(language: str, register: str) -> list[tuple[str, str]]:
    """The versions staff write, the family's own first (unless it is the record as released)."""
    family = (language, register)
    return ([family] if family in WRITTEN else []) + [v for v in WRITTEN if v != family]


async def load(session: AsyncSession, agreement: Agreement, request: Request, typed: dict | None = None,
               error: str = "") -> PreparePage:
    """The page's contents; `typed` (item key, language, register, title, text) puts back what staff typed
    into the form that was refused, with `error` beside it."""
    language, register = await family_reads_in(session, request)
    items = [item for item in await answer_items(session, request) if item.given]
    written = await versions(session, request)
    panels = []
    for item in items:
        holder = holder_name(agreement, item.holder)
        panel = ItemPanel(item, holder, reading(item.text, "adult"))
        for lang, reg in variants_for(language, register):
            saved = written.get((item.key, lang, reg))
            form = VersionForm(lang, reg, saved.title if saved else "", saved.text if saved else "", saved,
                               (lang, reg) == (language, register))
            if saved is None and (lang, reg) == ("en", "child"):
                form.title, form.text, form.from_template = item.title, child_template(item, holder), True
            if saved is not None and lang == "en":
                form.reading = reading(saved.text, reg)
            if typed and typed.get("key") == (item.key, lang, reg):
                form.title, form.text, form.error = typed.get("title", ""), typed.get("text", ""), error
                form.from_template = False
            panel.forms.append(form)
        panels.append(panel)
    return PreparePage(request, language, register, panels, missing(items, language, register, written))


async def request_preparing(session: AsyncSession, ref: str) -> Request:
    """A request whose versions may be written: while its answer is prepared, and after it is delivered (the
    family may ask for it in another language or register later)."""
    request = await store.request_to_change(session, ref)
    if request.state != "preparing" and request.state not in lifecycle.ANSWER_GIVEN:
        raise DeskProblem(409, f"Versions are written while the answer is being prepared, or after it is delivered; "
                               f"this request is '{state_label(request.state)}'.")
    return request


async def tell_when_ready(session: AsyncSession, request: Request, language: str, register: str,
                          staff: str) -> bool:
    """After delivery, once every item has the version a language and register need, the family is told (once
    for each version) and given a button that sends it."""
    if request.state not in lifecycle.ANSWER_GIVEN:
        return False
    if missing(await answer_items(session, request), language, register, await versions(session, request)):
        return False
    told = await session.exec(select(RequestEvent).where(RequestEvent.request_id == request.id,
                                                          RequestEvent.trigger == "version_ready"))
    if any((e.detail or {}) == {"language": language, "register": register} for e in told):
        return False
    await record_still(session, request, "version_ready", "staff", staff,
                       {"language": language, "register": register})
    await notify(session, request, _("Another version of the answer to your request {ref} is ready.",
                                     ref=Plain(request.ref)),
                 Button(_("Send it to me"), f"copy:{request.ref}:{language}:{register}"))
    return True


def check_variant(language: str, register: str) -> None:
    if language not in LANGUAGES or register not in REGISTERS:
        raise DeskProblem(404, "There is no such version: the language is en or mi, the register adult or child.")
    if (language, register) == ("en", "adult"):
        raise DeskProblem(422, "The adult version in English is the record as released; it cannot be rewritten "
                               "here. Write the child version or a te reo Māori version.")


async def given_item(session: AsyncSession, request: Request, item_key: str) -> Item:
    for item in await answer_items(session, request):
        if item.key == item_key and item.given:
            return item
    raise DeskProblem(404, f"There is no item {item_key[:64]!r} the family will get a copy of in this request.")


async def save(ctx: DeskContext, staff: StaffAccount, ref: str, item_key: str, language: str, register: str,
               data: VersionIn) -> str:
    """Write or rewrite one version of one item, all or nothing; the sentence says what was done."""
    check_variant(language, register)
    async with ctx.sessions.begin() as session:
        request = await request_preparing(session, ref)
        item = await given_item(session, request, item_key)
        found = (await session.exec(select(ItemVersion).where(
            ItemVersion.request_id == request.id, ItemVersion.item_key == item.key,
            ItemVersion.language == language, ItemVersion.audience == register))).first()
        if found is None:
            found = ItemVersion(request_id=request.id, item_key=item.key, language=language, audience=register,
                                title=data.title, text=data.text)
        found.title, found.text = data.title, data.text
        found.written_by, found.updated_at = staff.display_name[:64], utcnow()
        session.add(found)
        await session.flush()
        told = await tell_when_ready(session, request, language, register, staff.display_name)
    level = reading(data.text, register) if language == "en" else None
    said = f"Saved the {variant_name(language, register)} of “{item.title[:120]}”." + (
        " Every item now has it: the family is told it is ready." if told else "")
    return f"{said} {level.sentence}" if level else said
