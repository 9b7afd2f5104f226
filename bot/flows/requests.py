"""Making a request: "what do you hold about me?" (access, IPP 6) and "something is wrong"
(correction, IPP 7). Buttons first; free text only where the family must describe something.

    whose → [other's name] → holder → access: specific → form → urgent → [reason]
                                    → correction: what → should say
          → [your name, if the chat is not linked to a person] → confirm → submitted
"""

from __future__ import annotations

from bot.flows.chat import Button, Reply, rows
from bot.flows.engine import Step, Turn
from bot.language.i18n import Plain, Text, _

HOLDERS = {
    "provider": _("{provider}"),
    "agency": _("The agency"),
    "both": _("Both {provider} and the agency"),
}
FORMS = {
    "copy": _("A copy here in the chat"),
    "print": _("A printout to collect at {provider}"),
    "read_together": _("Read it together with a worker"),
}


def _after_holder(turn: Turn) -> None:
    turn.go("access.specific" if turn.data["kind"] == "access" else "correction.what")


def _to_confirm(turn: Turn) -> None:
    turn.go("request.your_name" if turn.chat.person_id is None else "request.confirm")


async def whose_prompt(turn: Turn) -> Reply:
    people = await turn.port.people_i_may_ask_for(turn.chat)
    question = (_("Whose information do you want to see?") if turn.data["kind"] == "access"
                else _("Whose information is wrong?"))
    buttons = [Button(_("Mine"), "self")]
    buttons += [Button(_("{name}'s", name=Plain(p.given_name)), f"person:{p.person_id}") for p in people]
    buttons.append(Button(_("Someone else I care for"), "other"))
    return Reply(question, rows(*buttons))


async def whose_button(turn: Turn, action: str) -> None:
    if action == "self":
        turn.data.update(subject="self", subject_name="")
        turn.go("request.holder")
    elif action == "other":
        turn.data["subject"] = "other"
        turn.go("request.other_name")
    elif action.startswith("person:"):
        allowed = {f"person:{p.person_id}": p for p in await turn.port.people_i_may_ask_for(turn.chat)}
        if action in allowed:  # checked again on every press: authority may have changed
            turn.data.update(subject=allowed[action].person_id, subject_name=allowed[action].given_name)
            turn.go("request.holder")


async def other_name_prompt(turn: Turn) -> Reply:
    return Reply(_("What is their full name, and how are you related to them? A worker will check that you "
                   "may ask for them."))


async def other_name_text(turn: Turn, text: str) -> None:
    turn.data["subject_name"] = text
    turn.go("request.holder")


async def holder_prompt(turn: Turn) -> Reply:
    return Reply(_("Whose records?"), rows(*(Button(label, key) for key, label in HOLDERS.items()),
                                            Button(_("I'm not sure"), "unsure")))


async def holder_button(turn: Turn, action: str) -> None:
    if action in HOLDERS or action == "unsure":
        turn.data["holder"] = "both" if action == "unsure" else action
        _after_holder(turn)


async def specific_prompt(turn: Turn) -> Reply:
    return Reply(_("Is there anything in particular you want to see? Type it in your own words, or press Skip."),
                 rows(Button(_("Skip"), "skip")))


async def specific_text(turn: Turn, text: str) -> None:
    turn.data["specific"] = text
    turn.go("access.form")


async def specific_button(turn: Turn, action: str) -> None:
    if action == "skip":
        turn.data["specific"] = ""
        turn.go("access.form")


async def form_prompt(turn: Turn) -> Reply:
    return Reply(_("How would you like to get it?"), rows(*(Button(label, key) for key, label in FORMS.items())))


async def form_button(turn: Turn, action: str) -> None:
    if action in FORMS:
        turn.data["form"] = action
        turn.go("access.urgent")


async def urgent_prompt(turn: Turn) -> Reply:
    return Reply(_("Do you need it urgently? If you do, the agency is asked to decide sooner."),
                 rows(Button(_("No"), "no"), Button(_("Yes, it's urgent"), "yes"), per_row=2))


