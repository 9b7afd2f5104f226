"""The agency applies what a provider sends. A relayed request is acknowledged at once (the statutory
clock starts on the day it arrives) and fans out into one task per unit whose purpose covers it and that holds
anything naming people; a unit's part about what it holds under a study number arrives on its own
(study_part.relayed, with only the study number and a reference of its own) and becomes a request with one
task, seen only by the roles that see study-numbered data. A report's parts are kept until the report is whole,
then applied to its unit's records (agency/reports.py)."""

from __future__ import annotations

from datetime import date

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from agency.models import AgencyEvent, AgencyRecord, AgencyRequest, Task
from agency.moves import move_request, move_task
from agency.reports import receive_part
from protocol import deadlines
from protocol.agreement import Agreement
from protocol.clock import utcnow
from protocol.messages import Envelope
from protocol.queue import Outbox
from protocol.tasks import OPEN_TASK_STATES


class Intake:
    """The agency's queue handler, with what it needs handed in by the composition root."""

    def __init__(self, agreement: Agreement, outbox: Outbox, today):
        self.agreement = agreement
        self.outbox = outbox
        self.today = today

    async def __call__(self, session: AsyncSession, envelope: Envelope) -> None:
        if envelope.type == "request.relayed":
            await self.relayed(session, envelope)
            return
        if envelope.type == "study_part.relayed":
            await self.study_part_relayed(session, envelope)
            return
        if envelope.type == "report.part":  # a report's own stream: its `request` is the report's reference
            await receive_part(session, envelope, self.agreement, self.outbox, self.today())
            return
        request = (await session.exec(select(AgencyRequest).where(
            AgencyRequest.provider == envelope.sender, AgencyRequest.provider_ref == envelope.request)
            .with_for_update())).first()
        if request is None:
            raise LookupError(f"no request {envelope.request!r} from {envelope.sender!r}")
        body = envelope.body
        if envelope.type == "clarification.answered":
            await move_request(session, request, "answer_clarification", "family", actor="provider",
                               answer=body["answer"], for_task=await _asking_task(session, request))
            request.clarification_answer = body["answer"]
        elif envelope.type == "request.withdrawn":
            await move_request(session, request, "withdraw", "family", actor="provider")
            await self._cancel_tasks(session, request, "the family withdrew the request")
        elif envelope.type == "correction.statement":
            await self._attach_statement(session, request, envelope)
        else:
            raise ValueError(f"the agency does not take {envelope.type!r} messages")

    async def _relayed_before(self, session: AsyncSession, envelope: Envelope) -> bool:
        """A relay this agency already has (the provider, restored from a backup, relayed it again): acknowledged
        again as it was, with the same days and units, and nothing made twice."""
        request = (await session.exec(select(AgencyRequest).where(
            AgencyRequest.provider == envelope.sender, AgencyRequest.provider_ref == envelope.request))).first()
        if request is None:
            return False
        asked = set((await session.exec(select(Task.unit_id).where(Task.request_id == request.id))).all())
        units = [unit.id for unit in self.agreement.units if unit.id in asked]  # in the agreement's order, as before
        await self.outbox.send(session, type="request.received", recipient=envelope.sender, request=envelope.request,
                               body={"received_on": request.received_on.isoformat(),
                                     "decision_due": request.due_on.isoformat(), "units": units})
        return True

    async def relayed(self, session: AsyncSession, envelope: Envelope) -> None:
        if await self._relayed_before(session, envelope):
            return
        body = envelope.body
        received = self.today()
        due = deadlines.decision_due(received)
        request = AgencyRequest(provider=envelope.sender, provider_ref=envelope.request, kind=body["kind"],
                                participant_id=body["subject"]["participant_id"], state="relayed",
                                received_on=received, due_on=due, relayed=body)
        session.add(request)
        await session.flush()
        await move_request(session, request, "acknowledge", "system", actor="intake", received_on=received, due=due)
        # A unit holding only study-numbered data is never handed the name: its part comes as a study part.
        units = self.agreement.units_for_named_requests(body["kind"])
        for unit in units:
            session.add(Task(request_id=request.id, unit_id=unit.id, due_on=due))
        await session.flush()
        await self.outbox.send(session, type="request.received", recipient=envelope.sender, request=envelope.request,
                               body={"received_on": received.isoformat(), "decision_due": due.isoformat(),
                                     "units": [unit.id for unit in units]})

    async def study_part_relayed(self, session: AsyncSession, envelope: Envelope) -> None:
        """One unit's part about a study number: a request of its own (its provider_ref is the part's random
        reference), with one task for that unit, acknowledged in its own stream."""
        if await self._relayed_before(session, envelope):
            return
        body = envelope.body
        unit = self.agreement.unit(body["unit"])
        if not unit.holds_study_numbered or body["kind"] not in unit.in_scope_for:
            raise ValueError(f"the unit {unit.id!r} does not answer {body['kind']} requests about study numbers")
        received = self.today()
        due = deadlines.decision_due(received)
        request = AgencyRequest(provider=envelope.sender, provider_ref=envelope.request, kind=body["kind"],
                                participant_id=body["study_number"], study_numbered=True, state="relayed",
                                received_on=received, due_on=due, relayed=body)
        session.add(request)
        await session.flush()
        await move_request(session, request, "acknowledge", "system", actor="intake", received_on=received, due=due)
        session.add(Task(request_id=request.id, unit_id=unit.id, due_on=due, study_numbered=True))
        await session.flush()
        await self.outbox.send(session, type="request.received", recipient=envelope.sender, request=envelope.request,
                               body={"received_on": received.isoformat(), "decision_due": due.isoformat(),
                                     "units": [unit.id]})

    async def _cancel_tasks(self, session: AsyncSession, request: AgencyRequest, why: str) -> None:
        for task in await session.exec(select(Task).where(Task.request_id == request.id,
                                                          Task.state.in_(OPEN_TASK_STATES))):
            await move_task(session, task, "cancel", "system", actor="intake", note={"why": why})

    async def _attach_statement(self, session: AsyncSession, request: AgencyRequest, envelope: Envelope) -> None:
        item = envelope.body["item_id"]
        record = await session.get(AgencyRecord, int(item)) if item.isdigit() else None
        if record is None or record.participant_id != request.participant_id:
            raise LookupError(f"no record {item!r} for this request's person")
        record.statement_of_correction = envelope.body["statement"]
        record.corrected_at = utcnow()
        session.add(record)
        await self.outbox.send(session, type="correction.statement_attached", recipient=envelope.sender,
                               request=envelope.request,
                               body={"item_id": item, "attached_on": self.today().isoformat()})


def tasks_due_soon(tasks: list[Task], today: date, within_working_days: int) -> list[Task]:
    """Tasks whose due date is within the reminder window (the sweep reminds officers of these)."""
    horizon = deadlines.add_working_days(today, within_working_days)
    return [t for t in tasks if t.state in OPEN_TASK_STATES and t.due_on <= horizon]


async def _asking_task(session: AsyncSession, request: AgencyRequest) -> int | None:
    """The task whose unit asked the family the question now answered: the answer is that unit's to see."""
    return (await session.exec(select(AgencyEvent.task_id).where(
        AgencyEvent.request_id == request.id, AgencyEvent.trigger == "ask_clarification")
        .order_by(AgencyEvent.seq.desc()))).first()
