"""The explanation that comes with the copies: what is held, by which part of CCSS or the agency, for what
purpose, who sees it, what was withheld and why, what was not held, and what the family can do next.
Sentences come from the catalogues; names and purposes from the agreement; record text as released."""

from __future__ import annotations

from datetime import date

from bot.copies.grounds import PLAIN_GROUNDS, section
from bot.copies.items import PROVIDER, Item
from bot.language.i18n import Plain, Text, _
from protocol.agreement import Agreement


def _holder(agreement: Agreement, holder: str, language: str, register: str,
            study_numbered: bool = False) -> tuple[Plain, Plain, Plain]:
    """(name, purpose, who sees it) of a part of CCSS or the agency, in the family's words; for what a unit holds
    under a study number, who sees that (the roles whose sight the agreement gives study-numbered data)."""
    if holder == PROVIDER:
        return (Plain(agreement.provider.names.in_language(language).full),
                Plain(agreement.text(agreement.programme.description, language, register)), Plain(""))
    unit = agreement.unit(holder)
    roles = [role for role in unit.seen_by if study_numbered in unit.sight(role.id)] or unit.seen_by
    seen_by = ", ".join(agreement.text(role.name, language, register) for role in roles)
    return (Plain(agreement.text(unit.name, language, register)),
            Plain(agreement.text(unit.purpose, language, register)), Plain(seen_by))


WHOLE_ANSWERS = ("neither_confirm_nor_deny", "not_ours")  # a unit's answer that stands alone: no count of records


def explanation(agreement: Agreement, ref: str, items: list[Item], language: str, register: str,
                made_on: date, kind: str = "access") -> list[Text]:
    """The explanation, one message per part, in the family's language and register. A part whose answer stands
    alone (neither confirm nor deny; a correction that is not its business) says that instead of a count, and a
    correction's part says what was done rather than counting records it was never asked about."""
    said: list[Text] = [_("<b>The answer to your request {ref}</b>\nMade on {day}. Here is what {provider} and the "
                          "agency hold, and what you can do next.", ref=Plain(ref), day=made_on)]
    for holder, study in dict.fromkeys((item.holder, item.study_numbered) for item in items):
        mine = [i for i in items if (i.holder, i.study_numbered) == (holder, study)]
        name, purpose, seen_by = _holder(agreement, holder, language, register, study)
        given = sum(i.given for i in mine)
        if whole := [i for i in mine if i.kind in WHOLE_ANSWERS]:
            said += _whole(whole[0], name)
            continue
        if kind == "correction" and holder != PROVIDER:
            said.append(_("What <b>{name}</b> did about your correction:", name=name))
        elif study:
            said.append(_("Records at <b>{name}</b> kept under a study number instead of your name: {count}. Why they "
                          "have them: {purpose}\n{seen_by} answered this part without learning who asked: {provider} "
                          "gave them only the study number, and only {provider} can match it to you.",
                          name=name, count=given, purpose=purpose, seen_by=seen_by))
        elif holder == PROVIDER:
            said.append(_("Records about you at <b>{name}</b>: {count}. Only {provider} staff who work with your "
                          "family see them.", name=name, count=given))
        else:
            said.append(_("Records about you at <b>{name}</b>: {count}. Why they have them: {purpose}\n"
                          "Who sees them there: {seen_by}.", name=name, count=given, purpose=purpose, seen_by=seen_by))
        for item in mine:
            said += _about(item)
    said.append(_("<b>What you can do next</b>\nIf something is wrong, you can ask for it to be corrected: choose "
                  "\"Something is wrong\" in the menu. If you are unhappy with this answer, you can complain to the "
                  "Privacy Commissioner (privacy.org.nz or 0800 803 909)."))
    return said


def _whole(item: Item, name: Plain) -> list[Text]:
    if item.kind == "not_ours":
        return [_("<b>{name}</b> does not hold the information you asked to correct, so it had nothing to change.",
                  name=name)]
    return [_("<b>{name}</b> will not say whether it holds information about you. The law allows this only when "
              "saying it could itself cause harm. Why: {why} (Privacy Act 2020, s 47 and {section}). {explanation}",
              name=name, why=PLAIN_GROUNDS[item.ground], section=Plain(section(item.ground)),
              explanation=Plain(item.explanation))]


def _about(item: Item) -> list[Text]:
    if item.kind == "withheld":
        return [_("Not given to you: {title}. Why: {why} (Privacy Act 2020, {section}). {explanation}",
                  title=Plain(item.title), why=PLAIN_GROUNDS[item.ground], section=Plain(section(item.ground)),
                  explanation=Plain(item.explanation))]
    if item.kind == "not_held":
        return [_("Not held: {what}", what=Plain(item.text))]
    if item.kind == "corrected":
        return [_("Corrected as you asked: {title}. The copy shows the corrected record.", title=Plain(item.title))]
    if item.kind == "not_corrected":
        return [_("Not corrected: {title}. Why: {why}\nYou can ask for your own statement to be attached to it, so it "
                  "is always read with the record.", title=Plain(item.title), why=Plain(item.explanation))]
    return []
