"""A task as the unit needs to see it, built once for the desk's page and its JSON API alike: the request,
the person, what was asked, the history, and the moves the lifecycles allow this officer now."""

from __future__ import annotations

from datetime import date

from agency.models import AgencyEvent, AgencyRecord, AgencyReport, AgencyRequest, Officer, Task
from agency.report_rows import period_words
from deskkit.dates import DATES  # one format for both desks and the chat
from protocol import deadlines, lifecycle, tasks
from protocol.grounds import EXTENSION_GROUNDS, WITHHOLDING_GROUNDS

# "23 December 2026" and "25 November 2026, 10:15 am" (New Zealand time), as the provider desk and the chat write them.
KINDS = {"access": "Access request (IPP 6)", "correction": "Correction request (IPP 7)"}
TASK_STATES = {"open": "Open: nobody has claimed it", "claimed": "Claimed", "answered": "Answered",
               "withdrawn": "Withdrawn: no answer needed"}
# A request's or a task's state in the history, as an officer says it (never the lifecycle's own codes).
STATE_WORDS = {
    "received": "received", "clarifying": "waiting for the family's answer", "answered": "answered",
    "transferred": "transferred", "withdrawn": "withdrawn", "open": "open", "claimed": "claimed",
    "cancelled": "cancelled", "new": "new",
}  # fmt: skip
# A task's own steps; a request's step taken for one task (its unit's question) is still the request's.
TASK_TRIGGERS = frozenset(row["trigger"] for row in tasks.TASK_TRANSITIONS)
# What each step of the history means, in the lifecycles' own words.
STEP_WORDS = {row["trigger"]: row["description"] for row in (*lifecycle.TRANSITIONS, *tasks.TASK_TRANSITIONS)}
GROUND_SECTIONS = {code: g.section for code, g in WITHHOLDING_GROUNDS.items()}
GROUNDS = [(code, g.section, g.description) for code, g in WITHHOLDING_GROUNDS.items() if code != "does_not_exist"]
EXTENSION_NAMES = {"large_quantity": "A large quantity of information", "consultations": "Consultations",
                   "complexity": "Complexity"}
EXTENSION_CHOICES = [(g.value, EXTENSION_NAMES.get(g.value, g.value), text) for g, text in EXTENSION_GROUNDS.items()]
SHOWN_DETAIL = ("question", "answer", "ground", "new_due", "agency", "why", "reasons", "what", "due")


day, moment = DATES.day, DATES.moment


def person(request: AgencyRequest) -> dict:
    if request.study_numbered:  # a study part: the unit knows the person only by the study number
        return {"participant_id": request.participant_id, "name": f"study number {request.participant_id}",
                "date_of_birth": None, "study_numbered": True}
    subject = request.relayed.get("subject", {})
    return {"participant_id": request.participant_id, "name": " ".join(
        part for part in (subject.get("given_name"), subject.get("family_name")) if part),
        "date_of_birth": subject.get("date_of_birth")}


def asked(request: AgencyRequest) -> dict:
    """What the family asked for, as relayed: the unit needs this, and nothing more of the provider's."""
    relayed = request.relayed
    return {"details": relayed.get("details", ""), "correction": relayed.get("correction"),
            "requester_relationship": relayed.get("requester", {}).get("relationship", ""),
            "form": relayed.get("form", ""), "urgent": bool(relayed.get("urgent")),
            "urgency_reason": relayed.get("urgency_reason", "")}


def allowed(task: Task, request: AgencyRequest, officer: Officer) -> list[str]:
    """The moves this officer may make now, from the two lifecycles (never a hand-made list).

    A task's `answer` is offered only to the officer holding it (the lifecycle's guard, asked with `may`);
    the request's moves only while the unit still has its part to do."""
    me, holder = str(officer.id), str(task.claimed_by or "")
    moves = [t for t in tasks.allowed_task_triggers(task.state, "officer")
             if t != "answer" or tasks.may_task(task.state, t, "officer", officer=me, claimed_by=holder)]
    if tasks.task_is_open(task.state):
        moves += [t for t in lifecycle.allowed_triggers(request.state, "officer")
                  if not (request.study_numbered and t in STUDY_PART_CANNOT)]
    return moves


# A study part does not know who asked: a question for the family, or a transfer, goes with the named part.
STUDY_PART_CANNOT = ("ask_clarification", "transfer")


def _shown(value: object) -> str:
    if isinstance(value, dict):  # a note, e.g. {"reasons": "..."}
        value = "; ".join(str(v) for v in value.values())
    text = str(value)
    try:
        return day(date.fromisoformat(text)) if len(text) == 10 else text
    except ValueError:
        return text


