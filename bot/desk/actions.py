"""What staff do to a request from the desk (pages and API alike), each in one transaction: the moves
themselves are bot.requests.staff's and bot.requests.moves', and the lifecycle decides whether they may happen."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.desk import store
from bot.desk.context import DeskContext
from bot.desk.forms import ApproveIn, DeclineIn, Input, LinkIn
from bot.desk.views import IDENTITY_CHECKS, moment, state_label
from bot.models import ChatLink, Request, RequestEvent, StaffAccount
from bot.people import young
from bot.reports import study_numbers
from bot.requests import delivery
from bot.requests import staff as staff_moves
from bot.requests.moves import move, record_still
from bot.requests.staff import StaffError
from deskkit.problems import DeskProblem
from deskkit.steps import Step, Steps
from protocol import lifecycle

Handler = Callable[[DeskContext, AsyncSession, Request, StaffAccount, Input | None], Awaitable[str]]

PAST = {"approve": "approved it", "decline": "declined it", "relay": "relayed it to the agency",
        "prepare_locally": "started answering it from CCSS's own records",
        "prepare": "started preparing the answer", "deliver": "marked it delivered", "close": "closed it"}


async def _approve(ctx: DeskContext, session: AsyncSession, request: Request, staff: StaffAccount,
                   data: ApproveIn) -> str:
    await staff_moves.approve(session, request, staff.display_name, data.identity_checked.value)
    told = await young.tell_of_request(session, ctx.agreement, request, ctx.today())
    return (f"Approved; identity and authority checked by: {IDENTITY_CHECKS[data.identity_checked.value]}. "
            + ("The young person it is about is told in their chat. " if told else "")
            + "Relay it to the agency next.")


async def _decline(ctx: DeskContext, session: AsyncSession, request: Request, staff: StaffAccount,
                   data: DeclineIn) -> str:
    await staff_moves.decline(session, request, staff.display_name, data.reason)
    return "Declined. The family is told the reason, and what they can do next."


async def _relay(ctx: DeskContext, session: AsyncSession, request: Request, staff: StaffAccount, _data) -> str:
    await study_numbers.relay(session, request, ctx.outbox, ctx.agreement, staff.display_name, ctx.today())
    return "Relayed: the request is on its way to the agency, and the family is told."


async def _prepare_locally(ctx: DeskContext, session: AsyncSession, request: Request, staff: StaffAccount,
                           _data) -> str:
    await staff_moves.prepare_locally(session, request, staff.display_name)
    return "This request is now answered from CCSS's own records: prepare the explanation and copies."


async def _deliver(ctx: DeskContext, session: AsyncSession, request: Request, staff: StaffAccount, _data) -> str:
    try:
        await delivery.deliver(session, request, staff.display_name)
    except delivery.DeliveryError as missing:
        raise DeskProblem(409, str(missing)) from None
    return "Delivered: the family is asked whether they want the copies in the chat or to read them with a worker."


def _plain_move(trigger: str, done: str) -> Handler:
    async def handler(ctx: DeskContext, session: AsyncSession, request: Request, staff: StaffAccount,
                      _data) -> str:
        await move(session, request, trigger, "staff", actor_label=staff.display_name)
        return done

    return handler


# How each staff step of the lifecycle is carried out, and what it takes from the form or body. Which steps
# are offered is never read from here: the desk asks lifecycle.allowed_triggers(state, "staff").
STEPS = Steps({
    "approve": Step(_approve, ApproveIn),
    "decline": Step(_decline, DeclineIn),
    "relay": Step(_relay),
    "prepare_locally": Step(_prepare_locally),
    "prepare": Step(_plain_move("prepare", "Preparing the answer: write the explanation and copies.")),
    "deliver": Step(_deliver),
    "close": Step(_plain_move("close", "Closed.")),
}, unknown="There is no staff step called '{name}'.")


async def _already_done(session: AsyncSession, request: Request, trigger: str) -> str | None:
    """The sentence for a replayed form: the step was the last one taken and the request is where it led."""
    row = next((r for r in lifecycle.TRANSITIONS if r["trigger"] == trigger), None)
    if row is None or request.state != row["dest"]:
        return None
    last = (await session.exec(select(RequestEvent).where(RequestEvent.request_id == request.id,
                                                          RequestEvent.from_state != RequestEvent.to_state)
                               .order_by(RequestEvent.seq.desc()).limit(1))).first()
    if last is None or last.trigger != trigger:
        return None
    who = last.actor_label or "someone"
    return (f"This was already done: {who} {PAST.get(trigger, 'did it')} on {moment(last.at)}. "
            "Nothing was changed.")


async def take_step(ctx: DeskContext, staff: StaffAccount, ref: str, trigger: str, data: Input | None) -> str:
    """Take one staff step on a request, all or nothing; the sentence says what was done."""
    step = STEPS.step(trigger)
    async with ctx.sessions.begin() as session:
        request = await store.request_to_change(session, ref)
        try:
            if trigger not in lifecycle.allowed_triggers(request.state, "staff"):
                lifecycle.fire(request.state, trigger, "staff")  # raises, saying why not from here
            return await step.run(ctx, session, request, staff, data)
        except lifecycle.IllegalMove as refused:
            done = await _already_done(session, request, trigger)
            raise DeskProblem(409, done or refused.message) from None
        except StaffError as refused:
            raise DeskProblem(409, str(refused)) from None


async def link(ctx: DeskContext, staff: StaffAccount, ref: str, data: LinkIn) -> str:
    """Say who is asking and whom it is about, for a request made before the chat was linked to a person."""
    async with ctx.sessions.begin() as session:
        request = await store.request_to_change(session, ref)
        if request.state != "submitted":
            raise DeskProblem(409, f"Only a request still to be checked can be linked; this one is "
                                   f"'{state_label(request.state)}'.")
        requester = await store.person_by_ref(session, data.requester_ref)
        subject = await store.person_by_ref(session, data.subject_ref)
        for given, found in ((data.requester_ref, requester), (data.subject_ref, subject)):
            if found is None:
                raise DeskProblem(422, f"There is no person {given!r}. Find them on the People page.")
        if (request.requester_id, request.subject_id) == (requester.id, subject.id):
            raise DeskProblem(409, "This request is already linked to those people. Nothing was changed.")
        chat = await session.get(ChatLink, request.chat_link_id) if request.chat_link_id else None
        if chat is not None and chat.person_id is not None and chat.person_id != requester.id:
            raise DeskProblem(409, "This request came from a chat enrolled to another person, so the person "
                                   "asking cannot be someone else.")
        if subject.id != requester.id and subject.id not in {p.id for p in await store.may_act_for(session,
                                                                                                    requester)}:
            raise DeskProblem(409, f"{requester.given_name} {requester.family_name} has no recorded authority to "
                                   f"act for {subject.given_name} {subject.family_name}. Record it on "
                                   f"{subject.given_name}'s page first.")
        request.requester_id, request.subject_id = requester.id, subject.id
        session.add(request)
        await record_still(session, request, "linked", "staff", staff.display_name,
                           {"requester": requester.ref, "subject": subject.ref})
    return (f"Linked: asked by {requester.given_name} {requester.family_name}, about "
            f"{'themselves' if subject.id == requester.id else subject.given_name + ' ' + subject.family_name}.")
