"""[reporting] item 8 end to end, on SQLite and PostgreSQL, on the seeded demo: an agency officer reports an outcome
of information use against a report their unit received; the provider keeps it with its own report, shows it on
the desk's report page and on a person's page, and tells every family whose information was in the report (and
those who may act for them) in their own language and register, in the chat and under "How was my information
used?"; a family whose information was not in the report hears nothing. A study-numbered report works the same
way, and the agency never learns who was told. Wrong outcomes get one sentence and change nothing."""

from __future__ import annotations

import html
import json

import pytest
from sqlalchemy import func
from sqlmodel import select

from agency.desk import store
from agency.models import AgencyReport, InformationUse, Officer
from bot.flows.ports import ChatInfo
from bot.flows.sendings import outcome_line
from bot.language.i18n import from_json, say
from bot.models import Authority, ChatLink, Notification, Person
from bot.people.family import FamilyDesk
from bot.reports.tables import LedgerEntry, Outcome, OutcomeReport, Report
from linkqueue.tables import QUEUE_TABLES
from tests.agency.desk.agency_world import HTML, tono_app
from tests.bot.chat_driver import TODAY
from tests.bot.desk.provider_desk_support import client_for, sign_in

FOUR = {"en": {"adult": "Home visits were well used, so there will be more next year.",
               "child": "Lots of families liked home visits. There will be more."},
        "mi": {"adult": "He nui te whakamahinga o ngā toronga ā-kāinga, nō reira ka nui ake ā tērā tau.",
               "child": "He maha ngā whānau i pai ki ngā toronga ā-kāinga."}}
# (person ref, language, register) of the chats the test opens: Aroha and her son Nikau (13) in the programme,
# Grace in te reo Māori; P-0099 was never in the programme, so no report carried her.
CHATS = [("P-0001", "en", "adult"), ("P-0002", "mi", "child"), ("P-0004", "mi", "adult"), ("P-0099", "en", "adult")]


@pytest.fixture
async def world(seeded_url, tmp_path):
    made = tono_app(seeded_url, tmp_path)
    yield made
    await made.engine.dispose()


async def _open_chats(world) -> dict[str, ChatLink]:
    chats = {}
    async with world.sessions.begin() as session:
        outsider = Person(ref="P-0099", participant_id="BFF-P-9099", given_name="Hine", family_name="Outside")
        session.add(outsider)
        await session.flush()
        for ref, language, register in CHATS:
            person = (await session.exec(select(Person).where(Person.ref == ref))).one()
            link = ChatLink(channel="web", chat_key=f"chat-{ref}", person_id=person.id, language=language,
                            audience=register)
            session.add(link)
            await session.flush()
            chats[ref] = link
    return chats


async def _token(world, unit: str) -> str:
    async with world.sessions.begin() as session:
        officer = (await session.exec(select(Officer).where(Officer.unit_id == unit))).first()
        return await store.create_token(session, officer, "case system")


async def _report(world, unit: str, prefix: str) -> AgencyReport:
    async with world.sessions() as session:
        return (await session.exec(select(AgencyReport).where(AgencyReport.unit_id == unit,
                                                              AgencyReport.ref.startswith(prefix))
                                   .order_by(AgencyReport.ref.desc()))).first()


async def _report_outcome(world, unit: str, body: dict):
    token = await _token(world, unit)
    async with client_for(world.app) as system:
        return await system.post("/agency/api/outcomes", headers={"Authorization": f"Bearer {token}"}, json=body)


async def _notices_since(world, last_id: int) -> dict[int, list[str]]:
    """The notices written since, as each chat reads them (in the language and register they were written in)."""
    told: dict[int, list[str]] = {}
    async with world.sessions() as session:
        for notice in await session.exec(select(Notification).where(Notification.id > last_id)):
            told.setdefault(notice.chat_link_id, []).append(say(from_json(notice.text), notice.language,
                                                                notice.audience))
    return told


async def _last_notice(world) -> int:
    async with world.sessions() as session:
        return (await session.exec(select(func.max(Notification.id)))).one() or 0


