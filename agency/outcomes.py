"""Outcomes of information use at the agency: a unit says what the programme's information informed (a decision,
advice or a report), against the reports it received that informed it, and the provider is told
(outcome.reported), so the families whose information was in those reports hear of it.

Every check is here, so the desk's form and its JSON API refuse the same things with the same sentence: a
report the unit never received, a report another unit received, a participant none of the reports named, a
template that does not exist or describes another kind of outcome, a missing version of the summary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from agency.models import AgencyRecord, AgencyReport, InformationUse, Officer
from protocol.outcomes import KINDS, summary_problem
from protocol.queue import Outbox


class OutcomeRefused(ValueError):
    """The outcome cannot be reported as given; the message is one sentence saying what to change."""


@dataclass(frozen=True)
class OutcomeGiven:
    kind: str
    reports: list[str]
    participant_id: str | None = None
    template: str | None = None
    summaries: dict | None = None


async def received_reports(session: AsyncSession, unit_id: str, provider: str, limit: int = 200) -> list[AgencyReport]:
    """The reports the unit received from the provider, newest first: what an officer may name."""
    return list(await session.exec(select(AgencyReport).where(
        AgencyReport.unit_id == unit_id, AgencyReport.provider == provider)
        .order_by(AgencyReport.received_at.desc(), AgencyReport.id.desc()).limit(limit)))


async def check(session: AsyncSession, officer: Officer, provider: str, given: OutcomeGiven) -> list[AgencyReport]:
    """The named reports, if the outcome may be reported as given; else OutcomeRefused, saying why."""
    if given.kind not in KINDS:
        raise OutcomeRefused("Say what kind of outcome it is: a decision, advice or a report.")
    if not given.reports:
        raise OutcomeRefused("Tick at least one report your unit received that informed this outcome.")
    if len(set(given.reports)) != len(given.reports):
        raise OutcomeRefused("A report is named twice; name each report once.")
    problem = summary_problem(given.kind, given.template, given.summaries)
    if problem:
        raise OutcomeRefused(problem)
    found = {r.ref: r for r in await session.exec(select(AgencyReport).where(
        AgencyReport.provider == provider, AgencyReport.ref.in_(given.reports)))}
    for ref in given.reports:
        report = found.get(ref)
        if report is None:
            raise OutcomeRefused(f"Your unit has not received a report {ref[:64]}: name only reports on your "
                                 "unit's list of received reports.")
        if report.unit_id != officer.unit_id:
            raise OutcomeRefused(f"The report {ref} went to another unit, not yours: an outcome names only "
                                 "reports your unit received.")
    if given.participant_id is not None:
        carried = (await session.exec(select(AgencyRecord.id).where(
            AgencyRecord.unit_id == officer.unit_id, AgencyRecord.participant_id == given.participant_id,
            AgencyRecord.study_numbered.is_(False),
            AgencyRecord.report_id.in_([r.id for r in found.values()])).limit(1))).first()
        if carried is None:
            raise OutcomeRefused(f"None of the named reports carried {given.participant_id} by name: name a report "
                                 "that did, or report the outcome for everyone the reports carried.")
    return [found[ref] for ref in given.reports]


async def report_outcome(session: AsyncSession, officer: Officer, given: OutcomeGiven, outbox: Outbox,
                         provider: str, today: date) -> InformationUse:
    """Record the outcome and tell the provider, in the caller's transaction; OutcomeRefused changes nothing."""
    await check(session, officer, provider, given)
    use = InformationUse(unit_id=officer.unit_id, participant_id=given.participant_id, kind=given.kind,
                         reports=list(given.reports), template=given.template, summaries=given.summaries,
                         reported_on=today, officer_id=officer.id)
    session.add(use)
    body: dict = {"unit": officer.unit_id, "kind": given.kind, "reports": list(given.reports),
                  "reported_on": today.isoformat()}
    if given.participant_id is not None:
        body["subject"] = given.participant_id
    body.update({"template": given.template} if given.template is not None else {"summaries": given.summaries})
    await outbox.send(session, type="outcome.reported", recipient=provider, request=None, body=body)
    return use


async def already_reported(session: AsyncSession, officer: Officer, given: OutcomeGiven, today: date) -> bool:
    """The same outcome from the same unit today (a form sent twice) is not reported again."""
    for use in await session.exec(select(InformationUse).where(
            InformationUse.unit_id == officer.unit_id, InformationUse.reported_on == today,
            InformationUse.kind == given.kind)):
        if (use.participant_id, sorted(use.reports), use.template, use.summaries) == (
                given.participant_id, sorted(given.reports), given.template, given.summaries):
            return True
    return False
