"""The board report: counts per NZ month and per agency unit match hand-made requests, times to answer are
counted in the Act's working days, overdue is counted as the queue counts it, the CSV says exactly the same,
and neither the page nor the CSV carries a name or a reference. Runs on SQLite and PostgreSQL (`app`)."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import select

from bot.desk.charts import Series, bar_chart
from bot.desk.report import WorkingDayCount
from bot.desk.report_period import period_of
from bot.desk.routes_queue import relay_overdue_before
from bot.models import Person, Request, UnitAnswer
from deskkit.problems import DeskProblem
from protocol.agreement import load_agreement
from protocol.clock import nz_today
from protocol.deadlines import working_days_between
from tests.bot.desk.provider_desk_support import HTML, sign_in

EVALUATION, REPORTING = "evaluation", "service-reporting"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


async def _add(app, requests: list[Request], answers: list[tuple[str, str, datetime]] = ()) -> None:
    """Requests, then each (request ref, unit, arrived at) answer of an agency unit."""
    async with app.state.sessions.begin() as session:
        session.add_all(requests)
        await session.flush()
        ids = {r.ref: r.id for r in requests}
        session.add_all([UnitAnswer(request_id=ids[ref], unit=unit, body={"unit": unit}, received_at=at)
                         for ref, unit, at in answers])


async def _early_2025(app) -> None:
    """Requests made and answered in January to April 2025, worked out by hand (see each line)."""
    async with app.state.sessions() as session:
        aroha = (await session.exec(select(Person).where(Person.ref == "P-0001"))).one()
    await _add(app, [
        # Made Fri 10 Jan (NZ); delivered Mon 3 Feb: 13 working days (13-15 Jan are in the summer closure),
        # after its due date of 31 Jan, so late. The agency received it on 16 Jan.
        Request(ref="BFF-R-01", kind="access", state="delivered", requester_id=aroha.id, subject_id=aroha.id,
                created_at=utc(2025, 1, 10, 1), delivered_at=utc(2025, 2, 3), received_on=date(2025, 1, 16),
                due_on=date(2025, 1, 31), units=[EVALUATION]),
        # Made 11:30 UTC on 31 Jan, which is 00:30 on Sat 1 Feb in New Zealand (daylight time): a February
        # request. Only CCSS's records (no due date); delivered Tue 11 Feb: 6 working days (Waitangi Day).
        Request(ref="BFF-R-02", kind="access", state="closed", requester_name="Aroha Parata", scope="provider",
                created_at=utc(2025, 1, 31, 11, 30), delivered_at=utc(2025, 2, 11)),
        Request(ref="BFF-R-03", kind="correction", state="withdrawn", created_at=utc(2025, 2, 14, 3)),
        # Made Thu 17 Apr, delivered Tue 29 Apr: 5 working days across Good Friday, Easter Monday and Anzac
        # Day (12 calendar days). Two units answered, after 2 and 3 working days.
        Request(ref="BFF-R-04", kind="access", state="delivered", created_at=utc(2025, 4, 17),
                delivered_at=utc(2025, 4, 29), received_on=date(2025, 4, 22), due_on=date(2025, 5, 20),
                units=[EVALUATION, REPORTING]),
        # Made before the period (Fri 20 Dec 2024), received by the agency before it; delivered Mon 27 Jan:
        # 10 working days, after its due date of 22 Jan. Its unit answered on 23 Jan, late, after 7.
        Request(ref="BFF-R-05", kind="access", state="closed", created_at=utc(2024, 12, 20),
                delivered_at=utc(2025, 1, 27), received_on=date(2024, 12, 23), due_on=date(2025, 1, 22),
                units=[REPORTING]),
        Request(ref="BFF-R-06", kind="access", state="withdrawn", created_at=utc(2025, 5, 2)),  # after the period
    ], [("BFF-R-01", EVALUATION, utc(2025, 1, 30, 2)),  # 10 working days after 16 Jan, on time
        ("BFF-R-04", EVALUATION, utc(2025, 4, 24)), ("BFF-R-04", REPORTING, utc(2025, 4, 28)),
        ("BFF-R-05", REPORTING, utc(2025, 1, 23))])


async def _overdue_today(app) -> None:
    today = nz_today()
    relay_days = app.state.agreement.service_levels.provider_relays_within_working_days
    await _add(app, [
        Request(ref="BFF-O-01", kind="access", state="received", due_on=today - timedelta(days=5),
                received_on=today - timedelta(days=40), units=[EVALUATION, REPORTING]),  # evaluation answered
        Request(ref="BFF-O-02", kind="access", state="clarifying", due_on=today - timedelta(days=2),
                received_on=today - timedelta(days=40), units=[EVALUATION]),
        Request(ref="BFF-O-03", kind="correction", state="preparing", due_on=today - timedelta(days=1)),
        Request(ref="BFF-O-04", kind="access", state="submitted",
                created_at=relay_overdue_before(today, relay_days) - timedelta(days=3)),
        Request(ref="BFF-O-05", kind="access", state="received", due_on=today + timedelta(days=10),
                received_on=today - timedelta(days=3), units=[EVALUATION]),  # not yet due
    ], [("BFF-O-01", EVALUATION, datetime.now(UTC))])


def _expected_csv(today: date) -> str:
    on, span = f"on {today.isoformat()}", "2025-01 to 2025-04"
    lines = ["period,unit,measure,value"]
    for month, access, correction, answered, late, median in [("2025-01", 1, 0, 1, 1, "10"),
                                                                ("2025-02", 1, 1, 2, 1, "9.5"),
                                                                ("2025-03", 0, 0, 0, 0, ""),
                                                                ("2025-04", 1, 0, 1, 0, "5")]:
        lines += [f"{month},all,access requests made,{access}", f"{month},all,correction requests made,{correction}",
                  f"{month},all,answered,{answered}", f"{month},all,answered late,{late}",
                  f"{month},all,median working days to answer,{median}"]
    for unit, received, answered, late, median, overdue in [("Service delivery reporting team", 1, 2, 1, "5", 1),
                                                            ("Evaluation team", 2, 2, 0, "6", 1)]:
        lines += [f"{span},{unit},requests received by the agency,{received}", f"{span},{unit},answered,{answered}",
                  f"{span},{unit},answered late,{late}", f"{span},{unit},median working days to answer,{median}",
                  f"{on},{unit},still to answer past the due date,{overdue}"]
    lines += [f"{on},all,overdue waiting for the agency,2", f"{on},all,overdue waiting for CCSS to deliver,1",
              f"{on},all,past the relay-by date,1"]
    for flow in load_agreement().flows:  # nothing went under the agreement in 2025 (see test_board_report_flows.py)
        lines += [f"{span},flow {flow.id},reports sent,0", f"{span},flow {flow.id},reports sent on time,0",
                  f"{span},flow {flow.id},people covered (randomly rounded to base 3),0"]
    lines.append(f"{span},all,outcomes of information use received (randomly rounded to base 3),0")
    return "\r\n".join(lines) + "\r\n"


def _table_rows(page: str, caption_start: str) -> list[list[str]]:
    table = page[page.index(f"<caption>{caption_start}"):]
    table = table[:table.index("</table>")]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", table[table.index("<tbody>"):], re.S)]


async def test_the_csv_holds_exactly_the_counts_per_month_and_unit_and_overdue_today(app, client):
    await _early_2025(app)
    await _overdue_today(app)
    await sign_in(client)

    got = await client.get("/provider/report.csv?from=2025-01&to=2025-04", headers=HTML)

    assert got.status_code == 200
    assert got.headers["content-type"].startswith("text/csv")
    assert got.headers["content-disposition"] == 'attachment; filename="board-report-2025-01-to-2025-04.csv"'
    assert got.text == _expected_csv(nz_today())


async def test_the_page_shows_the_same_numbers_in_tables_under_its_charts(app, client):
    await _early_2025(app)
    await _overdue_today(app)
    await sign_in(client)

    page = (await client.get("/provider/report?from=2025-01&to=2025-04", headers=HTML)).text

    assert _table_rows(page, "Requests made each month") == [
        ["Jan 2025", "1", "0", "1"], ["Feb 2025", "1", "1", "2"], ["Mar 2025", "0", "0", "0"],
        ["Apr 2025", "1", "0", "1"]]
    assert _table_rows(page, "Requests answered each month") == [
        ["Jan 2025", "1", "0", "1", "10"], ["Feb 2025", "2", "1", "1", "9.5"], ["Mar 2025", "0", "0", "0", "–"],
        ["Apr 2025", "1", "1", "0", "5"]]
    assert _table_rows(page, "Each agency unit") == [
        ["Service delivery reporting team", "1", "2", "1", "5", "1"], ["Evaluation team", "2", "2", "0", "6", "1"]]
    assert "4 (3 access,\n      1 correction)" in page and "4, in a median of 8 working days" in page
    assert "2 waiting for the agency, 1 waiting for CCSS to deliver,\n      1 not yet relayed" in page
    for chart in ("chart-made", "chart-answered", "chart-median", "chart-units"):
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in page
    assert "<script>" not in page and 'aria-current="page">Board report<' in page


async def test_neither_the_page_nor_the_csv_carries_a_name_or_a_reference(app, client):
    await _early_2025(app)
    await _overdue_today(app)
    await sign_in(client)

    page = await client.get("/provider/report?from=2025-01&to=2025-04", headers=HTML)
    sheet = await client.get("/provider/report.csv?from=2025-01&to=2025-04", headers=HTML)

    for text in (page.text, sheet.text):
        assert not re.search(r"BFF-[A-Z]-\d", text)
        assert "Aroha" not in text and "Parata" not in text and "P-0001" not in text
    assert "Counts only" in page.text


async def test_the_median_counts_the_acts_working_days_across_easter_and_anzac_day(app, client):
    await _add(app, [Request(ref="BFF-R-10", kind="access", state="delivered", created_at=utc(2025, 4, 17),
                             delivered_at=utc(2025, 4, 29))])  # Thu 17 Apr to Tue 29 Apr: 12 calendar days
    await sign_in(client)

    sheet = await client.get("/provider/report.csv?from=2025-04&to=2025-04", headers=HTML)

    assert "2025-04,all,median working days to answer,5\r\n" in sheet.text


async def test_a_request_counts_in_the_month_it_was_in_new_zealand(app, client):
    await _add(app, [Request(ref="BFF-R-11", kind="correction", state="submitted",
                             created_at=utc(2025, 6, 30, 12, 5)),  # 00:05 on 1 July in New Zealand (NZST)
                     Request(ref="BFF-R-12", kind="access", state="submitted",
                             created_at=utc(2025, 6, 30, 11, 55))])  # 23:55 on 30 June in New Zealand
    await sign_in(client)

    rows = list(csv.reader(io.StringIO((await client.get("/provider/report.csv?from=2025-06&to=2025-07",
                                                          headers=HTML)).text)))

    made = {(r[0], r[2]): r[3] for r in rows if r[2].endswith("requests made")}
    assert made[("2025-06", "correction requests made")] == "0" and made[("2025-07", "correction requests made")] == "1"
    assert made[("2025-06", "access requests made")] == "1" and made[("2025-07", "access requests made")] == "0"


async def test_an_empty_period_says_so_instead_of_drawing_empty_charts(app, client):
    await _early_2025(app)
    await sign_in(client)

    page = await client.get("/provider/report?from=2023-01&to=2023-03", headers=HTML)

    assert page.status_code == 200
    assert "No requests were made or answered from Jan 2023 to Mar 2023" in page.text
    assert "<svg" not in page.text and "Download the numbers as CSV" in page.text


async def test_without_a_period_the_report_covers_the_last_twelve_months(app, client):
    await sign_in(client)

    page = await client.get("/provider/report", headers=HTML)

    this_month = nz_today().replace(day=1)
    first = period_of("", "", nz_today()).first_day
    assert page.status_code == 200
    assert f'name="from" value="{first:%Y-%m}"' in page.text and f'name="to" value="{this_month:%Y-%m}"' in page.text
    assert (this_month.year * 12 + this_month.month) - (first.year * 12 + first.month) == 11


@pytest.mark.parametrize(("query", "sentence"), [
    ("from=2025-13&to=2025-12", "“From” must be a month written as YYYY-MM, such as 2026-03."),
    ("from=last+year", "“From” must be a month written as YYYY-MM, such as 2026-03."),
    ("from=2025-06&to=2025-02", "The period must start before it ends: “From” (2025-06) is after “To” (2025-02)."),
    ("from=2021-01&to=2024-12", "The report covers at most 36 months at a time; choose a shorter period."),
    ("from=2019-01&to=2019-06", "The Privacy Act 2020 took effect in December 2020: choose months from 2020-12 on."),
    ("to=%3Cscript%3Ealert(1)%3C/script%3E", "“To” must be a month written as YYYY-MM, such as 2026-03."),
    ("from=0000-03", "“From” must be a month written as YYYY-MM, such as 2026-03."),
    ("to=202%C2%B2-03", "“To” must be a month written as YYYY-MM, such as 2026-03."),
])
async def test_a_period_that_does_not_fit_gets_one_clear_sentence(app, client, query, sentence):
    await sign_in(client)

    page = await client.get(f"/provider/report?{query}", headers=HTML)
    sheet = await client.get(f"/provider/report.csv?{query}", headers=HTML)

    assert page.status_code == 422 and sentence in page.text and "<svg" not in page.text and "<script>" not in page.text
    assert sheet.status_code == 422 and sheet.text == sentence + "\n"


async def test_a_month_after_this_one_is_refused(app, client):
    await sign_in(client)
    next_month = (nz_today().replace(day=1) + timedelta(days=32)).replace(day=1)

    page = await client.get(f"/provider/report?to={next_month:%Y-%m}", headers=HTML)

    assert page.status_code == 422 and "“To” cannot be after this month" in page.text


async def test_someone_not_signed_in_is_sent_to_the_login_page(client):
    page = await client.get("/provider/report?from=2025-01&to=2025-04", headers=HTML)
    sheet = await client.get("/provider/report.csv", headers=HTML)
    tool = await client.get("/provider/report.csv")

    assert page.status_code == 303
    assert page.headers["location"] == "/provider/login?next=%2Fprovider%2Freport%3Ffrom%3D2025-01%26to%3D2025-04"
    assert sheet.status_code == 303 and sheet.headers["location"].startswith("/provider/login")
    assert tool.status_code == 401 and "BFF" not in tool.text


def test_a_period_is_whole_nz_months_from_the_first_to_the_last():
    period = period_of("2025-11", "2026-02", date(2026, 11, 25))

    start, end = period.moments()

    assert [f"{m:%Y-%m}" for m in period.months] == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert start == utc(2025, 10, 31, 11) and end == utc(2026, 2, 28, 11)  # NZ midnight in daylight time


def test_a_bad_period_is_a_desk_problem_with_one_sentence():
    with pytest.raises(DeskProblem) as refused:
        period_of("2026-1", "", date(2026, 11, 25))

    assert refused.value.status == 422 and refused.value.sentence.endswith("such as 2026-03.")


def test_a_chart_names_itself_and_writes_every_number_as_text():
    svg = bar_chart("c", "Requests <made>", "By month.", ["Jan 2025", "Feb 2025"],
                    [Series("Access", [3, 0]), Series("Correction", [1, None])])

    assert '<title id="c-title">Requests &lt;made&gt;</title><desc id="c-desc">By month.</desc>' in svg
    assert re.findall(r'class="value"[^>]*>([^<]*)<', svg) == ["3", "1", "0", "–"]
    assert svg.count('class="bar series-1"') == 2 and svg.count('class="bar series-2"') == 2  # one each in the legend


@given(st.lists(st.dates(date(2024, 12, 1), date(2027, 1, 31)), min_size=2, max_size=12))
def test_counting_working_days_for_many_pairs_agrees_with_the_deadlines_module(days):
    count = WorkingDayCount(days)

    assert [count.between(a, b) for a in days for b in days] == [working_days_between(a, b) for a in days for b in days]
