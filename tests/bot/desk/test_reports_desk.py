"""The provider desk's reports pages: every flow's reports with what is due, a preview of exactly what one sends,
Approve and Hold back (CSRF like every desk form), and the ledger partial for a person's page."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from bot.reports.ledger import person_ledger
from bot.reports.tables import Report
from protocol import schedule
from tests.bot.desk.provider_desk_support import HTML, post_form, sign_in
from tests.bot.reports.reports_support import add_people, add_records, attendance, outbox_messages

PERIOD = "2024-03"  # long past, so overdue whatever day the tests run; no demo data is dated then


@pytest.fixture(autouse=True)
async def month_of_attendance(app):
    """On the desk's app (tests/bot/desk/conftest.py): a month of attendance for three more people."""
    async with app.state.sessions.begin() as session:
        app.state.test_people = await add_people(session, 3, start=500)
        await add_records(session, "attendance", [attendance(p, f"{PERIOD}-{day:02d}")
                                                  for p in app.state.test_people for day in range(4, 9)])


async def test_the_reports_page_lists_every_flow_and_the_overdue_month_with_a_button(app, client):
    await sign_in(client)

    page = await client.get("/provider/reports", headers=HTML)

    due = schedule.monthly_due(PERIOD, 10)
    assert page.status_code == 200
    assert all(f'id="flow-{flow.id}"' in page.text for flow in app.state.agreement.flows)
    assert PERIOD in page.text and "Overdue" in page.text and f"{due.day} " in page.text
    assert f'name="period" value="{PERIOD}"' in page.text
    assert 'aria-current="page">Reports to the agency<' in page.text  # in the desk's navigation


async def test_staff_prepare_see_exactly_what_goes_and_approve_it(app, client):
    csrf = await sign_in(client)

    prepared = await post_form(client, "/provider/reports/prepare", csrf, flow="attendance", period=PERIOD)
    preview = await client.get(prepared.headers["location"], headers=HTML)
    before = await outbox_messages(app.state.sessions)
    approved = await post_form(client, f"/provider/reports/RPT-attendance-{PERIOD}/approve", csrf)
    after = await client.get(approved.headers["location"], headers=HTML)

    assert prepared.status_code == 303 and prepared.headers["location"] == f"/provider/reports/RPT-attendance-{PERIOD}"
    assert "Service delivery reporting team only" in preview.text
    assert all(label in preview.text for label in ("Date", "Session", "Came"))
    assert "<dt>People</dt><dd>3</dd>" in preview.text and "<dt>Rows</dt><dd>15</dd>" in preview.text
    assert app.state.agreement.version in preview.text
    assert preview.text.count(">Passed<") == 4 and ">Failed<" not in preview.text
    assert len(re.findall(r"<td>BFF-P-15\d\d</td>", preview.text)) == 10  # a sample of at most 10 rows
    assert 'action="/provider/reports/RPT-attendance-2024-03/hold-back"' in preview.text
    assert [m for m in before if m.request == f"RPT-attendance-{PERIOD}"] == []
    assert approved.status_code == 303
    assert "Approved and sent RPT-attendance-2024-03 to Service delivery reporting team: 15 rows about 3 people" \
        in after.text
    sent = [m for m in await outbox_messages(app.state.sessions) if m.request == f"RPT-attendance-{PERIOD}"]
    assert [len(m.body["rows"]) for m in sent] == [15]


async def test_approving_without_the_forms_token_is_refused_and_sends_nothing(app, client):
    csrf = await sign_in(client)
    await post_form(client, "/provider/reports/prepare", csrf, flow="attendance", period=PERIOD)

    refused = await client.post(f"/provider/reports/RPT-attendance-{PERIOD}/approve", headers=HTML, data={})

    assert refused.status_code == 403
    assert [m for m in await outbox_messages(app.state.sessions) if m.request == f"RPT-attendance-{PERIOD}"] == []


