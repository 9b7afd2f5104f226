"""Outcomes of information use at the provider: a unit of the agency reports what the programme's information
informed (outcome.reported), against the reports it received that informed it. The provider checks the message
again against its own reports (each one sent to that unit; a named subject carried by one of them), keeps the
outcome with those reports, and tells every person whose information was in them, and everyone who may act for
them, in their chat's language and register. Study-numbered reports count too: the provider knows whose rows
went into them (the ledger); the agency never learns who.

A report may have carried thousands of people, so the notices are written in bulk (a few statements per
thousand chats), in the transaction that applies the message, never one row at a time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.flows.ports import Use
from bot.flows.sendings import TEMPLATE_TEXTS, outcome_summary, unit_name
from bot.language.i18n import Plain, Rendered, _, say, to_json
from bot.models import Authority, ChatLink, Notification, Person
from bot.outbound.notify import NOTICE_SCREEN
from bot.reports.tables import LedgerEntry, Outcome, OutcomeReport, Report
from bulk import insert_rows
from protocol.agreement import Agreement
from protocol.clock import utcnow
from protocol.messages import Envelope
from protocol.outcomes import TEMPLATES

BATCH = 1000  # notices per INSERT
OUTCOME_KINDS = {"decision": "A decision", "advice": "Advice", "report": "A report"}  # as the desk says them
SHOWN = 50  # outcomes a family's chat or a person's page lists, newest first
assert set(TEMPLATE_TEXTS) == set(TEMPLATES), "every template in protocol/outcomes.py needs its catalogue text"


class OutcomeProblem(ValueError):
    """The agency's outcome names a report the provider never sent to that unit, or a subject no report carried."""


async def apply_outcome(session: AsyncSession, agreement: Agreement, envelope: Envelope) -> Outcome:
    """The provider's queue handler for outcome.reported: keep it with its reports and tell the families."""
    body = envelope.body
    refs = list(body["reports"])
    reports = {r.ref: r for r in await session.exec(select(Report).where(Report.ref.in_(refs)))}
    for ref in refs:
        report = reports.get(ref)
        if report is None or report.state not in ("sent", "received"):
            raise OutcomeProblem(f"The outcome names report {ref}, which the provider never sent.")
        if report.unit != body["unit"]:
            raise OutcomeProblem(f"The outcome names report {ref}, which went to {report.unit}, not {body['unit']}.")
    report_ids = [reports[ref].id for ref in refs]
    people = select(LedgerEntry.person_id).where(LedgerEntry.report_id.in_(report_ids))
    subject = body.get("subject")
    if subject is not None:
        named = [reports[ref].id for ref in refs if reports[ref].named]
        people = (select(LedgerEntry.person_id).join(Person, Person.id == LedgerEntry.person_id)
                  .where(LedgerEntry.report_id.in_(named or [-1]), Person.participant_id == subject))
        if (await session.exec(people.limit(1))).first() is None:
            raise OutcomeProblem(f"The outcome is about {subject}, whom none of its named reports carried.")
    outcome = Outcome(unit=body["unit"], kind=body["kind"], subject=subject, template=body.get("template"),
                      summaries=body.get("summaries"), reported_on=date.fromisoformat(body["reported_on"]))
    session.add(outcome)
    await session.flush()
    await insert_rows(await session.connection(), OutcomeReport.__table__,
                      [{"outcome_id": outcome.id, "report_id": i} for i in report_ids])
    outcome.people = (await session.exec(select(func.count()).select_from(people.distinct().subquery()))).one()
    outcome.chats_told = await tell_families(session, agreement, outcome, people.distinct())
    return outcome


async def tell_families(session: AsyncSession, agreement: Agreement, outcome: Outcome, people) -> int:
    """A notice to each chat of a person in `people` (a query of person ids), and to each chat of someone who may
    act for one of them, naming the children; one notice per chat, in its language and register. Returns how
    many chats were told."""
    chats: dict[int, tuple[str, str, bool, list[str]]] = {}  # chat id -> (language, register, mine, children)
    own = await session.exec(select(ChatLink.id, ChatLink.language, ChatLink.audience).where(
        ChatLink.person_id.in_(people)))
    for chat_id, language, register in own:
        chats[chat_id] = (language, register, True, [])
    carers = await session.exec(
        select(ChatLink.id, ChatLink.language, ChatLink.audience, Person.given_name)
        .join(Authority, Authority.actor_id == ChatLink.person_id).join(Person, Person.id == Authority.subject_id)
        .where(Authority.subject_id.in_(people), Authority.revoked_at.is_(None))
        .order_by(ChatLink.id, Person.given_name))
    children: dict[int, list[str]] = defaultdict(list)
    for chat_id, language, register, name in carers:
        children[chat_id].append(name)
        chats.setdefault(chat_id, (language, register, False, []))
    now = utcnow()
    connection = await session.connection()
    rows = []
    for chat_id, (language, register, mine, _none) in chats.items():
        language = language if language in ("en", "mi") else "en"
        register = register if register in ("adult", "child") else "adult"
        rows.append({"chat_link_id": chat_id, "request_id": None, "buttons": [], "screen": NOTICE_SCREEN,
                     "language": language, "audience": register, "created_at": now, "next_attempt_at": now,
                     "attempts": 0, "parts_sent": 0, "in_doubt": 0,
                     "text": to_json(_notice(agreement, outcome, language, register, mine, children.get(chat_id, [])))})
        if len(rows) == BATCH:
            await insert_rows(connection, Notification.__table__, rows)
            rows = []
    await insert_rows(connection, Notification.__table__, rows)
    return len(chats)


