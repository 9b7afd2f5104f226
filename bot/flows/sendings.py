""""Where has my information gone?": each sending of the family's information to the agency, from the
provider's ledger, in plain words: what, to whom, when, why, who there sees it, named or not, and who does
not see it. A parent also sees the sendings about the children they may act for.

And the other way round, for "How was my information used?": the outcomes a unit reported against the reports
that carried the family's information, each in the family's language and register (a catalogue template with the
unit's name from the agreement, or the version the unit wrote for that reader)."""

from __future__ import annotations

from itertools import groupby

from bot.flows.engine import Turn
from bot.flows.ports import Sending, Use
from bot.language.i18n import Plain, Rendered, Text, _, say

SHOWN_PER_PERSON = 30  # the newest; the rest are counted, so a long programme still fits a few messages


async def gone(turn: Turn) -> None:
    """Every sending about the chat's person and the children they may act for, newest first, per person."""
    sendings = await turn.port.sendings(turn.chat)
    if not sendings:
        turn.say(_("{provider} has not sent any information about you to {agency} yet. When it does, each "
                   "sending will show here: the day, what went, and who received it."))
        return
    lang, reg = turn.chat.language, turn.chat.register
    for person_id, theirs in groupby(sendings, key=lambda sending: sending.person_id):
        theirs = list(theirs)
        if person_id == turn.chat.person_id:
            heading = _("<b>Where your information has gone</b>")
        else:
            heading = _("<b>Where {name}'s information has gone</b>", name=Plain(theirs[0].given_name))
        lines = [say(_sentence(turn, sending), lang, reg) for sending in theirs[:SHOWN_PER_PERSON]]
        if len(theirs) > SHOWN_PER_PERSON:
            lines.append(say(_("Earlier sendings not shown here: {count}. {provider} can show you all of them.",
                               count=len(theirs) - SHOWN_PER_PERSON), lang, reg))
        turn.say(_("{heading}\n\n{sendings}", heading=heading, sendings=Rendered("\n\n".join(lines))))


def _sentence(turn: Turn, sending: Sending):
    agreement, lang, reg = turn.port.agreement, turn.chat.language, turn.chat.register

    def read(text) -> Plain:
        return Plain(agreement.text(text, lang, reg))

    flow, unit = agreement.flow(sending.flow), agreement.unit(sending.unit)
    seen_by = Plain(", ".join(agreement.text(role.name, lang, reg) for role in unit.seen_by))
    if sending.correction:
        return _("{day}: {provider} corrected information it had sent to {unit}, and sent them the right "
                 "version: {what}", day=sending.day, unit=read(unit.name), what=read(flow.what))
    if sending.named:
        others = [other for other in agreement.units if other.id != unit.id]
        not_them = Plain(", ".join(agreement.text(other.name, lang, reg) for other in others))
        return _("{day}: {provider} sent this to {unit}: {what}\nWhy: {why}\nWho there sees it: {seen_by}\n"
                 "It has the person's name on it. No other part of {agency} gets it ({others}).",
                 day=sending.day, unit=read(unit.name), what=read(flow.what), why=read(flow.why),
                 seen_by=seen_by, others=not_them)
    return _("{day}: {provider} sent this to {unit}: {what}\nWhy: {why}\nWho there sees it: {seen_by}\n"
             "It has a study number on it, not a name, so they never learn who it is about. Only {provider} "
             "can match the number to a person.",
             day=sending.day, unit=read(unit.name), what=read(flow.what), why=read(flow.why), seen_by=seen_by)


# ---- "How was my information used?": outcomes tied to the reports that carried the family's information --------

# Each template's four versions (en/mi × adult/child) are in the catalogues under this msgid; its only blank
# is {unit}, the unit's name from the agreement. protocol/outcomes.py lists the same ids for the agency.
TEMPLATE_TEXTS = {
    "evaluation-changed-programme": _("{unit} used what the evaluation found to make changes to how {programme} "
                                      "is run."),
    "attendance-in-service-report": _("{unit} used attendance figures from {programme} in a report by {agency} on "
                                      "the services it pays for."),
    "funding-decision": _("{unit} used figures from {programme} when {agency} decided whether to keep paying for "
                          "it."),
    "advice-to-leaders": _("{unit} used information from {programme} in advice to the leaders of {agency} about "
                           "the programme."),
}
KIND_TEXTS = {"decision": _("A decision"), "advice": _("Advice"), "report": _("A report")}


def unit_name(agreement, unit_id: str, language: str, register: str) -> str:
    """The unit's name in this language and register, from the agreement (its id, if the agreement no longer
    names it)."""
    try:
        return agreement.text(agreement.unit(unit_id).name, language, register)
    except KeyError:
        return unit_id


def outcome_summary(agreement, unit_id: str, template: str | None, summaries, language: str, register: str):
    """What the outcome says, in this language and register: the template's catalogue version with the unit's
    name, or the version the unit wrote for it."""
    if template is not None:
        return Text(TEMPLATE_TEXTS[template].msgid, {"unit": Plain(unit_name(agreement, unit_id, language, register))})
    return Plain(summaries[language][register])


def _what(agreement, flow_id: str, language: str, register: str) -> str:
    try:
        return agreement.text(agreement.flow(flow_id).what, language, register)
    except KeyError:
        return flow_id


def outcome_line(agreement, use: Use, language: str, register: str):
    """One outcome as the chat lists it: the day, the kind and the unit; what it says; what it used and whose."""
    whose = ""
    if use.names:
        names = Plain(", ".join(use.names))
        whose = say(_("It used information about you and {names}.", names=names) if use.mine
                    else _("It used information about {names}.", names=names), language, register)
    what = Plain("; ".join(dict.fromkeys(_what(agreement, f, language, register) for f in use.flows)))
    return _("<b>{day}: {kind}, {unit}</b>\n{summary}\nWhat it used: {what} {whose}",
             day=use.reported_on, kind=KIND_TEXTS[use.kind],
             unit=Plain(unit_name(agreement, use.unit, language, register)),
             summary=outcome_summary(agreement, use.unit, use.template, use.summaries, language, register),
             what=what, whose=Rendered(whose))


async def used(turn: Turn) -> bool:
    """The outcomes the agency reported against reports that carried the information of the chat's person (or
    of the children they may act for), newest first; False if there are none."""
    reported = await turn.port.information_uses(turn.chat)
    lang, reg = turn.chat.language, turn.chat.register
    for use in reported:
        turn.say(outcome_line(turn.port.agreement, use, lang, reg))
    return bool(reported)