def event_row(event: AgencyEvent) -> dict:
    detail = {k: _shown(v) for k, v in (event.detail or {}).items() if k in SHOWN_DETAIL and v not in (None, "")}
    meaning = STEP_WORDS.get(event.trigger, "")
    if event.trigger == "opened":  # agency.moves.record_opening: "what" says what was seen
        meaning = f"Opened {detail.pop('what', 'the task')}."
    about = "task" if event.task_id and event.trigger in TASK_TRIGGERS else "request"
    return {"seq": event.seq, "at": event.at.isoformat(), "when": moment(event.at), "who": event.actor_label,
            "role": event.actor_role, "step": event.trigger, "about": about,
            "from": event.from_state, "to": event.to_state, "meaning": meaning,
            "detail": detail}


def _under_16(born: str | None, today: date) -> bool:
    """Whether the Act's ground for withholding in the interests of someone under 16 (s 49(1)(c)) can apply."""
    if not born:
        return False
    day = date.fromisoformat(born)
    return today.year - day.year - ((today.month, today.day) < (day.month, day.day)) < 16


def last_question(events: list[AgencyEvent]) -> str:
    for event in reversed(events):
        if event.trigger == "ask_clarification":
            return str((event.detail or {}).get("question", ""))
    return ""


def decided(answer: dict) -> dict[str, str]:
    """What the unit's answer did with each record, by record id, in a word or two."""
    said = {item["item_id"]: "Released" for item in answer.get("released", [])}
    said |= {item["item_id"]: f"Withheld, {GROUND_SECTIONS.get(item['ground'], item['ground'])}"
             for item in answer.get("withheld", [])}
    said |= {item["item_id"]: "Corrected" for item in answer.get("corrected", [])}
    said |= {item["item_id"]: "Not corrected" for item in answer.get("not_corrected", [])}
    return said


def task_view(task: Task, request: AgencyRequest, officer: Officer, events: list[AgencyEvent], today: date,
              claimed_by: str | None) -> dict:
    """Everything about a task the unit may see, as plain data (JSON-ready, dates as ISO strings)."""
    overdue = tasks.task_is_open(task.state) and deadlines.is_overdue(task.due_on, today)
    return {
        "id": task.id, "unit": task.unit_id, "state": task.state, "is_open": tasks.task_is_open(task.state),
        "due_on": task.due_on.isoformat(),
        "overdue": overdue, "working_days_left": deadlines.working_days_left(task.due_on, today),
        "claimed_by": claimed_by, "claimed_by_me": task.claimed_by == officer.id,
        "allowed": allowed(task, request, officer), "answer": task.answer or None,
        "decided": decided(task.answer or {}),
        "request": {
            "reference": request.provider_ref, "provider": request.provider, "kind": request.kind,
            "state": request.state, "person": person(request), "asked": asked(request),
            "received_on": request.received_on.isoformat(), "due_on": request.due_on.isoformat(),
            "original_due_on": deadlines.decision_due(request.received_on).isoformat(),
            "transfer_by": deadlines.transfer_due(request.received_on).isoformat(),
            # Only the unit that asked sees its question and the family's answer (events are the task's own).
            "under_16": _under_16(person(request).get("date_of_birth"), today),
            "clarification": {"question": (question := last_question(events)),
                              "answer": request.clarification_answer if question else None},
        },
        "history": [event_row(e) for e in events],
    }


def report_source(report: AgencyReport | None) -> str:
    """Where a record came from, in a line: "From report RPT-attendance-2026-11, attendance flow, November 2026"."""
    if report is None:
        return "From your unit's own systems"
    correction = f", correcting {report.corrects_ref}" if report.corrects_ref else ""
    return f"From report {report.ref}, {report.flow} flow, {period_words(report.period)}{correction}"


def record_view(record: AgencyRecord, report: AgencyReport | None = None) -> dict:
    """A record as an officer sees it: which report it came from, and, when it is held under a study number,
    that number as such (such a record is never shown beside a name)."""
    return {"id": record.id, "title": record.title, "record_date": record.record_date.isoformat(),
            "text": record.body, "corrected_at": record.corrected_at.isoformat() if record.corrected_at else None,
            "statement_of_correction": record.statement_of_correction,
            "source": report_source(report), "report": report.ref if report else None,
            "study_number": record.participant_id if record.study_numbered else None,
            # A record a report brought is corrected field by field (the provider corrects its row too).
            "fields": [{"name": name, "value": "" if value is None else str(value)}
                       for name, value in (record.values or {}).items()] if record.report_id is not None else []}


def report_row(report: AgencyReport) -> dict:
    """A report the unit received, as its list shows it."""
    return {"ref": report.ref, "flow": report.flow, "period": period_words(report.period),
            "rows": report.rows, "received_on": report.received_on.isoformat(),
            "named": report.named, "corrects": report.corrects_ref}