def _notice(agreement: Agreement, outcome: Outcome, language: str, register: str, mine: bool, children: list[str]):
    unit = Plain(unit_name(agreement, outcome.unit, language, register))
    summary = Rendered(say(outcome_summary(agreement, outcome.unit, outcome.template, outcome.summaries, language,
                                           register), language, register))
    names = Plain(", ".join(dict.fromkeys(children)))
    # The summary comes last, after sentences of their own: a summary is the unit's words, not ours.
    if mine and children:
        return _("{unit} has told {provider} how it used what {provider} sent it. Some of it was about you and "
                 "{names}. You can read this again under “How was my information used?”.\n\n{summary}",
                 unit=unit, names=names, summary=summary)
    if mine:
        return _("{unit} has told {provider} how it used what {provider} sent it. Some of it was about you. You can "
                 "read this again under “How was my information used?”.\n\n{summary}", unit=unit, summary=summary)
    return _("{unit} has told {provider} how it used what {provider} sent it. Some of it was about {names}. You can "
             "read this again under “How was my information used?”.\n\n{summary}", unit=unit, names=names,
             summary=summary)


# ---- reading outcomes back ---------------------------------------------------------------------------------------


async def uses_for(session: AsyncSession, own_id: int | None, children: dict[int, str]) -> list[Use]:
    """The outcomes tied to reports that carried the information of `own_id` or of the `children` ({person id:
    given name}), newest first, each saying whose information it used (for "How was my information used?")."""
    ids = ([own_id] if own_id is not None else []) + list(children)
    if not ids:
        return []
    found = await session.exec(
        select(Outcome, Report.flow, LedgerEntry.person_id)
        .join(OutcomeReport, OutcomeReport.outcome_id == Outcome.id)
        .join(Report, Report.id == OutcomeReport.report_id)
        .join(LedgerEntry, LedgerEntry.report_id == Report.id)
        .where(LedgerEntry.person_id.in_(ids))
        .order_by(Outcome.reported_on.desc(), Outcome.id.desc()).limit(SHOWN * 20))
    participants = dict((await session.exec(select(Person.id, Person.participant_id).where(Person.id.in_(ids)))).all())
    merged: dict[int, tuple[Outcome, dict, set]] = {}
    for outcome, flow, person_id in found:
        if outcome.subject is not None and outcome.subject != participants.get(person_id):
            continue  # about one participant only: told to them and to those who may act for them
        _o, flows, people = merged.setdefault(outcome.id, (outcome, {}, set()))
        flows[flow] = True
        people.add(person_id)
    return [Use(o.reported_on, o.kind, o.unit, o.template, o.summaries, tuple(flows),
                tuple(children[p] for p in sorted(people) if p in children), own_id in people)
            for o, flows, people in list(merged.values())[:SHOWN]]


@dataclass(frozen=True)
class OutcomeView:
    """An outcome as a desk page shows it: in English for an adult, with the reports that informed it."""

    outcome: Outcome
    unit_name: str
    summary: str
    reports: list[str]


async def outcome_views(session: AsyncSession, agreement: Agreement, *, report_id: int | None = None,
                        person_id: int | None = None) -> list[OutcomeView]:
    """The outcomes informed by one report, or by any report that carried one person, newest first."""
    query = select(Outcome).join(OutcomeReport, OutcomeReport.outcome_id == Outcome.id)
    if report_id is not None:
        query = query.where(OutcomeReport.report_id == report_id)
    if person_id is not None:
        query = query.join(LedgerEntry, LedgerEntry.report_id == OutcomeReport.report_id).where(
            LedgerEntry.person_id == person_id)
    outcomes = list({o.id: o for o in await session.exec(
        query.order_by(Outcome.reported_on.desc(), Outcome.id.desc()).limit(SHOWN * 5))}.values())[:SHOWN]
    if person_id is not None:
        participant = (await session.exec(select(Person.participant_id).where(Person.id == person_id))).first()
        outcomes = [o for o in outcomes if o.subject is None or o.subject == participant]
    refs: dict[int, list[str]] = defaultdict(list)
    if outcomes:
        for outcome_id, ref in await session.exec(
                select(OutcomeReport.outcome_id, Report.ref).join(Report, Report.id == OutcomeReport.report_id)
                .where(OutcomeReport.outcome_id.in_([o.id for o in outcomes])).order_by(Report.ref)):
            refs[outcome_id].append(ref)
    return [OutcomeView(o, unit_name(agreement, o.unit, "en", "adult"),
                        say(outcome_summary(agreement, o.unit, o.template, o.summaries, "en", "adult"), "en", "adult"),
                        refs[o.id]) for o in outcomes]
