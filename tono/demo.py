"""The Best foot forward demo: what `tono setup` makes from the agreement (the agency's units), then three
whānau, a synthetic cohort, their programme data and consents (tono/demo_programme.py), and desk logins.

Idempotent: running it again adds nothing that is already there. The passwords below are demo data only; they
are printed in the README, so `tono login remove-demo` disables any of these logins that still has one.
"""

from __future__ import annotations

import logging
from datetime import date

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from agency import outcomes as agency_outcomes
from agency.models import InformationUse, Officer
from agency.outcomes import received_reports
from bot.models import Authority, Family, Person, StaffAccount
from bot.records.consent import record_consent
from bot.records.recording import record_row
from bot.records.tables import ConsentEvent
from bot.reports.approving import approve
from bot.reports.overview import due_reports
from bot.reports.preparing import prepare
from deskkit.passwords import hash_password
from protocol.agreement import Agreement
from protocol.clock import nz_today
from protocol.schedule import period_of
from tono import demo_programme
from tono.agreement_setup import served_sides, set_up_units
from tono.database import make_engine, make_sessionmaker
from tono.keys import SigningKeyError, study_number_key
from tono.link import link_for
from tono.settings import Settings

log = logging.getLogger(__name__)

# (family ref, family name, [(person ref, participant id, given, family, birth date, young person?)])
FAMILIES = [
    ("F-0001", "Parata whānau", [
        ("P-0001", "BFF-P-1001", "Aroha", "Parata", date(1988, 3, 14), False),
        ("P-0002", "BFF-P-1002", "Nikau", "Parata", date(2013, 9, 2), True),
        ("P-0003", "BFF-P-1003", "Mere", "Parata", date(2018, 5, 21), True),
    ]),
    ("F-0002", "Smith family", [
        ("P-0004", "BFF-P-1004", "Grace", "Smith", date(1961, 11, 30), False),
        ("P-0005", "BFF-P-1005", "Liam", "Smith", date(2016, 1, 8), True),
    ]),
    ("F-0003", "Tanielu family", [
        ("P-0006", "BFF-P-1006", "Sina", "Tanielu", date(1992, 7, 4), False),
        ("P-0007", "BFF-P-1007", "Tavita", "Tanielu", date(2020, 12, 12), True),
    ]),
]

# (actor, subject, relationship, how staff know it). Nikau (13) asks for himself: parents have no
# automatic right to a young person's information.
AUTHORITIES = [
    ("P-0001", "P-0003", "parent", "Birth certificate seen at enrolment"),
    ("P-0004", "P-0005", "caregiver", "Family Court care order seen"),
    ("P-0006", "P-0007", "parent", "Known to the worker; birth certificate seen"),
]

STAFF = [("kaimahi", "demo-kaimahi-2026", "Demo staff member (CCSS)")]

# The demo officer's role in each unit (from the agreement's seen_by), so families are told which role opened
# their information. The evaluation unit's officer answers named requests from the consent forms, which its
# lead keeps; a unit not listed here gets its first role.
DEMO_ROLES = {"evaluation": "evaluation-lead"}
# A unit whose roles see different holdings (named and study-numbered) gets one more demo officer for each other
# role that sees something: in the demo, the evaluator, who answers the study-numbered part of a family's request
# (their survey answers) without ever seeing a name. Without one, that part could not be answered on `make run`.
DEMO_SECOND_OFFICERS = [("evaluation", "evaluator", "evaluator", "demo-evaluator-2026")]


def _officer_login(unit_id: str) -> str:
    return f"officer-{unit_id}"[:64]


def _officer_password(unit_id: str) -> str:
    return f"demo-{unit_id}-2026"


def demo_logins(agreement: Agreement, sides: tuple[str, ...]) -> list[tuple[str, str, str, str]]:
    """The desk logins the demo makes on these sides, as (desk, login, password, who); desk is provider or
    agency."""
    logins = [("provider", login, password, who) for login, password, who in STAFF if "provider" in sides]
    logins += [("agency", _officer_login(unit.id), _officer_password(unit.id), f"Officer, {unit.id} unit")
               for unit in agreement.units if "agency" in sides]
    units = {unit.id for unit in agreement.units}
    logins += [("agency", login, password, f"{role.capitalize()}, {unit} unit (study numbers, never names)")
               for unit, role, login, password in DEMO_SECOND_OFFICERS if "agency" in sides and unit in units]
    return logins


