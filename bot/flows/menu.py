"""The menu and everything around it: start and enrolment, language, register, what happens to your
information, help, and talking to a person."""

from __future__ import annotations

from bot.flows.answers import seen, uses
from bot.flows.chat import Button, Reply, rows
from bot.flows.engine import MENU, Step, Turn
from bot.flows.sendings import gone
from bot.language.i18n import Plain, _

LANGUAGE_BUTTONS = rows(Button(_("English"), "lang:en"), Button(_("Te reo Māori"), "lang:mi"), per_row=2)


async def menu_prompt(turn: Turn) -> Reply:
    return Reply(_("What would you like to do?"), rows(
        Button(_("What do you hold about me?"), "access"),
        Button(_("Something is wrong"), "correction"),
        Button(_("Where is my request?"), "status"),
        Button(_("My information"), "information"),
        Button(_("Talk to a person"), "person"),
        Button(_("English / te reo Māori"), "language"),
        Button(_("Adult or young person"), "register"),
        Button(_("Help"), "help"),
    ))


async def menu_button(turn: Turn, action: str) -> None:
    if action in ("access", "correction"):
        turn.data.clear()
        turn.data["kind"] = action
        turn.go("request.whose")
    elif action == "status":
        turn.go("status.list")
    elif action in INFORMATION:  # also pressed on a menu sent before these moved one level down
        await INFORMATION[action](turn)
        turn.moved = True
    elif action == "information":
        turn.go("information")
    elif action in ("person", "language", "register"):
        turn.go({"person": "person.note", "language": "settings.language",
                 "register": "settings.register"}[action])
    elif action == "help":
        await help_text(turn, "")


async def about(turn: Turn) -> None:
    """What happens to your information here: from the agreement, in the family's language and register."""
    agreement = turn.port.agreement
    lang, reg = turn.chat.language, turn.chat.register

    def read(text) -> Plain:
        return Plain(agreement.text(text, lang, reg))

    turn.say(_("<b>What happens to your information</b>\n\n{about}", about=read(agreement.programme.description)))
    held = "\n".join(f"• {agreement.text(item.what, lang, reg)}" for item in agreement.provider_holds)
    turn.say(_("<b>What {provider} keeps about you</b>\n{list}", list=Plain(held)))
    for unit in agreement.units:
        flows = "\n".join(
            f"• {agreement.text(f.what, lang, reg)} {agreement.text(f.when, lang, reg)} "
            f"{agreement.text(f.why, lang, reg)}" for f in agreement.flows_to(unit.id)
        )
        seen_by = ", ".join(agreement.text(role.name, lang, reg) for role in unit.seen_by)
        turn.say(_("<b>{unit}</b>\n{purpose}\n\nWhat {provider} sends to them:\n{flows}\n\n"
                   "Who there sees it: {seen_by}",
                   unit=read(unit.name), purpose=read(unit.purpose), flows=Plain(flows), seen_by=Plain(seen_by)))
    turn.say(_("You can ask to see any of this, and ask for it to be fixed if it is wrong. "
               "That is your right under the Privacy Act 2020."))


async def information_prompt(turn: Turn) -> Reply:
    # The questions about the family's information, one level down so the menu fits a phone's screen.
    return Reply(_("What would you like to know about your information?"), rows(
        Button(_("What happens to my information?"), "about"),
        Button(_("Where has my information gone?"), "gone"),
        Button(_("How was my information used?"), "uses"),
        Button(_("Who has seen my information?"), "seen"),
    ))


async def information_button(turn: Turn, action: str) -> None:
    if action in INFORMATION:
        await INFORMATION[action](turn)
        turn.home()


async def help_text(turn: Turn, _arg: str) -> None:
    turn.say(_("I'm Tono. I help you ask {provider_full} ({provider}) and the agency that funds "
               "{programme} what information they hold about you or your child, and ask for it to be "
               "fixed if it is wrong.\n\nUse the buttons. You can go back or cancel at any step, or type "
               "/cancel. /menu shows the menu, /status shows your requests, /language changes the language."))
    turn.home()


async def language_prompt(turn: Turn) -> Reply:
    return Reply(_("Which language would you like? / Ko tēhea reo e pai ana ki a koe?"), LANGUAGE_BUTTONS)


async def language_button(turn: Turn, action: str) -> None:
    if action in ("lang:en", "lang:mi"):
        turn.chat.language = action.removeprefix("lang:")
        await turn.port.remember_settings(turn.chat)
        turn.say(_("I'll speak English with you. You can change this any time from the menu."))
        back_to_where_they_were(turn)


