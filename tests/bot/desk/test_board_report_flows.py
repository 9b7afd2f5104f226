"""The board report's part on information sent under the agreement: reports sent and on time per flow, the
people covered and the outcomes received, with counts of people randomly rounded to base 3 (Stats NZ's rule)."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import select

from bot.desk.board_flows import rounded_to_base_3
from bot.models import Person
from bot.reports.tables import LedgerEntry, Outcome, OutcomeReport, Report
from protocol.agreement import load_agreement
from tests.bot.desk.provider_desk_support import HTML, sign_in

AGREEMENT = load_agreement()


@given(st.integers(min_value=0, max_value=10_000), st.text(max_size=20))
def test_random_rounding_keeps_multiples_of_three_and_moves_others_to_a_neighbouring_multiple(count, cell):
    rounded = rounded_to_base_3(count, cell, "secret")

    assert rounded % 3 == 0
    assert abs(rounded - count) < 3
    assert rounded == count or count % 3 != 0
    assert rounded_to_base_3(count, cell, "secret") == rounded  # the same cell shows the same number every time


def test_random_rounding_goes_to_the_nearer_multiple_about_two_times_in_three():
    counts = Counter(rounded_to_base_3(1, f"cell {n}", "secret") for n in range(3000))

    assert set(counts) == {0, 3}
    assert 0.6 < counts[0] / 3000 < 0.73


def test_without_the_secret_the_rounding_of_a_cell_cannot_be_worked_out():
    with_one = [rounded_to_base_3(4, f"cell {n}", "one secret") for n in range(200)]
    with_another = [rounded_to_base_3(4, f"cell {n}", "another secret") for n in range(200)]

    assert with_one != with_another


async def _sent(app, flow_id: str, refs: list[str], sent_at: datetime, due_on: date, period: str) -> None:
    flow = AGREEMENT.flow(flow_id)
    async with app.state.sessions.begin() as session:
        people = list(await session.exec(select(Person).where(Person.ref.in_(refs))))
        report = Report(ref=f"RPT-{flow_id}-{period}", flow=flow_id, unit=flow.to_unit, period=period, due_on=due_on,
                        named=flow.identifiable, state="sent", agreement_version=AGREEMENT.version, sent_at=sent_at,
                        people=len(people), rows=len(people))
        session.add(report)
        await session.flush()
        session.add_all([LedgerEntry(person_id=p.id, report_id=report.id, flow=flow_id, unit=flow.to_unit,
                                     fields=flow.fields, rows=1, named=flow.identifiable,
                                     agreement_version=AGREEMENT.version, approved_role="staff", sent_at=sent_at)
                         for p in people])


async def test_the_board_sees_reports_sent_on_time_and_people_covered_per_flow_rounded(app, client):
    # In 2025, before the demo's own reports (sent when the demo was loaded).
    await _sent(app, "attendance", ["P-0001", "P-0004", "P-0006"], datetime(2025, 10, 13, 1, tzinfo=UTC),
                date(2025, 10, 14), "2025-09")
    await _sent(app, "attendance", ["P-0001", "P-0004", "P-0006"], datetime(2025, 11, 20, 1, tzinfo=UTC),
                date(2025, 11, 14), "2025-10")
    await _sent(app, "enrolment", ["P-0001"], datetime(2025, 9, 20, 1, tzinfo=UTC), date(2025, 9, 22), "2025-09")
    await sign_in(client)

    sheet = await client.get("/provider/report.csv?from=2025-09&to=2025-11", headers=HTML)
    page = await client.get("/provider/report?from=2025-09&to=2025-11", headers=HTML)

    rows = {(unit, measure): value for _period, unit, measure, value in csv.reader(io.StringIO(sheet.text))}
    assert rows[("flow attendance", "reports sent")] == "2"
    assert rows[("flow attendance", "reports sent on time")] == "1"  # the October one was a week late
    assert rows[("flow attendance", "people covered (randomly rounded to base 3)")] == "3"  # 3 people: exact
    assert rows[("flow enrolment", "people covered (randomly rounded to base 3)")] in ("0", "3")  # 1 person
    assert rows[("flow survey-answers", "reports sent")] == "0"
    assert "Information sent under the agreement" in page.text
    assert "Aroha" not in page.text and "RPT-" not in page.text


async def test_the_board_counts_the_outcomes_received_in_the_period_from_the_outcomes_tied_to_reports(app, client):
    await _sent(app, "attendance", ["P-0001", "P-0004", "P-0006"], datetime(2025, 10, 13, 1, tzinfo=UTC),
                date(2025, 10, 14), "2025-09")
    async with app.state.sessions.begin() as session:
        report = (await session.exec(select(Report).where(Report.ref == "RPT-attendance-2025-09"))).one()
        for day in (date(2025, 10, 20), date(2025, 11, 3), date(2025, 11, 28), date(2025, 12, 1)):  # the last: after
            outcome = Outcome(unit="service-reporting", kind="report", template="attendance-in-service-report",
                              reported_on=day)
            session.add(outcome)
            await session.flush()
            session.add(OutcomeReport(outcome_id=outcome.id, report_id=report.id))
    await sign_in(client)

    sheet = await client.get("/provider/report.csv?from=2025-09&to=2025-11", headers=HTML)

    rows = {(unit, measure): value for _period, unit, measure, value in csv.reader(io.StringIO(sheet.text))}
    assert rows[("all", "outcomes of information use received (randomly rounded to base 3)")] == "3"  # 3: exact
