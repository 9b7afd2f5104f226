"""The items of an answer: what each unit released, withheld, did not hold, corrected, and CCSS's own
records, each with its versions for the family's language and register."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.models import ItemVersion, ProviderRecord, Request, StudyPart, UnitAnswer

PROVIDER = "ccss"
GIVEN = ("released", "corrected", "record")  # the kinds a family receives a copy of


@dataclass(frozen=True)
class Item:
    key: str  # "<holder>:<id>"
    holder: str  # an agency unit id, or "ccss"
    kind: str  # released, withheld, not_held, corrected, not_corrected, record
    title: str
    text: str  # the adult text, as released
    record_date: str = ""
    ground: str = ""
    explanation: str = ""
    # Held by the unit under a study number, and answered by it without learning who asked (a study part).
    study_numbered: bool = False

    @property
    def given(self) -> bool:
        return self.kind in GIVEN


STUDY_ITEM = "study-"  # an item key's id starts so for a record a unit holds under a study number


def _unit_items(unit: str, body: dict, study_numbered: bool = False) -> list[Item]:
    """A unit's answer (a unit.answered body) as items."""
    key, study = (f"{unit}:{STUDY_ITEM}", True) if study_numbered else (f"{unit}:", False)
    items = [Item(f"{key}{i['item_id']}", unit, "released", i["title"], i["text"], i.get("record_date", ""),
                  study_numbered=study) for i in body.get("released", [])]
    items += [Item(f"{key}{i['item_id']}", unit, "corrected", i["title"], i["new_text"], study_numbered=study)
              for i in body.get("corrected", [])]
    items += [Item(f"{key}{i['item_id']}", unit, "withheld", i["title"], "", ground=i["ground"],
                   explanation=i["explanation"], study_numbered=study) for i in body.get("withheld", [])]
    items += [Item(f"{key}not-held-{n}", unit, "not_held", "", i["description"], study_numbered=study)
              for n, i in enumerate(body.get("not_held", []))]
    items += [Item(f"{key}{i['item_id']}", unit, "not_corrected", i["title"], "", explanation=i["reason"],
                   study_numbered=study) for i in body.get("not_corrected", [])]
    if ncnd := body.get("neither_confirm_nor_deny"):  # the whole answer: nothing else comes with it
        items.append(Item(f"{key}neither-confirm-nor-deny", unit, "neither_confirm_nor_deny", "", "",
                          ground=ncnd["ground"], explanation=ncnd.get("explanation", ""), study_numbered=study))
    if body.get("not_ours"):
        items.append(Item(f"{key}not-ours", unit, "not_ours", "", "", study_numbered=study))
    return items


async def answer_items(session: AsyncSession, request: Request) -> list[Item]:
    items: list[Item] = []
    answers = await session.exec(select(UnitAnswer).where(UnitAnswer.request_id == request.id).order_by(UnitAnswer.id))
    for answer in answers:
        items += _unit_items(answer.unit, answer.body)
    # Each study part's answer, as that unit's part, held apart from its named part (keys "<unit>:study-<id>").
    parts = await session.exec(select(StudyPart).where(StudyPart.request_id == request.id,
                                                       StudyPart.state == "answered").order_by(StudyPart.id))
    for part in parts:
        items += _unit_items(part.unit, part.answer or {}, study_numbered=True)
    if request.scope in ("provider", "both") and request.subject_id is not None:
        records = await session.exec(select(ProviderRecord).where(ProviderRecord.person_id == request.subject_id)
                                     .order_by(ProviderRecord.record_date, ProviderRecord.id))
        items += [Item(f"{PROVIDER}:{r.id}", PROVIDER, "record", r.title, r.body, r.record_date.isoformat())
                  for r in records]
    return items


async def versions(session: AsyncSession, request: Request) -> dict[tuple[str, str, str], ItemVersion]:
    """Written versions by (item key, language, register)."""
    rows = await session.exec(select(ItemVersion).where(ItemVersion.request_id == request.id))
    return {(v.item_key, v.language, v.audience): v for v in rows}


def version_text(item: Item, language: str, register: str, written: dict) -> tuple[str, str] | None:
    """(title, text) of an item as the family reads it, or None where that version is not written yet.
    The adult English version is the record as released."""
    if language == "en" and register == "adult":
        return item.title, item.text
    found = written.get((item.key, language, register))
    return (found.title, found.text) if found is not None and found.text.strip() else None


def missing(items: list[Item], language: str, register: str, written: dict) -> list[Item]:
    """The items the family would get that still lack the version their language and register need."""
    return [i for i in items if i.given and version_text(i, language, register, written) is None]
