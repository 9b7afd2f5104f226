"""After the answer: the copies (or reading them with a worker), the other register or language, a
statement of correction, how the family's information was used, and who has seen it."""

from __future__ import annotations

from bot.flows import sendings
from bot.flows.chat import Button, Reply, rows
from bot.flows.engine import NOTICE_SCREEN, Step, Turn
from bot.language.i18n import Plain, Rendered, _, say
from protocol import lifecycle

OTHER_LANGUAGE = {"en": ("mi", _("In te reo Māori")), "mi": ("en", _("In English"))}


# What staff read in a contact note (English: the desk's language), never the codes.
LANGUAGE_NAMES = {"en": "English", "mi": "te reo Māori"}
VARIANT_WORDS = {"adult": "adult", "child": "young person's"}


def _other_ways(ref: str, language: str, register: str) -> Reply:
    """Buttons for the same copies another way; they stay usable later (notice buttons)."""
    other_register = "child" if register == "adult" else "adult"
    label = _("The simple version") if other_register == "child" else _("The grown-up version")
    other_language, language_label = OTHER_LANGUAGE[language]
    return Reply(_("Would you like them another way?"), rows(
        Button(label, f"copy:{ref}:{language}:{other_register}"),
        Button(language_label, f"copy:{ref}:{other_language}:{register}"),
        Button(_("On paper"), f"print:{ref}:{language}:{register}")), screen=NOTICE_SCREEN)


def copies_asked(action: str, language: str, register: str) -> tuple[str, str, str] | None:
    """The copies (reference, language, register) a press of "Send me the copies" or one of their other ways
    will send, read from the button alone, so they can be drawn before the turn (bot/chat/conversation.py)."""
    kind, _sep, rest = action.partition(":")
    if kind == "copies":
        return rest, language, register
    ref, _sep, variant = rest.partition(":")
    other_language, _sep, other_register = variant.partition(":")
    if kind == "copy" and other_language in OTHER_LANGUAGE and other_register in ("adult", "child"):
        return ref, other_language, other_register
    return None


async def copies_notice(turn: Turn, ref: str) -> None:
    """"Send me the copies": the explanation, then the PDF, in the chat's language and register."""
    got = await turn.port.copies(turn.chat, ref, turn.chat.language, turn.chat.register)
    if got is None:
        turn.notice = _("Those copies are not ready for this chat.")
        return
    for part in got.explained:
        turn.say(part)
    turn.replies.append(Reply(got.document.caption, document=got.document))
    for key, title in got.statements:
        offer = _("The agency did not correct: {title}. You can have your own statement attached to it.",
                  title=Plain(title))
        attach = rows(Button(_("Attach my statement"), f"statement:{ref}:{key}"))
        turn.replies.append(Reply(offer, attach, screen=NOTICE_SCREEN))
    turn.replies.append(_other_ways(ref, turn.chat.language, turn.chat.register))


async def copy_notice(turn: Turn, rest: str) -> None:
    """The same copies in another register or language: the PDF (its first pages explain it)."""
    ref, _sep, variant = rest.partition(":")
    language, _sep, register = variant.partition(":")
    if language not in OTHER_LANGUAGE or register not in ("adult", "child"):
        turn.notice = _("That button does nothing here.")
        return
    # Only the family whose answer it is may ask staff for another version of it: a press naming someone
    # else's reference (a forged or copied button) must not reach the staff queue, nor say whether it exists.
    mine = await turn.port.timeline(turn.chat, ref)
    if mine is None or mine.state not in lifecycle.ANSWER_GIVEN:
        turn.notice = _("Those copies are not ready for this chat.")
        return
    got = await turn.port.copies(turn.chat, ref, language, register)
    if got is None:
        turn.say(_("Sorry, that version is not written yet. {provider} has been told, and will send it when it is "
                   "ready."))
        await turn.port.ask_for_a_person(turn.chat, f"Please write the {VARIANT_WORDS[register]} version in "
                                                    f"{LANGUAGE_NAMES[language]} of {ref}: the family asked for it "
                                                    "in the chat. They are told when it is ready.")
        return
    turn.replies.append(Reply(got.document.caption, document=got.document))
    turn.replies.append(_other_ways(ref, language, register))


