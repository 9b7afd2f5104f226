"""The Best foot forward demo: what `tono setup` makes from the agreement (the agency's units), then three
whānau, desk logins and agency records.

Idempotent: running it again adds nothing that is already there. The passwords below are demo data only; they
are printed in the README, so `tono login remove-demo` disables any of these logins that still has one.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from agency.models import AgencyRecord, Officer
from bot.models import Authority, Family, Person, StaffAccount
from deskkit.passwords import hash_password
from protocol.agreement import Agreement
from tono.agreement_setup import served_sides, set_up_units
from tono.database import make_engine, make_sessionmaker
from tono.settings import Settings

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

# Records each unit holds, by the kind of unit's purpose; participant ids from FAMILIES.
RECORDS = {
    "evaluation": [
        ("BFF-P-1001", "Evaluation consent form", "Agreed to take part in the programme evaluation.",
         date(2026, 2, 10)),
        ("BFF-P-1001", "Parenting confidence survey (start)", "Confidence in routines: 2 of 5. "
         "Would like help with bedtime.", date(2026, 2, 17)),
        ("BFF-P-1004", "Parenting confidence survey (start)", "Confidence in routines: 3 of 5.",
         date(2026, 3, 3)),
    ],
    "service-reporting": [
        ("BFF-P-1001", "Attendance report, term 1", "Attended 7 of 8 group sessions.", date(2026, 4, 10)),
        ("BFF-P-1001", "Family plan review", "Reviewed the family plan with Aroha and her sister, who shared "
         "details of her own situation.", date(2026, 5, 6)),
        ("BFF-P-1003", "Referral record", "Referred by the school's social worker for support at home.",
         date(2026, 1, 28)),
        ("BFF-P-1005", "Attendance report, term 1", "Attended 5 of 8 sessions; two missed for illness.",
         date(2026, 4, 10)),
        ("BFF-P-1006", "Outcome report", "Goal set: a regular morning routine. Progress: on track.",
         date(2026, 5, 1)),
    ],
}


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
    return logins


async def seed_demo(settings: Settings, agreement: Agreement) -> list[tuple[str, str, str, str]]:
    """Load the demo (only this organisation's part when TONO_ROLE names one); return the desk logins as
    (desk, login, password, who)."""
    sides = served_sides(settings)
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            if "provider" in sides:
                await _seed_provider(session, agreement)
            if "agency" in sides:
                await _seed_agency(session, agreement)
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


async def _seed_agency(session: AsyncSession, agreement: Agreement) -> None:
    await set_up_units(session, agreement)
    for unit in agreement.units:
        login = _officer_login(unit.id)
        if (await session.exec(select(Officer).where(Officer.login == login))).first() is None:
            session.add(Officer(login=login, display_name=f"Demo officer ({unit.id})", unit_id=unit.id,
                                password_hash=hash_password(_officer_password(unit.id))))
        await session.flush()
        for participant_id, title, body, when in RECORDS.get(unit.id, []):
            await _get_or_add(session, AgencyRecord, {"unit_id": unit.id, "participant_id": participant_id,
                                                      "title": title}, body=body, record_date=when)