async def test_an_outcome_reaches_every_family_in_the_report_in_their_own_language_and_register(world):
    chats = await _open_chats(world)
    attendance = await _report(world, "service-reporting", "RPT-attendance-")
    last = await _last_notice(world)

    made = await _report_outcome(world, "service-reporting", {"kind": "report", "reports": [attendance.ref],
                                                              "summaries": FOUR})
    await world.link.settle()

    assert made.status_code == 201, made.text
    async with world.sessions() as session:
        outcome = (await session.exec(select(Outcome).order_by(Outcome.id.desc()))).first()
        informed_by = (await session.exec(select(Report.ref).join(OutcomeReport, OutcomeReport.report_id == Report.id)
                                          .where(OutcomeReport.outcome_id == outcome.id))).all()
        carried = set((await session.exec(select(LedgerEntry.person_id).join(Report, Report.id == LedgerEntry.report_id)
                                           .where(Report.ref == attendance.ref))).all())
        people = {p.ref: p for p in await session.exec(select(Person))}
        carers = {(a.actor_id, a.subject_id) for a in await session.exec(
            select(Authority).where(Authority.revoked_at.is_(None)))}
    assert (outcome.unit, outcome.kind, outcome.summaries, informed_by) == (
        "service-reporting", "report", FOUR, [attendance.ref])
    assert outcome.people == len(carried) > 0

    told = await _notices_since(world, last)
    expected = {link.id for ref, link in chats.items() if people[ref].id in carried or any(
        (people[ref].id, child) in carers for child in carried)}
    assert set(told) == expected and chats["P-0099"].id not in told  # no report carried her: she hears nothing
    assert all(len(notices) == 1 for notices in told.values())  # one notice per chat, however many it covers
    assert FOUR["en"]["adult"] in told[chats["P-0001"].id][0]
    assert "Service delivery reporting team has told" in told[chats["P-0001"].id][0]
    assert FOUR["mi"]["child"] in told[chats["P-0002"].id][0]
    assert "Te rōpū e tatau ana i te hunga ka tae mai" in told[chats["P-0002"].id][0]  # the unit, for a young person
    assert FOUR["mi"]["adult"] in told[chats["P-0004"].id][0]
    if people["P-0003"].id in carried:  # Aroha may act for Mere, so she is told of Mere's information too
        assert "Mere" in told[chats["P-0001"].id][0]

    async with world.sessions() as session:
        aroha = FamilyDesk(session, world.agreement, TODAY)
        uses = await aroha.information_uses(ChatInfo(chats["P-0001"].id, people["P-0001"].id, "Aroha", "en", "adult"))
        outsider = FamilyDesk(session, world.agreement, TODAY)
        none = await outsider.information_uses(ChatInfo(chats["P-0099"].id, people["P-0099"].id, "Hine", "en",
                                                        "adult"))
    listed = [say(outcome_line(world.agreement, use, "en", "adult"), "en", "adult") for use in uses]
    assert any(FOUR["en"]["adult"] in line and "Attendance at group sessions" in line for line in listed)
    assert [use for use in none if use.summaries == FOUR] == []

    desk = client_for(world.app)
    await sign_in(desk)
    page = html.unescape((await desk.get(f"/provider/reports/{attendance.ref}", headers=HTML)).text)
    person = html.unescape((await desk.get("/provider/people/P-0001", headers=HTML)).text)
    await desk.aclose()
    assert "Outcomes of information use" in page and FOUR["en"]["adult"] in page
    assert FOUR["en"]["adult"] in person


async def test_a_template_outcome_on_a_study_numbered_report_tells_its_people_and_the_agency_learns_no_one(world):
    chats = await _open_chats(world)
    survey = await _report(world, "evaluation", "RPT-survey-answers-")
    assert survey is not None and not survey.named
    last = await _last_notice(world)

    made = await _report_outcome(world, "evaluation", {"kind": "decision", "reports": [survey.ref],
                                                       "template": "evaluation-changed-programme"})
    await world.link.settle()

    assert made.status_code == 201, made.text
    async with world.sessions() as session:
        carried = set((await session.exec(select(LedgerEntry.person_id).join(Report, Report.id == LedgerEntry.report_id)
                                           .where(Report.ref == survey.ref))).all())
        people = {p.ref: p.id for p in await session.exec(select(Person))}
        inbox = QUEUE_TABLES["provider"].inbox
        sent = (await session.exec(select(inbox.c.envelope).where(inbox.c.type == "outcome.reported")
                                   .order_by(inbox.c.received_at.desc()).limit(1))).first()
    told = await _notices_since(world, last)
    own_chats = {link.id for ref, link in chats.items() if people[ref] in carried}
    assert own_chats and own_chats <= set(told) and chats["P-0099"].id not in told
    for ref, language, register in CHATS:
        if chats[ref].id in told:
            unit = world.agreement.text(world.agreement.unit("evaluation").name, language, register)
            assert unit in told[chats[ref].id][0]
    english = told[chats["P-0001"].id][0] if chats["P-0001"].id in told else ""
    assert not english or "used what the evaluation found to make changes to how Best foot forward is run" in english
    body = json.loads(sent)["body"]
    assert set(body) == {"unit", "kind", "reports", "template", "reported_on"}  # the report, never a person
    assert "BFF-P" not in sent


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_the_provider_checks_an_outcome_again_and_refuses_one_about_a_report_it_never_sent_that_unit(world):
    """The provider does not take the agency's word for it: an outcome naming another unit's report (as a faulty
    agency might send) is refused whole, and nobody is told."""
    from bot.reports.outcomes import OutcomeProblem, apply_outcome
    from protocol.messages import new_message

    evaluation_report = await _report(world, "evaluation", "RPT-")
    last = await _last_notice(world)
    body = {"unit": "service-reporting", "kind": "report", "reports": [evaluation_report.ref],
            "template": "attendance-in-service-report", "reported_on": TODAY.isoformat()}
    envelope = new_message("outcome.reported", world.agreement.agency.id, world.agreement.provider.id, None, 1, body)
    async with world.sessions() as session:
        before = (await session.exec(select(func.count()).select_from(Outcome))).one()
    with pytest.raises(OutcomeProblem, match="went to evaluation, not service-reporting"):
        async with world.sessions.begin() as session:
            await apply_outcome(session, world.agreement, envelope)
    async with world.sessions() as session:
        assert (await session.exec(select(func.count()).select_from(Outcome))).one() == before
    assert await _notices_since(world, last) == {}