async def seed_demo(settings: Settings, agreement: Agreement) -> list[tuple[str, str, str, str]]:
    """Load the demo (only this organisation's part when TONO_ROLE names one); return the desk logins as
    (desk, login, password, who).

    Then the provider sends every report due for the demo's programme data, as staff would: prepared, approved
    by the demo's staff login, signed onto the queue. With both organisations here the queue is moved until it
    is quiet, so the agency's units hold what the reports brought (no agency record is written by hand); as
    the provider alone, the reports wait in the outbox until `tono run` sends them to the agency's server.
    """
    sides = served_sides(settings)
    engine = make_engine(settings.database_url)
    try:
        sessions = make_sessionmaker(engine)
        async with sessions() as session, session.begin():
            if "provider" in sides:
                await _seed_provider(session, agreement)
            if "agency" in sides:
                await _seed_agency(session, agreement)
        if "provider" in sides:
            await _send_due_reports(settings, agreement, sessions, sides)
    finally:
        await engine.dispose()
    return [(f"{desk} desk", login, password, who) for desk, login, password, who in demo_logins(agreement, sides)]


async def _get_or_add(session: AsyncSession, model, lookup: dict, **values):
    found = (await session.exec(select(model).filter_by(**lookup))).first()
    if found is None:
        found = model(**lookup, **values)
        session.add(found)
        await session.flush()
    return found


async def _seed_provider(session: AsyncSession, agreement: Agreement) -> None:
    people: dict[str, Person] = {}
    for family_ref, family_name, members in FAMILIES:
        family = await _get_or_add(session, Family, {"ref": family_ref}, name=family_name)
        for ref, participant_id, given, surname, born, young in members:
            people[ref] = await _get_or_add(
                session, Person, {"ref": ref}, participant_id=participant_id, family_id=family.id,
                given_name=given, family_name=surname, birth_date=born, is_young_person=young,
            )
    for actor, subject, relationship, evidence in AUTHORITIES:
        await _get_or_add(session, Authority, {"actor_id": people[actor].id, "subject_id": people[subject].id},
                          relationship=relationship, evidence=evidence)
    for login, password, who in STAFF:
        if (await session.exec(select(StaffAccount).where(StaffAccount.login == login))).first() is None:
            session.add(StaffAccount(login=login, display_name=who, password_hash=hash_password(password)))
    await _seed_programme_data(session, agreement, people)


async def _seed_programme_data(session: AsyncSession, agreement: Agreement, people: dict[str, Person]) -> None:
    """The whānau's and the synthetic cohort's programme data and evaluation consents, recorded as staff would."""
    pairs = [(people[data.ref], data) for data in demo_programme.WHANAU]
    for number, made in enumerate(demo_programme.synthetic_people(), start=1):
        family = await _get_or_add(session, Family, {"ref": f"F-{100 + number:04d}"},
                                   name=f"Cohort family {number:02d}")
        person = await _get_or_add(session, Person, {"ref": made.ref}, participant_id=made.participant_id,
                                   family_id=family.id, given_name=made.given_name, family_name=made.family_name,
                                   birth_date=made.birth_date, is_young_person=False)
        pairs.append((person, made.data))
    for person, data in pairs:
        for holding_id, rows in demo_programme.rows_for(person, data).items():
            for row in rows:
                await record_row(session, agreement, person, holding_id, row, by=STAFF[0][0])
        if data.evaluation and not (await session.exec(select(ConsentEvent.id).where(
                ConsentEvent.person_id == person.id, ConsentEvent.consent == "evaluation"))).first():
            await record_consent(session, agreement, person, "evaluation", given=True,
                                 on=demo_programme.consent_day(data), how="form", recorded_by=STAFF[0][0],
                                 today=nz_today())


