"""A person's page on the provider desk shows the ledger: every sending of their information to the agency,
newest first, with the fields, the unit, named or under a study number, and the report it went in."""

from __future__ import annotations

from protocol.agreement import load_agreement
from tests.bot.desk.provider_desk_support import HTML, sign_in

AGREEMENT = load_agreement()


async def test_a_person_s_page_lists_where_their_information_went_with_the_report(client):
    await sign_in(client)

    page = (await client.get("/provider/people/P-0001", headers=HTML)).text

    ledger = page[page.index("Where this person's information has gone"):]
    assert AGREEMENT.text(AGREEMENT.flow("attendance").what, "en", "adult") in ledger  # the demo sent attendance
    assert "Service delivery reporting team" in ledger and "Evaluation team" in ledger
    assert "Under a study number" in ledger and "Named (participant id)" in ledger  # survey and enrolment
    assert "RPT-enrolment-2026-09" in ledger and "Date, Session, Came" in ledger


async def test_a_child_s_page_lists_no_survey_answers_as_only_parents_answer_the_questionnaire(client):
    await sign_in(client)

    page = (await client.get("/provider/people/P-0005", headers=HTML)).text

    assert "Where this person's information has gone" in page
    assert "RPT-survey-answers" not in page  # Liam is a child: no questionnaire, no survey report
