"""What an agency officer does with their unit's part of a request: claim it, answer it (release,
withhold with a ground from the Act, say what is not held, correct), ask the family a question, extend
the time limit, or transfer the request. Each is a lifecycle move and a signed message to the provider.

Every function checks that the officer's unit is the task's unit: an officer never acts on, or sees,
another unit's work, however the call reached here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from agency.models import AgencyRecord, AgencyReport, AgencyRequest, Officer, Task
from agency.moves import move_request, move_task
from agency.report_rows import RowShape
from protocol.agreement import Agreement
from protocol.clock import utcnow
from protocol.grounds import ITEM_GROUNDS, NCND_GROUNDS
from protocol.queue import Outbox
from protocol.tasks import OPEN_TASK_STATES, request_is_answered


class NotYourUnit(PermissionError):
    """The officer's unit does not hold this task or record."""


class AnswerError(ValueError):
    """An answer that cannot be given as it stands; the message says what to change."""


@dataclass
class Answer:
    """An officer's answer for their unit: record ids to release, to withhold (with a ground), and more."""

    release: list[int] = field(default_factory=list)
    withhold: dict[int, tuple[str, str]] = field(default_factory=dict)  # record id -> (ground, explanation)
    not_held: list[str] = field(default_factory=list)
    corrected: dict[int, str] = field(default_factory=dict)  # record id -> the corrected text
    # A record a report brought is corrected field by field: record id -> {field: new value} (only the fields the
    # report carried). Its text is written again from the values, and the provider corrects its row too.
    corrected_values: dict[int, dict] = field(default_factory=dict)
    not_corrected: dict[int, str] = field(default_factory=dict)  # record id -> why not
    note: str = ""
    # s 47: the unit will not say whether it holds anything (ground, explanation): it stands alone.
    neither_confirm_nor_deny: tuple[str, str] | None = None
    # A correction about information this unit does not hold: one press, nothing else.
    not_ours: bool = False


def check_unit(officer: Officer, task: Task) -> None:
    if officer.unit_id != task.unit_id:
        raise NotYourUnit("This task belongs to another unit.")


def sight(agreement: Agreement, officer: Officer) -> frozenset[bool]:
    """Which tasks of the officer's unit the officer's role sees: study_numbered False (named parts of requests),
    True (parts about a study number), as the agreement's seen_by says. No role sees both where the unit holds
    both, so nobody is shown a person's name and their study number. The desk and its API find every task through
    agency.desk.store.unit_task with this sight, so a task outside it is not found at all."""
    return agreement.unit(officer.unit_id).sight(officer.role)


async def _request_of(session: AsyncSession, task: Task, officer: Officer) -> AgencyRequest:
    """The request the task is part of, once the officer is known to be of the task's unit."""
    check_unit(officer, task)
    return await session.get(AgencyRequest, task.request_id)


async def _tell_provider(session: AsyncSession, outbox: Outbox, request: AgencyRequest, type: str, body: dict) -> None:
    await outbox.send(session, type=type, recipient=request.provider, request=request.provider_ref, body=body)


def names_the_person(request: AgencyRequest) -> bool:
    """Whether the request names the person: every request but a study part (study_part.relayed), which carries
    only a study number."""
    return not request.study_numbered


async def unit_records(session: AsyncSession, task: Task, request: AgencyRequest) -> list[AgencyRecord]:
    """The records the task's unit holds about the request's person: nothing from any other unit; for a request
    that names the person, nothing held under a study number, so such a record is never seen beside a name (even
    were a study number ever to equal a participant id); for a study part, only what is held under its study
    number."""
    query = select(AgencyRecord).where(AgencyRecord.unit_id == task.unit_id,
                                       AgencyRecord.participant_id == request.participant_id,
                                       AgencyRecord.study_numbered.is_(not names_the_person(request)))
    return list(await session.exec(query.order_by(AgencyRecord.record_date, AgencyRecord.id)))


def _not_about_a_study_number(request: AgencyRequest, what: str) -> None:
    if request.study_numbered:
        raise AnswerError(f"This part of the request carries only a study number, so it cannot {what}: the unit does "
                          "not know who asked, and the family's question or move goes with the request's named part.")


