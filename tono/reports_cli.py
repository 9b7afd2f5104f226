"""The `tono reports` commands: the operator's forms of the provider desk's reports page.

- `tono reports due`: one line per report due, due soon or overdue (exit 0, "nothing is due" when none is).
- `tono reports prepare FLOW --period YYYY-MM`: prepare the flow's report for the month (event flows: the events
  of that month) and print exactly what would be sent; nothing is sent.
- `tono reports approve REF --as LOGIN`: approve a prepared report as an active provider staff login and send
  it; its parts leave while `tono run` is running (the link pushes the outbox).
"""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING

from protocol.agreement import Agreement
from protocol.clock import nz_today
from tono.settings import Settings, load_settings

if TYPE_CHECKING:
    from bot.reports.tables import Report

# The bot's modules are imported by the commands that use them, so `tono --help` stays quick.

LEAVES = "The parts leave while `tono run` is running: its link pushes the outbox to the agency."


def add_reports_commands(commands: argparse._SubParsersAction) -> None:
    """Add `tono reports …` to the command line."""
    reports = commands.add_parser("reports", help="reports under the agreement").add_subparsers(
        dest="reports", required=True)
    reports.add_parser("due", help="the reports due or overdue, one line each").set_defaults(handler=_due)
    prepare_command = reports.add_parser("prepare", help="prepare a flow's report for a month and show it")
    prepare_command.add_argument("flow", help="the flow's id in the agreement, e.g. attendance")
    prepare_command.add_argument("--period", required=True, help="the month, as YYYY-MM")
    prepare_command.set_defaults(handler=_prepare)
    approve_command = reports.add_parser("approve", help="approve a prepared report and send it")
    approve_command.add_argument("ref", help="the report's reference, e.g. RPT-attendance-2026-11")
    approve_command.add_argument("--as", dest="login", required=True, help="your provider desk login")
    approve_command.set_defaults(handler=_approve)


def _ready() -> tuple[Settings, Agreement]:
    from tono.first_hour import agreement_from
    from tono.startup import check_migrated, check_runs_provider

    settings = load_settings()
    agreement = agreement_from(settings)
    check_runs_provider(settings, agreement, "reports", "prepares and sends the reports")
    asyncio.run(check_migrated(settings))
    return settings, agreement


async def _with_sessions(settings: Settings, work):
    from tono.database import make_engine, make_sessionmaker

    engine = make_engine(settings.database_url)
    try:
        return await work(make_sessionmaker(engine))
    finally:
        await engine.dispose()


def _due(args: argparse.Namespace) -> int:
    from bot.reports.overview import due_reports

    settings, agreement = _ready()

    async def work(sessions):
        async with sessions() as session:
            return [due.line() for due in await due_reports(session, agreement, nz_today())]

    lines = asyncio.run(_with_sessions(settings, work))
    print("\n".join(lines) if lines else "Nothing is due.")
    return 0


def preview_lines(agreement: Agreement, report: Report) -> list[str]:
    """What a prepared report would send, as the desk's preview says it."""
    holding = agreement.holding(agreement.flow(report.flow).holding)
    unit = agreement.text(agreement.unit(report.unit).name, "en", "adult")
    held = (report.small_groups or {}).get("held_back", 0)
    lines = [f"{report.ref}: the {report.flow} report for {report.period}, due {report.due_on.isoformat()}.",
             f"  To: {unit} ({report.unit}) only, {'by participant id' if report.named else 'by study number'}.",
             f"  Fields: {', '.join(holding.field(n).label for n in report.fields)}.",
             f"  {report.people} people, {report.rows} rows; {held} rows held back.",
             f"  Agreement version: {report.agreement_version}."]
    lines += [f"  {sentence}" for sentence in (report.small_groups or {}).get("said", [])]
    lines += [f"  [{'passed' if c['passed'] else 'FAILED'}] {c['check']}: {c['detail']}" for c in report.checks]
    return lines


def _prepare(args: argparse.Namespace) -> int:
    from bot.reports.preparing import ReportProblem, prepare
    from tono.keys import study_number_key

    settings, agreement = _ready()
    key = study_number_key(agreement, settings.keys_dir)

    async def work(sessions):
        async with sessions.begin() as session:
            report = await prepare(session, agreement, args.flow, args.period, key, prepared_by="tono reports prepare")
            return preview_lines(agreement, report)

    try:
        lines = asyncio.run(_with_sessions(settings, work))
    except ReportProblem as problem:
        print(problem)
        return 1
    print("\n".join(lines))
    print(f"Nothing has been sent. To send it: tono reports approve {lines[0].split(':')[0]} --as LOGIN")
    return 0


def _approve(args: argparse.Namespace) -> int:
    from sqlmodel import select

    from bot.models import StaffAccount
    from bot.reports.approving import approve, report_by_ref
    from bot.reports.preparing import ReportProblem
    from tono.link import link_for

    settings, agreement = _ready()

    async def work(sessions):
        outbox = link_for(settings, agreement, sessions).provider
        if outbox is None:
            raise ReportProblem("This Tono runs the agency's side only (TONO_ROLE=agency); approve reports on the "
                                "provider's.")
        async with sessions.begin() as session:
            staff = (await session.exec(select(StaffAccount).where(StaffAccount.login == args.login))).first()
            if staff is None or not staff.active:
                raise ReportProblem(f"{args.login!r} is not an active provider staff login, so it cannot approve "
                                    "a report.")
            await report_by_ref(session, args.ref)
            return await approve(session, agreement, args.ref, login=staff.login, outbox=outbox, today=nz_today())

    try:
        sent = asyncio.run(_with_sessions(settings, work))
    except ReportProblem as problem:
        print(problem)
        return 1
    unit = agreement.text(agreement.unit(sent.report.unit).name, "en", "adult")
    print(f"Approved {sent.report.ref} and queued {sent.parts} {'part' if sent.parts == 1 else 'parts'} "
          f"({sent.rows} rows about {sent.people} people) for {unit}.")
    print(LEAVES)
    return 0