async def test_a_wrong_outcome_is_answered_in_one_sentence_and_nothing_reaches_the_provider(world):
    theirs = await _report(world, "evaluation", "RPT-")
    async with world.sessions() as session:
        before = ((await session.exec(select(func.count()).select_from(InformationUse))).one(),
                  (await session.exec(select(func.count()).select_from(Outcome))).one())
    answers = [await _report_outcome(world, "service-reporting", body) for body in (
        {"kind": "report", "reports": [theirs.ref], "summaries": FOUR},
        {"kind": "report", "reports": ["RPT-attendance-1990-01"], "summaries": FOUR},
        {"kind": "report", "reports": [theirs.ref], "template": "no-such"},
        {"kind": "report", "reports": [theirs.ref], "summaries": {"en": FOUR["en"]}})]
    await world.link.settle()

    assert [a.status_code for a in answers] == [422] * 4
    assert [a.json()["detail"] for a in answers] == [
        f"The report {theirs.ref} went to another unit, not yours: an outcome names only reports your unit received.",
        "Your unit has not received a report RPT-attendance-1990-01: name only reports on your unit's list of "
        "received reports.",
        "There is no template called 'no-such'; choose one of: evaluation-changed-programme, "
        "attendance-in-service-report, funding-decision, advice-to-leaders.",
        "'summaries.mi' is missing."]
    async with world.sessions() as session:
        after = ((await session.exec(select(func.count()).select_from(InformationUse))).one(),
                 (await session.exec(select(func.count()).select_from(Outcome))).one())
    assert after == before


async def test_an_outcome_about_a_report_of_many_people_tells_each_chat_once_in_bulk(world):
    """More chats than one batch of notices (bulk inserts, never a row at a time): every one is told, once."""
    from bot.reports.outcomes import BATCH, apply_outcome
    from bulk import insert_rows
    from protocol.clock import utcnow
    from protocol.messages import new_message

    many = BATCH + 250
    async with world.sessions.begin() as session:
        connection = await session.connection()
        first = (await session.exec(select(func.max(Person.id)))).one() + 1
        now = utcnow()
        await insert_rows(connection, Person.__table__, [
            {"id": first + n, "ref": f"P-9{n:05d}", "participant_id": f"BFF-P-9{n:05d}", "given_name": "Tama",
             "family_name": "Many", "is_young_person": False, "language": "en", "created_at": now}
            for n in range(many)])
        report = Report(ref="RPT-attendance-2030-01", flow="attendance", unit="service-reporting", period="2030-01",
                        due_on=TODAY, named=True, state="sent", agreement_version=world.agreement.version,
                        sent_at=now, people=many, rows=many)
        session.add(report)
        await session.flush()
        await insert_rows(connection, LedgerEntry.__table__, [
            {"person_id": first + n, "report_id": report.id, "flow": "attendance", "unit": "service-reporting",
             "fields": ["session_date"], "rows": 1, "named": True, "correction": False,
             "agreement_version": world.agreement.version, "approved_role": "staff", "sent_at": now}
            for n in range(many)])
        await insert_rows(connection, ChatLink.__table__, [
            {"channel": "web", "chat_key": f"many-{n}", "person_id": first + n, "language": ("en", "mi")[n % 2],
             "audience": ("adult", "child")[n % 3 == 0], "failed_codes": 0, "created_at": now, "last_seen_at": now}
            for n in range(many)])
    last = await _last_notice(world)
    body = {"unit": "service-reporting", "kind": "report", "reports": [report.ref],
            "template": "attendance-in-service-report", "reported_on": TODAY.isoformat()}
    envelope = new_message("outcome.reported", world.agreement.agency.id, world.agreement.provider.id, None, 1, body)

    async with world.sessions.begin() as session:
        outcome = await apply_outcome(session, world.agreement, envelope)

    told = await _notices_since(world, last)
    assert (outcome.people, outcome.chats_told, len(told)) == (many, many, many)
    assert all(len(notices) == 1 for notices in told.values())
    assert sum("attendance figures from Best foot forward" in n[0] for n in told.values()) > 0  # English readers
    assert sum("ngā tatauranga taenga mai" in n[0] or "te tatau o te hunga" in n[0] for n in told.values()) > 0
