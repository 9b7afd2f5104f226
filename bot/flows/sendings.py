""""Where has my information gone?": each sending of the family's information to the agency, from the
provider's ledger, in plain words: what, to whom, when, why, who there sees it, named or not, and who does
not see it. A parent also sees the sendings about the children they may act for."""

from __future__ import annotations

from itertools import groupby

from bot.flows.engine import Turn
from bot.flows.ports import Sending
from bot.language.i18n import Plain, Rendered, _, say

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