async def urgent_button(turn: Turn, action: str) -> None:
    if action == "no":
        turn.data.update(urgent=False, urgency_reason="")
        _to_confirm(turn)
    elif action == "yes":
        turn.data["urgent"] = True
        turn.go("access.urgency_reason")


async def urgency_reason_prompt(turn: Turn) -> Reply:
    return Reply(_("Why is it urgent? A few words are enough."))


async def urgency_reason_text(turn: Turn, text: str) -> None:
    turn.data["urgency_reason"] = text
    _to_confirm(turn)


async def what_prompt(turn: Turn) -> Reply:
    return Reply(_("Which information is wrong? Tell me in your own words."))


async def what_text(turn: Turn, text: str) -> None:
    turn.data["what"] = text
    turn.go("correction.should_say")


async def should_say_prompt(turn: Turn) -> Reply:
    return Reply(_("What should it say instead?"))


async def should_say_text(turn: Turn, text: str) -> None:
    turn.data["should_say"] = text
    _to_confirm(turn)


async def your_name_prompt(turn: Turn) -> Reply:
    return Reply(_("What is your full name? A worker uses it to check who you are before anything is shared."))


async def your_name_text(turn: Turn, text: str) -> None:
    turn.data["requester_name"] = text
    turn.go("request.confirm")


def summary(turn: Turn) -> Text:
    d = turn.data
    whose = _("yours") if d.get("subject") == "self" else Plain(d.get("subject_name", ""))
    holder = HOLDERS[d.get("holder", "both")]
    if d["kind"] == "correction":
        return _("<b>Please check your request</b>\nTo correct information: {whose}\nRecords of: {holder}\n"
                 "What is wrong: {what}\nWhat it should say: {should_say}",
                 whose=whose, holder=holder, what=Plain(d.get("what", "")), should_say=Plain(d.get("should_say", "")))
    specific = Plain(d["specific"]) if d.get("specific") else _("everything")
    urgent = _("Yes: {reason}", reason=Plain(d.get("urgency_reason", ""))) if d.get("urgent") else _("No")
    return _("<b>Please check your request</b>\nTo see information: {whose}\nRecords of: {holder}\n"
             "What: {specific}\nHow: {form}\nUrgent: {urgent}",
             whose=whose, holder=holder, specific=specific, form=FORMS[d.get("form", "copy")], urgent=urgent)


async def confirm_prompt(turn: Turn) -> Reply:
    return Reply(summary(turn), rows(Button(_("Send my request"), "send"), Button(_("Start again"), "restart")))


async def confirm_button(turn: Turn, action: str) -> None:
    if action == "send":
        submitted = await turn.port.submit(turn.chat, dict(turn.data))
        turn.say(_("Your request is sent. Your reference is <b>{ref}</b>.\n\nWhat happens next: a worker at {provider} "
                   "checks who you are, then passes your request to the agency by {relay_by}. The agency must "
                   "decide by {due} at the latest (20 working days). I'll tell you here when anything changes.",
                   ref=Plain(submitted.ref), relay_by=submitted.relay_by, due=submitted.decision_due))
        turn.home()
    elif action == "restart":
        kind = turn.data["kind"]
        turn.state.data = {"kind": kind}
        turn.go("request.whose", remember=False)


REQUEST_STEPS = {
    "request.whose": Step(whose_prompt, on_button=whose_button),
    "request.other_name": Step(other_name_prompt, on_text=other_name_text, text_limit=300),
    "request.holder": Step(holder_prompt, on_button=holder_button),
    "access.specific": Step(specific_prompt, on_button=specific_button, on_text=specific_text, text_limit=2000),
    "access.form": Step(form_prompt, on_button=form_button),
    "access.urgent": Step(urgent_prompt, on_button=urgent_button),
    "access.urgency_reason": Step(urgency_reason_prompt, on_text=urgency_reason_text, text_limit=1000),
    "correction.what": Step(what_prompt, on_text=what_text, text_limit=2000),
    "correction.should_say": Step(should_say_prompt, on_text=should_say_text, text_limit=2000),
    "request.your_name": Step(your_name_prompt, on_text=your_name_text, text_limit=200),
    "request.confirm": Step(confirm_prompt, on_button=confirm_button),
}