async def print_notice(turn: Turn, rest: str) -> None:
    """"On paper": staff are asked to print the copies (the request page downloads them) and give or post them."""
    ref, _sep, variant = rest.partition(":")
    language, _sep, register = variant.partition(":")
    mine = await turn.port.timeline(turn.chat, ref)
    if language not in LANGUAGE_NAMES or register not in VARIANT_WORDS or mine is None or (
            mine.state not in lifecycle.ANSWER_GIVEN):
        turn.notice = _("Those copies are not ready for this chat.")
        return
    await turn.port.ask_for_a_person(turn.chat, f"Please print the {VARIANT_WORDS[register]} copies in "
                                                f"{LANGUAGE_NAMES[language]} of {ref} (download them from the "
                                                "request's page) and give or post them to the family.")
    turn.say(_("Thank you. {provider} will print your copies, and a worker will get in touch about how to get "
               "them to you."))


async def together_notice(turn: Turn, ref: str) -> None:
    if await turn.port.read_together(turn.chat, ref):
        turn.say(_("Thank you. A worker from {provider} will get in touch to read the records with you."))
    else:
        turn.notice = _("Those copies are not ready for this chat.")


async def statement_notice(turn: Turn, rest: str) -> None:
    """"Attach my statement" on a record the agency would not correct."""
    ref, _sep, item = rest.partition(":")
    if not await turn.port.may_attach_statement(turn.chat, ref, item):
        turn.notice = _("A statement can't be attached to that record from this chat.")
        return
    turn.state.data = {"statement": ref, "item": item}
    turn.go("statement.text", remember=False)


async def statement_prompt(turn: Turn) -> Reply:
    return Reply(_("Type your statement: what you think is wrong with the record and what is right. It will be "
                   "attached to the record, so it is always read with it."))


async def statement_text(turn: Turn, text: str) -> None:
    ref, item = turn.data.get("statement", ""), turn.data.get("item", "")
    if await turn.port.attach_statement(turn.chat, ref, item, text):
        turn.say(_("Thank you. Your statement has gone to the agency. I'll tell you when it is attached."))
    else:
        turn.say(_("A statement can't be attached to that record from this chat."))
    turn.home()


async def uses(turn: Turn) -> None:
    """"How was my information used?": the outcomes the agency reported, and the agreed flows."""
    if not await sendings.used(turn):  # the outcomes tied to reports that carried the family's information
        turn.say(_("Has your information been used in a decision, advice or report? The agency has not told us "
                   "of any."))
    agreement = turn.port.agreement
    lang, reg = turn.chat.language, turn.chat.register
    flows = "\n".join(f"• {agreement.text(f.what, lang, reg)} {agreement.text(f.why, lang, reg)}"
                      for f in agreement.flows)
    turn.say(_("<b>What {provider} sends to the agency, and why</b>\n{flows}", flows=Plain(flows)))


async def seen(turn: Turn) -> None:
    """"Who has seen my information?": which roles and units opened it, and when (never staff names)."""
    openings = await turn.port.who_has_seen(turn.chat)
    if not openings:
        turn.say(_("No one has opened your requests or records in Tono yet."))
        return
    agreement, lang, reg = turn.port.agreement, turn.chat.language, turn.chat.register
    lines = []
    for o in openings:
        role = _role(agreement, o.unit, o.role)
        if o.unit is None:
            line = _("{day}: a {provider} staff member opened request {ref}", day=o.day, ref=Plain(o.ref))
        elif role is None:
            unit = Plain(agreement.text(agreement.unit(o.unit).name, lang, reg))
            line = _("{day}: an officer of {unit} opened request {ref}", day=o.day, unit=unit, ref=Plain(o.ref))
        else:
            unit = Plain(agreement.text(agreement.unit(o.unit).name, lang, reg))
            line = _("{day}: {role} at {unit} opened request {ref}", day=o.day, unit=unit, ref=Plain(o.ref),
                     role=Plain(agreement.text(role.name, lang, reg)))
        lines.append("• " + say(line, lang, reg))
    turn.say(_("<b>Who has opened your information</b>\n{lines}", lines=Rendered("\n".join(lines))))


def _role(agreement, unit_id: str | None, role_id: str | None):
    """The role (from the unit's seen_by) an officer opened the information as, if the agency said and the
    agreement still names it."""
    if unit_id is None or role_id is None:
        return None
    return next((role for role in agreement.unit(unit_id).seen_by if role.id == role_id), None)


ANSWER_STEPS = {
    "statement.text": Step(statement_prompt, on_text=statement_text, text_limit=5000, can_go_back=False),
}
ANSWER_NOTICES = {"copies": copies_notice, "copy": copy_notice, "print": print_notice, "together": together_notice,
                  "statement": statement_notice}