def back_to_where_they_were(turn: Turn) -> None:
    """After a setting is chosen, the step the family left for it (/language, /words): a request half made is
    asked again where it was, its draft kept, now in the new language or register. From the menu, the menu."""
    trail = turn.data.get("_trail") or []
    if trail and trail[-1] != MENU:
        turn.back()
    else:
        turn.home()


async def register_prompt(turn: Turn) -> Reply:
    return Reply(_("Who is using Tono? I'll use words that suit you."), rows(
        Button(_("A parent or caregiver"), "reg:adult"), Button(_("A young person"), "reg:child")))


async def register_button(turn: Turn, action: str) -> None:
    if action in ("reg:adult", "reg:child"):
        turn.chat.register = action.removeprefix("reg:")
        await turn.port.remember_settings(turn.chat)
        turn.say(_("Thanks. I'll talk with you that way. You can change it any time from the menu."))
        back_to_where_they_were(turn)


async def about_offer_prompt(turn: Turn) -> Reply:
    return Reply(_("Would you like to know what happens to your information here? It takes a minute to read."),
                 rows(Button(_("Yes, tell me"), "yes"), Button(_("Not now"), "no"), per_row=2))


async def about_offer_button(turn: Turn, action: str) -> None:
    if action == "yes":
        await about(turn)
        turn.home()
    elif action == "no":
        turn.say(_("That's fine. You can read it any time from the menu."))
        turn.home()


async def person_prompt(turn: Turn) -> Reply:
    return Reply(_("A worker from {provider} can get in touch with you. If you like, type what it is about, "
                   "or press Skip."), rows(Button(_("Skip"), "skip")))


async def person_note(turn: Turn, note: str) -> None:
    if await turn.port.ask_for_a_person(turn.chat, note, urgent=turn.in_danger):
        turn.say(_("Thank you. A worker from {provider} will get in touch with you within 2 working days."))
    else:  # too many asked from here this hour (bot/people/welcome_limits.py)
        turn.say(_("Thank you for asking. Several requests to talk to a worker have come from here in the last "
                   "hour, so I have not added another one. If no one from {provider} gets in touch within 2 "
                   "working days, please ask again."))
    turn.home()


async def person_button(turn: Turn, action: str) -> None:
    if action == "skip":
        await person_note(turn, "")


async def start(turn: Turn, code: str) -> None:
    """/start, with or without the one-time code from CCSS's link."""
    code = code.strip()
    if code:
        enrolment = await turn.port.enrol(turn.chat, code)
        if enrolment.outcome == "enrolled":
            turn.chat.given_name = enrolment.given_name
            turn.say(_("Kia ora {name}! Your chat is now linked to your records at {provider}.",
                       name=Plain(enrolment.given_name or "")))
        elif enrolment.outcome == "already":
            turn.say(_("Kia ora {name}! This chat is already linked to you.", name=Plain(enrolment.given_name or "")))
        elif enrolment.outcome == "slow_down":
            turn.say(_("Too many codes were tried from this chat. Please wait {minutes} minutes and try again, "
                       "or ask {provider} for a new link.", minutes=max(1, round(enrolment.wait_seconds / 60))))
        elif enrolment.outcome == "expired":
            turn.say(_("Sorry, that link has expired. Please ask {provider} for a new one. You can still use the "
                       "menu."))
        elif enrolment.outcome == "used":
            turn.say(_("Sorry, that link has already been used. Please ask {provider} for a new one if you need it."))
        else:
            turn.say(_("Sorry, I don't recognise that link. Please check it, or ask {provider} for a new one."))
    elif turn.chat.person_id is None:
        turn.say(_("Kia ora! I'm Tono, from {provider_full} ({provider}). I help you see what information "
                   "{provider} and the agency that funds {programme} hold about you or your child, and get it "
                   "fixed if it is wrong.\n\nIf {provider} gave you a link, please open it: it tells me who you are. "
                   "If you don't have one, you can still make a request, and a worker will check who you are "
                   "before anything is shared."))
    else:
        turn.say(_("Kia ora {name}!", name=Plain(turn.chat.given_name or "")))
    if turn.chat.first_contact:
        turn.state.data = {}
        turn.go("intro.about_offer", remember=False)
    else:
        turn.home()


INFORMATION = {"about": about, "gone": gone, "uses": uses, "seen": seen}

MENU_STEPS = {
    MENU: Step(menu_prompt, on_button=menu_button, can_go_back=False),
    "information": Step(information_prompt, on_button=information_button),
    "settings.language": Step(language_prompt, on_button=language_button),
    "settings.register": Step(register_prompt, on_button=register_button),
    "intro.about_offer": Step(about_offer_prompt, on_button=about_offer_button, can_go_back=False),
    "person.note": Step(person_prompt, on_button=person_button, on_text=person_note, text_limit=1000),
}
