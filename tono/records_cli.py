"""The `tono records` commands: `tono records import PATH --holding ID` imports a CSV file of a holding's rows,
all or nothing (bot/records/importing.py says what the file holds).

Exit status: 0 imported (one line saying what changed); 1 the file has problems (each on stderr as
`line N: …`, and nothing was imported); 2 the command or the setup is wrong (an unknown holding, a file that
cannot be read, a database that is not migrated)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from tono.startup import StartupError


def _import(args: argparse.Namespace) -> int:
    from bot.records.importing import import_rows
    from bot.records.recording import RecordsProblem, holding_with_fields
    from tono.database import make_engine, make_sessionmaker
    from tono.first_hour import agreement_from, check_sqlite_file
    from tono.settings import load_settings
    from tono.startup import check_migrated, check_runs_provider

    settings = load_settings()
    agreement = agreement_from(settings)
    check_runs_provider(settings, agreement, "records import", "records the programme's data")
    check_sqlite_file(settings)
    asyncio.run(check_migrated(settings))
    try:
        holding_with_fields(agreement, args.holding)
    except RecordsProblem as wrong:
        raise StartupError(str(wrong)) from None
    path = Path(args.path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise StartupError(f"{path} cannot be read ({error.strerror or error}): check the path.") from None

    async def run():
        engine = make_engine(settings.database_url)
        try:
            async with make_sessionmaker(engine).begin() as session:
                result = await import_rows(session, agreement, args.holding, data, by="import",
                                           reason=f"Imported from {path.name}")
                if result.problems:
                    await session.rollback()  # all or nothing: import_rows wrote nothing, and this says so
                return result
        finally:
            await engine.dispose()

    result = asyncio.run(run())
    if result.problems:
        for problem in result.problems:
            print(problem, file=sys.stderr)
        print(f"Nothing was imported: {len(result.problems)} problem{'s' if len(result.problems) > 1 else ''} "
              f"in {path}.", file=sys.stderr)
        return 1
    print(result.summary(str(path)))
    return 0


def add_records_commands(commands: argparse._SubParsersAction) -> None:
    """Add `tono records …` to the command line."""
    records = commands.add_parser("records", help="the programme's data at the provider").add_subparsers(
        dest="records", required=True)
    command = records.add_parser("import", help="import a holding's rows from a CSV file, all or nothing")
    command.add_argument("path", help="the CSV file: a header of person and the holding's field names")
    command.add_argument("--holding", required=True, help="the holding's id in the agreement, e.g. attendance")
    command.set_defaults(handler=_import)