async def test_holding_back_needs_a_reason_and_then_sends_nothing(app, client):
    csrf = await sign_in(client)
    await post_form(client, "/provider/reports/prepare", csrf, flow="attendance", period=PERIOD)

    no_reason = await post_form(client, f"/provider/reports/RPT-attendance-{PERIOD}/hold-back", csrf, reason=" ")
    held = await post_form(client, f"/provider/reports/RPT-attendance-{PERIOD}/hold-back", csrf,
                           reason="The March register is being checked.")
    page = await client.get(held.headers["location"], headers=HTML)
    listing = await client.get("/provider/reports", headers=HTML)

    assert no_reason.status_code == 422 and "Say why the report is held back" in no_reason.text
    assert held.status_code == 303 and "Held back RPT-attendance-2024-03: nothing was sent." in page.text
    assert "The March register is being checked." in listing.text
    assert f'name="period" value="{PERIOD}"' not in listing.text  # a decision was made: no longer listed as due
    async with app.state.sessions() as session:
        report = (await session.exec(select(Report).where(Report.ref == f"RPT-attendance-{PERIOD}"))).one()
    assert report.state == "held_back"


async def test_an_unknown_report_or_flow_is_one_sentence(app, client):
    csrf = await sign_in(client)

    missing = await client.get("/provider/reports/RPT-nothing-2024-03", headers=HTML)
    bad = await post_form(client, "/provider/reports/prepare", csrf, flow="attendance", period="March")

    assert missing.status_code == 404 and "There is no report &#39;RPT-nothing-2024-03&#39;" in missing.text
    assert bad.status_code == 422 and "is not a period: write a calendar month as YYYY-MM" in bad.text


async def test_the_ledger_partial_lists_a_persons_sendings_newest_first(app, client):
    csrf = await sign_in(client)
    await post_form(client, "/provider/reports/prepare", csrf, flow="attendance", period=PERIOD)
    await post_form(client, f"/provider/reports/RPT-attendance-{PERIOD}/approve", csrf)

    async with app.state.sessions() as session:
        sendings = await person_ledger(session, app.state.agreement, app.state.test_people[0])
        nobody = await person_ledger(session, app.state.agreement, app.state.test_people[0] + 10_000)
    partial = app.state.provider_desk.templates.env.get_template("_ledger.html")
    html = partial.render(sendings=sendings, desk_prefix="/provider")
    empty = partial.render(sendings=nobody, desk_prefix="/provider")

    assert [(s.report_ref, s.unit_name, s.entry.rows, s.entry.named) for s in sendings] == [
        (f"RPT-attendance-{PERIOD}", "Service delivery reporting team", 5, True)]
    assert "Date, Session, Came" in html and "Named (participant id); approved by staff" in html
    assert "Nothing about this person has been sent" in empty


async def test_a_corrected_row_is_offered_as_a_correction_report_on_the_desk(app, client):
    from sqlalchemy import update

    from bot.records.tables import ProgrammeRecord
    from bot.reports.core import run

    csrf = await sign_in(client)
    await post_form(client, "/provider/reports/prepare", csrf, flow="attendance", period=PERIOD)
    await post_form(client, f"/provider/reports/RPT-attendance-{PERIOD}/approve", csrf)
    records = ProgrammeRecord.__table__.c
    async with app.state.sessions.begin() as session:
        await run(session, update(ProgrammeRecord.__table__).where(
            records.person_id == app.state.test_people[0], records.row_key == f"{PERIOD}-04|group session")
            .values(values={"session_date": f"{PERIOD}-04", "session": "group session", "attended": "no"},
                    revision=2))

    listing = await client.get("/provider/reports", headers=HTML)
    made = await post_form(client, "/provider/reports/corrections", csrf)
    after = await client.get(made.headers["location"], headers=HTML)
    preview = await client.get(f"/provider/reports/RPT-attendance-{PERIOD}-C1", headers=HTML)

    assert "1 sent report has rows corrected since they were sent" in " ".join(listing.text.split())
    assert f"Prepared 1 correction report: RPT-attendance-{PERIOD}-C1." in after.text
    assert f"a correction of <a href=\"/provider/reports/RPT-attendance-{PERIOD}\">" in preview.text
    assert "<dt>Rows</dt><dd>1</dd>" in preview.text and "<td>no</td>" in preview.text
