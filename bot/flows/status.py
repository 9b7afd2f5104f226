""""Where is my request?" and withdrawing one. Families never see internal state names: each state
has a plain sentence here, and overdue is said honestly."""

from __future__ import annotations

from bot.flows.chat import Button, Picture, Reply, rows
from bot.flows.engine import NOTICE_SCREEN, Step, Turn
from bot.flows.ports import RequestView, Timeline
from bot.flows.status_picture import draw_steps
from bot.flows.timeline import PICTURED, in_words, steps
from bot.language.i18n import Plain, Text, _
from protocol import lifecycle

STATUS: dict[str, Text] = {
    "draft": _("Not sent yet."),
    "submitted": _("{provider} has your request and is checking who you are."),
    "approved": _("{provider} has checked who you are and is about to pass your request to the agency."),
    "relayed": _("{provider} has passed your request to the agency."),
    "received": _("The agency has your request and is working on it."),
    "clarifying": _("The agency has a question for you. Please answer it so they can go on."),
    "answered": _("The agency has answered. {provider} is getting the answer ready for you."),
    "preparing": _("{provider} is getting the answer ready for you."),
    "delivered": _("You have been sent the answer."),
    "closed": _("This request is finished."),
    "transferred": _("The agency passed your request to another agency. That one holds the information."),
    "withdrawn": _("You withdrew this request."),
    "declined": _("{provider} could not go ahead with this request. They told you why."),
}
KIND = {"access": _("To see information"), "correction": _("To correct information")}
LISTED = 10


def describe(view: RequestView) -> Text:
    """One request, as the family reads it."""
    if view.overdue:
        due = _("It was due by {due}, and it is late. We are following it up. You can also complain to the "
                "Privacy Commissioner (privacy.org.nz or 0800 803 909).", due=view.due_on)
    elif view.due_on is not None:
        due = _("The agency must decide by {due}.", due=view.due_on)
    else:
        due = _("There is no due date yet: the 20 working days start when the agency receives it.")
    whose = Plain(view.subject_name) if view.subject_name else _("yours")
    return _("<b>{ref}</b> · {kind} ({whose})\n{status}\n{due}", ref=Plain(view.ref), kind=KIND[view.kind],
             whose=whose, status=STATUS[view.state], due=due)


async def list_prompt(turn: Turn) -> Reply:
    views = (await turn.port.my_requests(turn.chat))[:LISTED]
    if not views:
        return Reply(_("You have no requests yet."))
    for view in views:
        # The picture is offered, not sent: the words are the answer, and a phone need not load an image. A
        # delivered answer's copies can be had again here (a family who lost the chat's history, or closed the
        # web chat's tab, has no other way back to them). Both are notice buttons: they keep working on later
        # screens, like the buttons on the news that the answer is ready.
        offers = [Button(_("Show it as a picture"), f"picture:{view.ref}")] if view.state in PICTURED else []
        if view.kind == "access" and view.state in lifecycle.ANSWER_GIVEN:
            offers.append(Button(_("Send me the copies"), f"copies:{view.ref}"))
        turn.replies.append(Reply(describe(view), rows(*offers), screen=NOTICE_SCREEN))
    withdrawable = [Button(_("Withdraw {ref}", ref=Plain(v.ref)), f"withdraw:{v.ref}") for v in views if v.may_withdraw]
    return Reply(_("That's all your requests."), rows(*withdrawable))


async def list_button(turn: Turn, action: str) -> None:
    if action.startswith("withdraw:"):
        turn.data["withdraw"] = action.removeprefix("withdraw:")
        turn.go("withdraw.confirm")


async def picture_notice(turn: Turn, ref: str) -> None:
    """"Show it as a picture" under a request in "where is my request?" (a notice button: any time later too)."""
    timeline = await turn.port.timeline(turn.chat, ref)
    if timeline is None or timeline.state not in PICTURED:
        turn.notice = _("That button does nothing here.")
    else:
        turn.replies.append(picture_reply(timeline, turn.chat.language, turn.chat.register))


def picture_of(timeline: Timeline, language: str, register: str) -> Picture:
    """The picture of a request's steps, and the same in words (the web chat draws it again from here)."""
    shown = steps(timeline)
    content = draw_steps(timeline.ref, KIND[timeline.kind], shown, language, register)
    return Picture(f"{timeline.ref}-{language}-{register}.png", content, in_words(timeline.ref, shown))


def picture_reply(timeline: Timeline, language: str, register: str) -> Reply:
    return Reply(_("Request {ref}, step by step", ref=Plain(timeline.ref)),
                 picture=picture_of(timeline, language, register))


async def withdraw_prompt(turn: Turn) -> Reply:
    return Reply(_("Do you want to withdraw request {ref}? Nothing more will be done with it.",
                   ref=Plain(turn.data.get("withdraw", ""))),
                 rows(Button(_("Yes, withdraw it"), "yes"), Button(_("No, keep it"), "no"), per_row=2))


async def withdraw_button(turn: Turn, action: str) -> None:
    ref = turn.data.get("withdraw", "")
    if action == "yes":
        view = await turn.port.withdraw(turn.chat, ref)
        if view is None:
            turn.say(_("That request can't be withdrawn now."))
        else:
            turn.say(_("Request {ref} is withdrawn.", ref=Plain(ref)))
        turn.home()
    elif action == "no":
        turn.say(_("OK, request {ref} goes on.", ref=Plain(ref)))
        turn.home()


async def clarify_notice(turn: Turn, ref: str) -> None:
    """The "Answer the question" button on the agency's question: only for this chat's own request."""
    question = await turn.port.open_question(turn.chat, ref)
    if question is None:
        turn.notice = _("That question has already been answered, or it is not for this chat.")
        return
    turn.state.data = {"clarify": ref, "question": question}
    turn.go("clarify.answer", remember=False)


async def clarify_prompt(turn: Turn) -> Reply:
    return Reply(_("The agency asks:\n{question}\n\nPlease type your answer.",
                   question=Plain(turn.data.get("question", ""))))


async def clarify_text(turn: Turn, text: str) -> None:
    ref = turn.data.get("clarify", "")
    if await turn.port.answer_question(turn.chat, ref, text):
        turn.say(_("Thank you. Your answer has gone to the agency, and they carry on with request {ref}.",
                   ref=Plain(ref)))
    else:
        turn.say(_("That question has already been answered, or it is not for this chat."))
    turn.home()


async def status_command(turn: Turn, _arg: str) -> None:
    turn.state.data = {}
    turn.go("status.list", remember=False)


STATUS_STEPS = {
    "status.list": Step(list_prompt, on_button=list_button),
    "withdraw.confirm": Step(withdraw_prompt, on_button=withdraw_button),
    "clarify.answer": Step(clarify_prompt, on_text=clarify_text, text_limit=5000, can_go_back=False),
}
