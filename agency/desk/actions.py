"""Each thing an officer does, as one transaction: find the task in the officer's unit (locked), make the
move through agency.answering, and send its message, or change nothing at all and say why in one sentence.
The desk's pages and its JSON API both call these, so the two can never disagree. The task's steps are one
table (STEPS), as the provider desk's are."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from agency import answering, outcomes
from agency.desk import store
from agency.desk.inputs import AnswerIn, ClarifyIn, ExtendIn, OutcomeIn, TransferIn, to_answer, wrong
from agency.models import AgencyRecord, AgencyRequest, InformationUse, Officer, Task
from deskkit.problems import DeskProblem
from deskkit.steps import Step, Steps
from protocol.agreement import Agreement
from protocol.messages import InvalidMessage
from protocol.queue import Outbox
from protocol.statemachine import IllegalMove
from protocol.tasks import task_is_open

NOT_FOUND = "There is no such task in your unit's queue."
UNIT_IS_DONE = ("Your unit has finished its part of this request, so it can no longer ask the family, extend the "
                "time limit or transfer it.")
# An answer from the page's form is read against the unit's records and the request's kind, once they are known.
FormAnswer = Callable[[list[AgencyRecord], str], AnswerIn]


@dataclass
class Actions:
    """What the desk needs to act: the agency's database, its end of the queue, the agreement, today."""

    sessions: async_sessionmaker
    outbox: Outbox
    agreement: Agreement
    today: Callable[[], date]

    def sight(self, officer: Officer) -> frozenset[bool]:
        """Which of the unit's tasks the officer's role sees: named parts, parts about a study number (never both
        where the unit holds both), as the agreement's seen_by says."""
        return answering.sight(self.agreement, officer)

    async def on_task(self, officer: Officer, task_id: int, step: str, given: object = None) -> str:
        """Take the named step on the officer's unit's task in one transaction; returns what to tell the officer."""
        run = STEPS.step(step).run
        try:
            async with self.sessions.begin() as session:
                task, request = await store.unit_task(session, officer, task_id, sight=self.sight(officer))
                return await run(self, session, task, request, officer, given)
        except (store.NotFound, answering.NotYourUnit):
            raise DeskProblem(404, NOT_FOUND) from None
        except IllegalMove as refused:
            raise DeskProblem(409, refused.message) from None
        except answering.AnswerError as refused:
            raise wrong(str(refused)) from None
        except InvalidMessage as refused:  # the protocol's own check of the message, should a limit slip by
            raise wrong(f"The agency cannot send that: {refused.reason}") from None

    async def report_outcome(self, officer: Officer, given: OutcomeIn) -> InformationUse:
        """Record an outcome of information use against the reports that informed it and tell the provider, in
        one transaction (agency/outcomes.py checks it)."""
        today = self.today()
        wanted = outcomes.OutcomeGiven(
            kind=given.kind, reports=list(given.reports), participant_id=given.participant_id,
            template=given.template, summaries=given.summaries.model_dump() if given.summaries else None)
        try:
            async with self.sessions.begin() as session:
                if await outcomes.already_reported(session, officer, wanted, today):
                    raise DeskProblem(409, "This outcome was already recorded today, so it was not recorded again.")
                return await outcomes.report_outcome(session, officer, wanted, self.outbox,
                                                     self.agreement.provider.id, today)
        except outcomes.OutcomeRefused as refused:
            raise wrong(str(refused)) from None
        except InvalidMessage as refused:
            raise wrong(f"The agency cannot send that: {refused.reason}") from None


def _still_working(task: Task) -> None:
    # The protocol lets an officer ask, extend or transfer while the request is with the agency; the desk
    # offers these only to a unit that still has its part to do, so a finished unit cannot move the rest.
    if not task_is_open(task.state):
        raise DeskProblem(409, UNIT_IS_DONE)


async def _claim(actions: Actions, session: AsyncSession, task: Task, request: AgencyRequest, officer: Officer,
                 _given: None) -> str:
    await answering.claim(session, task, officer)
    return "You have claimed this task. Nobody else in your unit can answer it now."


async def _unclaim(actions: Actions, session: AsyncSession, task: Task, request: AgencyRequest, officer: Officer,
                   _given: None) -> str:
    await answering.unclaim(session, task, officer)
    return "The task is back in your unit's queue for anyone to claim."


async def _answer(actions: Actions, session: AsyncSession, task: Task, request: AgencyRequest, officer: Officer,
                  given: AnswerIn | FormAnswer) -> str:
    records = await answering.unit_records(session, task, request)
    checked = given(records, request.kind) if callable(given) else given
    await answering.answer(session, task, officer, to_answer(checked, records, request.kind), actions.outbox,
                           actions.today(), actions.agreement)
    return "Your unit's answer has been sent to the provider."


async def _clarify(actions: Actions, session: AsyncSession, task: Task, request: AgencyRequest, officer: Officer,
                   given: ClarifyIn) -> str:
    _still_working(task)
    await answering.ask_clarification(session, task, officer, given.question, actions.outbox)
    return "Your question has gone to the family. The request waits for their answer."


async def _extend(actions: Actions, session: AsyncSession, task: Task, request: AgencyRequest, officer: Officer,
                  given: ExtendIn) -> str:
    _still_working(task)
    await answering.extend(session, task, officer, given.ground.value, given.new_due, given.reasons,
                           actions.outbox, actions.today())
    return "The time limit is extended. The family is told the new date and your reasons."


async def _transfer(actions: Actions, session: AsyncSession, task: Task, request: AgencyRequest, officer: Officer,
                    given: TransferIn) -> str:
    _still_working(task)
    await answering.transfer(session, task, officer, given.to_agency, given.reason, actions.outbox,
                             actions.today())
    return f"The request is transferred to {given.to_agency}. The family is told."


# What an officer may do to a task, what each takes, and how it is done. Which steps are offered is never read
# from here: views.allowed asks the task's and the request's lifecycles.
STEPS = Steps({
    "claim": Step(_claim),
    "unclaim": Step(_unclaim),
    "answer": Step(_answer, AnswerIn),
    "clarify": Step(_clarify, ClarifyIn),
    "extend": Step(_extend, ExtendIn),
    "transfer": Step(_transfer, TransferIn),
}, unknown="There is no such step as '{name}' for a task.")