async def _send_due_reports(settings: Settings, agreement: Agreement, sessions, sides: tuple[str, ...]) -> None:
    """Prepare and approve every report due for the demo's data; a second run finds nothing due and sends
    nothing. Without the keys to sign with (one organisation still on the demo's keys), nothing is sent: the
    reports wait on the desk, due, as they would for staff."""
    try:
        link = link_for(settings, agreement, sessions)
    except SigningKeyError as error:
        log.warning("The demo's reports were not sent: %s", error)
        return
    key = study_number_key(agreement, settings.keys_dir)
    today = nz_today()
    try:
        async with sessions() as session, session.begin():
            for due in await due_reports(session, agreement, today):
                if due.due.period >= period_of(today):
                    continue  # the month is not over: more rows may come, as staff would wait for them
                report = await prepare(session, agreement, due.flow.id, due.due.period, key, prepared_by=STAFF[0][0])
                await approve(session, agreement, report.ref, login=STAFF[0][0], outbox=link.provider, today=today)
        if "agency" in sides:
            await link.settle()
            await _report_demo_outcomes(agreement, sessions, link, today)
    finally:
        await link.aclose()


# Outcomes of information use the demo's units report against the reports they received, so the desks and the
# families' chats show both ways of giving a summary: a template from the catalogues, and four written versions.
DEMO_OUTCOMES = [
    ("evaluation", "decision", {"template": "evaluation-changed-programme"}),
    ("service-reporting", "report", {"summaries": {
        "en": {"adult": "The attendance figures showed that home visits were well used, so the agency will pay for "
                        "more of them next year.",
               "child": "Lots of families liked the home visits. So there will be more of them next year."},
        "mi": {"adult": "I kitea i ngā tatauranga taenga mai he nui te whakamahinga o ngā toronga ā-kāinga, nō reira "
                        "ka utu te Manatū mō ētahi atu ā tērā tau.",
               "child": "He maha ngā whānau i pai ki ngā toronga ā-kāinga. Nā reira ka nui ake ā tērā tau."}}}),
]


async def _report_demo_outcomes(agreement: Agreement, sessions, link, today: date) -> None:
    """Each demo unit's officer reports its outcome against every report the unit received, once: a second
    seed-demo finds the outcome there and reports nothing new. The link then carries it to the provider, which
    tells the families whose information was in those reports."""
    async with sessions() as session, session.begin():
        for unit_id, kind, summary in DEMO_OUTCOMES:
            officer = (await session.exec(select(Officer).where(Officer.login == _officer_login(unit_id)))).first()
            received = [r for r in await received_reports(session, unit_id, agreement.provider.id)
                        if r.corrects_ref is None]
            if officer is None or not received or (await session.exec(select(InformationUse.id).where(
                    InformationUse.unit_id == unit_id, InformationUse.officer_id == officer.id).limit(1))).first():
                continue
            await agency_outcomes.report_outcome(
                session, officer, agency_outcomes.OutcomeGiven(kind, [r.ref for r in received], **summary),
                link.agency, agreement.provider.id, today)
    await link.settle()


async def _seed_agency(session: AsyncSession, agreement: Agreement) -> None:
    await set_up_units(session, agreement)
    for unit in agreement.units:
        login = _officer_login(unit.id)
        if (await session.exec(select(Officer).where(Officer.login == login))).first() is None:
            session.add(Officer(login=login, display_name=f"Demo officer ({unit.id})", unit_id=unit.id,
                                role=DEMO_ROLES.get(unit.id, unit.seen_by[0].id),
                                password_hash=hash_password(_officer_password(unit.id))))
        await session.flush()
    units = {unit.id for unit in agreement.units}
    for unit_id, role, login, password in DEMO_SECOND_OFFICERS:
        if unit_id in units and (await session.exec(select(Officer).where(Officer.login == login))).first() is None:
            session.add(Officer(login=login, display_name=f"Demo {role} ({unit_id})", unit_id=unit_id, role=role,
                                password_hash=hash_password(password)))
    await session.flush()