async def claim(session: AsyncSession, task: Task, officer: Officer) -> None:
    check_unit(officer, task)
    await move_task(session, task, "claim", "officer", actor=officer.login, officer=str(officer.id))
    task.claimed_by = officer.id


async def unclaim(session: AsyncSession, task: Task, officer: Officer) -> None:
    check_unit(officer, task)
    await move_task(session, task, "unclaim", "officer", actor=officer.login)
    task.claimed_by = None


def _item(record: AgencyRecord) -> dict:
    return {"item_id": str(record.id), "title": record.title, "text": record.body,
            "record_date": record.record_date.isoformat()}


async def _correct_row(session: AsyncSession, record: AgencyRecord, values: dict,
                       agreement: Agreement | None) -> dict:
    """Correct a record a report brought, field by field: its values, title and text change together, and the
    corrected item names the row and its new values for the provider."""
    if agreement is None or record.report_id is None or record.row_id is None or not record.values:
        raise AnswerError(f"Record {record.id} did not come from a report: correct its text instead.")
    if unknown := sorted(set(values) - set(record.values)):
        raise AnswerError(f"Record {record.id} has no field {', '.join(unknown)}: correct only the fields it has.")
    report = await session.get(AgencyReport, record.report_id)
    flow = agreement.flow(report.flow)
    fields = [name for name in flow.fields if name in record.values]
    new = {**record.values, **{name: (value if value not in ("", None) else None) for name, value in values.items()}}
    if new == record.values:
        raise AnswerError(f"Record {record.id} would not change: give the fields' new values.")
    shape = RowShape.of(agreement, flow, fields, report.period)
    made = shape.record([record.participant_id, record.row_id, *[new.get(name) for name in fields]])
    item = {"item_id": str(record.id), "title": made["title"], "old_text": record.body, "new_text": made["body"],
            "row_id": record.row_id, "values": [{"field": name, "value": new.get(name)} for name in fields]}
    record.values, record.title, record.body = made["values"], made["title"], made["body"]
    record.record_date, record.corrected_at = made["record_date"], utcnow()
    session.add(record)
    return item


async def answer(session: AsyncSession, task: Task, officer: Officer, given: Answer, outbox: Outbox,
                 today: date, agreement: Agreement | None = None) -> dict:
    """Answer the unit's part; returns the unit.answered body that was sent."""
    request = await _request_of(session, task, officer)
    records = {r.id: r for r in await unit_records(session, task, request)}
    chosen = [*given.release, *given.withhold, *given.corrected, *given.corrected_values, *given.not_corrected]
    if unknown := [i for i in chosen if i not in records]:
        raise AnswerError(f"Records {unknown} are not this unit's records about this person.")
    if len(chosen) != len(set(chosen)):
        raise AnswerError("Each record can be released, withheld or corrected, but only one of these.")
    if bad := [g for g, _ in given.withhold.values() if g not in ITEM_GROUNDS]:
        raise AnswerError(f"{bad} are not grounds for withholding under the Privacy Act 2020 (ss 49-53).")
    if any(not why.strip() for _, why in given.withhold.values()):
        raise AnswerError("Explain each withheld record in a sentence the family will read.")
    if given.neither_confirm_nor_deny is not None or given.not_ours:
        _standing_alone(given, chosen, request.kind)
    elif not chosen and not given.not_held:
        raise AnswerError("Release, withhold or correct at least one record, or say what is not held.")
    body: dict = {
        "unit": task.unit_id,
        "released": [_item(records[i]) for i in given.release],
        "withheld": [{"item_id": str(i), "title": records[i].title, "ground": g, "explanation": why}
                     for i, (g, why) in given.withhold.items()],
        "not_held": [{"description": text} for text in given.not_held if text.strip()],
        "answered_on": today.isoformat(),
    }
    if given.neither_confirm_nor_deny is not None:
        ground, why = given.neither_confirm_nor_deny
        body["neither_confirm_nor_deny"] = {"ground": ground, **({"explanation": why} if why.strip() else {})}
    if given.not_ours:
        body["not_ours"] = True
    if given.corrected:
        body["corrected"] = [{"item_id": str(i), "title": records[i].title, "old_text": records[i].body,
                              "new_text": text} for i, text in given.corrected.items()]
        for i, text in given.corrected.items():
            records[i].body = text
            session.add(records[i])
    if given.corrected_values:
        body.setdefault("corrected", []).extend([await _correct_row(session, records[i], values, agreement)
                                                 for i, values in given.corrected_values.items()])
    if given.not_corrected:
        body["not_corrected"] = [{"item_id": str(i), "title": records[i].title, "reason": why}
                                 for i, why in given.not_corrected.items()]
    if given.note.strip():
        body["note"] = given.note.strip()
    await move_task(session, task, "answer", "officer", actor=officer.login, officer=str(officer.id),
                    claimed_by=str(task.claimed_by or ""))
    task.answer = body
    task.answered_at = utcnow()
    await session.flush()
    states = tuple((await session.exec(select(Task.state).where(Task.request_id == request.id))).all())
    if request.state == "received" and request_is_answered(states):
        await move_request(session, request, "complete", "system", actor="intake", task_states=states)
    await _tell_provider(session, outbox, request, "unit.answered", body)
    return body


