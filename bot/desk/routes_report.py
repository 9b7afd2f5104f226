"""The board report page and its CSV: counts only, for any staff member (staff accounts have no roles)."""

import csv
import io
from typing import Annotated

from babel.dates import format_date
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from markupsafe import Markup

from bot.desk.board_flows import FlowsSent, flows_sent
from bot.desk.charts import Series, bar_chart, number
from bot.desk.context import DeskContext
from bot.desk.deps import CurrentStaff, DeskContextDep
from bot.desk.report import KINDS, BoardReport, board_report
from bot.desk.report_period import Period, period_of
from bot.desk.request_page import unit_name
from bot.desk.routes_queue import relay_overdue_before
from bot.desk.views import KINDS as KIND_WORDS
from bot.desk.web import with_error
from deskkit.problems import DeskProblem

KIND_NAMES = {"access": "Access", "correction": "Correction"}
CSV_HEADER = ("period", "unit", "measure", "value")


def month_name(month) -> str:
    return format_date(month, "MMM y", locale="en_NZ")


def charts(report: BoardReport, names: dict[str, str]) -> dict[str, Markup]:
    """The report's charts; the page puts a table of the same numbers under each."""
    months = [month_name(m.month) for m in report.months]
    span = f"{months[0]} to {months[-1]}"
    units = [u for u in report.units if u.answered]
    return {
        "made": bar_chart("chart-made", "Requests made each month, by kind",
                          f"Access and correction requests made each month, {span}. The table below has the numbers.",
                          months, [Series(KIND_NAMES[k], [m.made[k] for m in report.months]) for k in KINDS]),
        "answered": bar_chart("chart-answered", "Requests answered each month: on time and late",
                              f"Requests answered each month, {span}, on time and after the due date. "
                              "The table below has the numbers.",
                              months, [Series("On time", [m.answered - m.answered_late for m in report.months]),
                                       Series("Late", [m.answered_late for m in report.months])]),
        "median": bar_chart("chart-median", "Median working days to answer, each month",
                            f"The median working days from the family's request to the answer, for requests "
                            f"answered each month, {span}. A dash: none answered that month. The table below "
                            "has the numbers.",
                            months, [Series("Median working days", [m.median_days for m in report.months])]),
        "units": bar_chart("chart-units", "Median working days for each agency unit to answer",
                           f"For each agency unit, the median working days from the agency's receipt of a request "
                           f"to the unit's answer reaching CCSS, {span}. The table below has the numbers.",
                           [names[u.unit] for u in units], [Series("Median working days",
                                                                   [u.median_days for u in units])]),
    }


def csv_text(report: BoardReport, names: dict[str, str], sent: FlowsSent | None = None) -> str:
    """The report's numbers, one per row, under a header row; counts and medians only."""
    out = io.StringIO()
    rows = csv.writer(out, lineterminator="\r\n")
    rows.writerow(CSV_HEADER)
    for m in report.months:
        month = f"{m.month:%Y-%m}"
        rows.writerows([(month, "all", f"{k} requests made", m.made[k]) for k in KINDS])
        rows.writerows([(month, "all", "answered", m.answered), (month, "all", "answered late", m.answered_late),
                        (month, "all", "median working days to answer", _csv_number(m.median_days))])
    span = f"{report.period.first_day:%Y-%m} to {report.period.months[-1]:%Y-%m}"
    on = f"on {report.today.isoformat()}"
    for u in report.units:
        rows.writerows([(span, names[u.unit], "requests received by the agency", u.received),
                        (span, names[u.unit], "answered", u.answered),
                        (span, names[u.unit], "answered late", u.answered_late),
                        (span, names[u.unit], "median working days to answer", _csv_number(u.median_days)),
                        (on, names[u.unit], "still to answer past the due date", u.overdue_now)])
    rows.writerows([(on, "all", "overdue waiting for the agency", report.overdue.agency),
                    (on, "all", "overdue waiting for CCSS to deliver", report.overdue.ccss),
                    (on, "all", "past the relay-by date", report.overdue.relay)])
    for line in sent.lines if sent else []:
        rows.writerows([(span, f"flow {line.flow}", "reports sent", line.reports),
                        (span, f"flow {line.flow}", "reports sent on time", line.on_time),
                        (span, f"flow {line.flow}", "people covered (randomly rounded to base 3)", line.people)])
    if sent:
        rows.writerow((span, "all", "outcomes of information use received (randomly rounded to base 3)",
                       sent.outcomes))
    return out.getvalue()


def _csv_number(value: float | None) -> str:
    return "" if value is None else number(value)


router = APIRouter(prefix="/provider", include_in_schema=False)
From = Annotated[str, Query(alias="from")]


async def numbers(ctx: DeskContext, period: Period) -> tuple[BoardReport, dict[str, str]]:
    today = ctx.today()
    async with ctx.sessions.begin() as session:
        report = await board_report(session, period, today, relay_overdue_before(today, ctx.relay_days),
                                    unit_order=[u.id for u in ctx.agreement.units])
    return report, {u.unit: unit_name(ctx.agreement, u.unit) for u in report.units}


@router.get("/report")
async def report_page(request: Request, ctx: DeskContextDep, staff: CurrentStaff, from_: From = "",
                      to: str = "") -> Response:
    """The board report: requests by month and by agency unit, time to answer, overdue; counts only."""
    context = {"section": "report", "from_value": from_[:20], "to_value": to[:20], "report": None,
               "kind_words": KIND_WORDS, "month_name": month_name, "number": number}
    try:
        period = period_of(from_, to, ctx.today())
    except DeskProblem as problem:
        return ctx.desk.render(request, "report.html", with_error(context, problem), status_code=problem.status)
    report, names = await numbers(ctx, period)
    async with ctx.sessions() as session:
        sent = await flows_sent(session, ctx.agreement, period, ctx.secret)
    watch = getattr(ctx.outbox, "inbox_watch", None)  # the linked queue's end, when it has an inbox
    return ctx.desk.render(request, "report.html", {
        **context, "report": report, "names": names, "charts": charts(report, names), "sent": sent,
        "flow_names": {flow.id: ctx.agreement.text(flow.what, "en", "adult") for flow in ctx.agreement.flows},
        "unit_names": {unit.id: unit_name(ctx.agreement, unit.id) for unit in ctx.agreement.units},
        "inbox": await watch() if watch else None,
        "from_value": f"{period.first_day:%Y-%m}", "to_value": f"{period.months[-1]:%Y-%m}",
    })


@router.get("/report.csv")
async def report_csv(ctx: DeskContextDep, staff: CurrentStaff, from_: From = "", to: str = "") -> Response:
    """The board report's numbers as CSV (counts only), for the same period as the page."""
    try:
        period = period_of(from_, to, ctx.today())
    except DeskProblem as problem:
        return Response(problem.sentence + "\n", status_code=problem.status, media_type="text/plain")
    report, names = await numbers(ctx, period)
    async with ctx.sessions() as session:
        sent = await flows_sent(session, ctx.agreement, period, ctx.secret)
    name = f"board-report-{period.first_day:%Y-%m}-to-{period.months[-1]:%Y-%m}.csv"
    return Response(csv_text(report, names, sent), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
