"""Each thing an officer does, as one transaction: find the task in the officer's unit (locked), make the
move through agency.answering, and send its message, or change nothing at all and say why in one sentence.
The desk's pages and its JSON API both call these, so the two can never disagree."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from agency import answering
from agency.desk import store
from agency.desk.inputs import AnswerIn, ClarifyIn, ExtendIn, InputError, OutcomeIn, TransferIn, to_answer
from agency.models import AgencyRecord, AgencyRequest, InformationUse, Officer, Task
from protocol.agreement import Agreement
from protocol.messages import InvalidMessage
from protocol.queue import Outbox
from protocol.statemachine import IllegalMove
from protocol.tasks import task_is_open

NOT_FOUND = "There is no such task in your unit's queue."
UNIT_IS_DONE = ("Your unit has finished its part of this request, so it can no longer ask the family, extend the "
                "time limit or transfer it.")


class DeskError(Exception):
    """An action refused, with the HTTP status that says how and one sentence that says why."""

    def __init__(self, status: int, sentence: str) -> None:
        super().__init__(sentence)
        self.status, self.sentence = status, sentence


Move = Callable[[AsyncSession, Task, AgencyRequest], Awaitable[str]]


@dataclass
class Actions:
    """What the desk needs to act: the agency's database, its end of the queue, the agreement, today."""

    sessions: async_sessionmaker
    outbox: Outbox
    agreement: Agreement
    today: Callable[[], date]

    async def on_task(self, officer: Officer, task_id: int, move: Move) -> str:
        """Run `move` on the officer's unit's task in one transaction; returns what to tell the officer."""
        try:
            async with self.sessions.begin() as session:
                task, request = await store.unit_task(session, officer, task_id)
                return await move(session, task, request)
        except (store.NotFound, answering.NotYourUnit):
            raise DeskError(404, NOT_FOUND) from None
        except IllegalMove as refused:
            raise DeskError(409, refused.message) from None
        except (InputError, answering.AnswerError) as wrong:
            raise DeskError(422, str(wrong)) from None
        except InvalidMessage as wrong:  # the protocol's own check of the message, should a limit slip by
            raise DeskError(422, f"The agency cannot send that: {wrong.reason}") from None

    def claim(self, officer: Officer) -> Move:
        async def move(session: AsyncSession, task: Task, request: AgencyRequest) -> str:
            await answering.claim(session, task, officer)
            return "You have claimed this task. Nobody else in your unit can answer it now."
        return move

    def unclaim(self, officer: Officer) -> Move:
        async def move(session: AsyncSession, task: Task, request: AgencyRequest) -> str:
            await answering.unclaim(session, task, officer)
            return "The task is back in your unit's queue for anyone to claim."
        return move

    def answer(self, officer: Officer, given: AnswerIn | Callable[[list[AgencyRecord], str], AnswerIn]) -> Move:
        """`given` may be a function of the records and the request's kind (a form is read against them)."""
        async def move(session: AsyncSession, task: Task, request: AgencyRequest) -> str:
            records = await answering.unit_records(session, task, request)
            checked = given(records, request.kind) if callable(given) else given
            await answering.answer(session, task, officer, to_answer(checked, records, request.kind), self.outbox,
                                   self.today())
            return "Your unit's answer has been sent to the provider."
        return move

    def clarify(self, officer: Officer, given: ClarifyIn) -> Move:
        async def move(session: AsyncSession, task: Task, request: AgencyRequest) -> str:
            _still_working(task)
            await answering.ask_clarification(session, task, officer, given.question, self.outbox)
            return "Your question has gone to the family. The request waits for their answer."
        return move

    def extend(self, officer: Officer, given: ExtendIn) -> Move:
        async def move(session: AsyncSession, task: Task, request: AgencyRequest) -> str:
            _still_working(task)
            await answering.extend(session, task, officer, given.ground.value, given.new_due, given.reasons,
                                   self.outbox, self.today())
            return "The time limit is extended. The family is told the new date and your reasons."
        return move

    def transfer(self, officer: Officer, given: TransferIn) -> Move:
        async def move(session: AsyncSession, task: Task, request: AgencyRequest) -> str:
            _still_working(task)
            await answering.transfer(session, task, officer, given.to_agency, given.reason, self.outbox,
                                     self.today())
            return f"The request is transferred to {given.to_agency}. The family is told."
        return move

    async def report_outcome(self, officer: Officer, given: OutcomeIn) -> InformationUse:
        """Record an outcome of information use and tell the provider, in one transaction."""
        today = self.today()
        try:
            async with self.sessions.begin() as session:
                if given.participant_id is not None and (await session.exec(select(AgencyRecord.id).where(
                        AgencyRecord.unit_id == officer.unit_id,
                        AgencyRecord.participant_id == given.participant_id).limit(1))).first() is None:
                    raise InputError(f"Your unit holds no records about {given.participant_id}; check the id.")
                if (await session.exec(select(InformationUse.id).where(
                        InformationUse.unit_id == officer.unit_id, InformationUse.reported_on == today,
                        InformationUse.kind == given.kind, InformationUse.summary == given.summary,
                        InformationUse.participant_id == given.participant_id).limit(1))).first() is not None:
                    raise DeskError(409, "This outcome was already recorded today, so it was not recorded again.")
                return await answering.report_outcome(session, officer, given.participant_id, given.kind,
                                                      given.summary, self.outbox, self.agreement.provider.id, today)
        except (InputError, answering.AnswerError) as wrong:
            raise DeskError(422, str(wrong)) from None
        except InvalidMessage as wrong:
            raise DeskError(422, f"The agency cannot send that: {wrong.reason}") from None


def _still_working(task: Task) -> None:
    # The protocol lets an officer ask, extend or transfer while the request is with the agency; the desk
    # offers these only to a unit that still has its part to do, so a finished unit cannot move the rest.
    if not task_is_open(task.state):
        raise DeskError(409, UNIT_IS_DONE)