def _standing_alone(given: Answer, chosen: list[int], kind: str) -> None:
    """Neither confirming nor denying (an access request), or saying a correction is not the unit's, is the whole
    answer: a released record or a "not held" beside it would say what it declines to say, or contradict it."""
    if given.neither_confirm_nor_deny is not None and given.not_ours:
        raise AnswerError("Choose one: neither confirm nor deny, or not ours.")
    if given.neither_confirm_nor_deny is not None:
        if kind != "access":
            raise AnswerError("Neither confirm nor deny answers an access request; a correction is corrected or not.")
        if given.neither_confirm_nor_deny[0] not in NCND_GROUNDS:
            raise AnswerError(f"{given.neither_confirm_nor_deny[0]!r} is not a ground on which the Privacy Act 2020 "
                              f"(s 47) lets an agency neither confirm nor deny: use one of {', '.join(NCND_GROUNDS)}.")
    if given.not_ours and kind != "correction":
        raise AnswerError("Not ours answers a correction request; for an access request say what is not held.")
    if chosen or given.not_held:
        raise AnswerError("Neither confirm nor deny, or not ours, is the whole answer: release, withhold, correct "
                          "or say nothing else beside it.")


async def ask_clarification(session: AsyncSession, task: Task, officer: Officer, question: str,
                            outbox: Outbox) -> None:
    request = await _request_of(session, task, officer)
    _not_about_a_study_number(request, "ask the family a question")
    await move_request(session, request, "ask_clarification", "officer", actor=officer.login, question=question,
                       for_task=task.id)
    await _tell_provider(session, outbox, request, "clarification.asked", {"unit": task.unit_id, "question": question})


async def extend(session: AsyncSession, task: Task, officer: Officer, ground: str, new_due: date, reasons: str,
                 outbox: Outbox, today: date) -> None:
    request = await _request_of(session, task, officer)
    if not reasons.strip():
        raise AnswerError("Give the reasons for the extension: the family is told them.")
    await move_request(session, request, "extend", "officer", actor=officer.login, ground=ground,
                       received_on=request.received_on, notified_on=today, new_due=new_due, note={"reasons": reasons})
    request.due_on = new_due
    for each in await session.exec(select(Task).where(Task.request_id == request.id)):
        each.due_on = new_due
        session.add(each)
    await _tell_provider(session, outbox, request, "request.extended", {
        "ground": ground, "new_due": new_due.isoformat(), "notified_on": today.isoformat(), "reasons": reasons})


async def transfer(session: AsyncSession, task: Task, officer: Officer, to_agency: str, reason: str,
                   outbox: Outbox, today: date) -> None:
    request = await _request_of(session, task, officer)
    _not_about_a_study_number(request, "be transferred")
    if not reason.strip():
        raise AnswerError("Give the reason for the transfer: the family is told it.")
    await move_request(session, request, "transfer", "officer", actor=officer.login, agency=to_agency,
                       received_on=request.received_on, transferred_on=today)
    for each in await session.exec(select(Task).where(Task.request_id == request.id, Task.state.in_(OPEN_TASK_STATES))):
        await move_task(session, each, "cancel", "system", actor=officer.login, note={"why": "transferred"})
    await _tell_provider(session, outbox, request, "request.transferred", {
        "to_agency": to_agency, "transferred_on": today.isoformat(), "reason": reason})
