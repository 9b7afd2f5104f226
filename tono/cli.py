"""The `tono` command (DESIGN.md §10): db upgrade, seed-demo, setup, login, run, enrol, verify-events,
agreement check, keys generate."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path

from tono.going_live import add_going_live_commands
from tono.keys import SigningKeyError
from tono.link_cli import add_link_commands
from tono.logins import LoginError
from tono.records_cli import add_records_commands
from tono.reports_cli import add_reports_commands
from tono.settings import SettingsError, load_settings
from tono.startup import StartupError


def _db_upgrade(args: argparse.Namespace) -> int:
    from tono import migrate
    from tono.first_hour import agreement_from, check_sqlite_file
    from tono.startup import check_reachable

    settings = load_settings()
    agreement_from(settings)
    check_sqlite_file(settings)
    if not settings.is_sqlite:
        asyncio.run(check_reachable(settings))
    migrate.upgrade(settings.database_url, args.revision)
    print(f"The database is at migration {args.revision}.")
    return 0


def _db_downgrade(args: argparse.Namespace) -> int:
    from tono import migrate
    from tono.first_hour import check_sqlite_file
    from tono.startup import check_reachable

    settings = load_settings()
    if not migrate.known_revision(args.revision):
        ids = migrate.revision_ids()
        raise StartupError(f"There is no migration {args.revision!r}: use base (an empty database) or one of "
                           f"{ids[0]} to {ids[-1]}.")
    check_sqlite_file(settings)
    if not settings.is_sqlite:
        asyncio.run(check_reachable(settings))
    before = asyncio.run(_revision_now(settings.database_url)) or "base"
    try:
        migrate.downgrade(settings.database_url, args.revision)
    except Exception as error:
        if _outside_tono(error):
            raise  # a lock, a full disk, a server gone: said by main() as for every command
        # Every migration runs in one transaction on both databases (tono/migrations/env.py): nothing is half-done.
        reason = " ".join(str(getattr(error, "orig", None) or error).split())[:200]
        raise StartupError(f"The database could not be taken back to migration {args.revision} ({reason}); "
                           f"nothing was changed: it is still at migration {before}.") from None
    print(f"The database is at migration {args.revision}.")
    return 0


async def _revision_now(database_url: str) -> str | None:
    from tono import migrate
    from tono.database import make_engine

    engine = make_engine(database_url)
    try:
        return await migrate.current_revision(engine)
    finally:
        await engine.dispose()


def _seed_demo(args: argparse.Namespace) -> int:
    from tono.demo import seed_demo
    from tono.first_hour import agreement_from, check_sqlite_file
    from tono.logins import demo_logins_that_sign_in
    from tono.startup import check_migrated

    settings = load_settings()
    agreement = agreement_from(settings)
    check_sqlite_file(settings)
    asyncio.run(check_migrated(settings))
    asyncio.run(seed_demo(settings, agreement))
    # Printed as they are in the database now: a login disabled (`tono login remove-demo`) or given a password of
    # its own since an earlier seed-demo is not made to work again, and never printed as if it did.
    logins, refused = demo_logins_that_sign_in(asyncio.run(_demo_login_states(settings, agreement)))
    logins = [(f"{desk} desk", login, password, who) for desk, login, password, who in logins]
    print("Best foot forward demo data is loaded. " + ("Demo desk logins (demo only, never for real use):" if logins
          else "No demo desk login signs in with the demo's password here."))
    wide = [max(len(row[i]) for row in logins) if logins else 0 for i in range(3)]  # columns as wide as the widest
    for where, login, password, who in logins:
        print(f"  {where:<{wide[0]}}  login {login:<{wide[1]}}  password {password:<{wide[2]}}  {who}")
    for sentence in refused:
        print(f"  Not printed: {sentence}")
    return 0


async def _demo_login_states(settings, agreement) -> list:
    from tono.agreement_setup import served_sides
    from tono.database import make_engine, make_sessionmaker
    from tono.logins import demo_login_states

    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            return await demo_login_states(session, agreement, served_sides(settings))
    finally:
        await engine.dispose()


def _run(args: argparse.Namespace) -> int:
    import uvicorn

    from tono import access_log
    from tono.app import create_app
    from tono.first_hour import agreement_from, bind_port, check_sqlite_file, check_telegram
    from tono.startup import check_migrated, check_signing_keys

    settings = load_settings()
    agreement = agreement_from(settings)
    check_signing_keys(settings, agreement)
    check_sqlite_file(settings)
    asyncio.run(check_migrated(settings))
    sock = bind_port(args.host, args.port)  # held from here on: nothing can take the port before uvicorn serves
    try:
        asyncio.run(check_telegram(settings))
        app = create_app(settings, agreement)
        port = sock.getsockname()[1]  # the one the system chose, for --port 0
        if settings.role != "agency":  # where the web chat is, for `tono enrol`'s links
            asyncio.run(_record_served_address(settings, args.host, port))
    except BaseException:
        sock.close()
        raise
    print(f"Tono is serving on http://{args.host}:{port}/ (health: /healthz). Stop it with Ctrl+C.", flush=True)
    if settings.role != "both":
        other = "agency" if settings.role == "provider" else "provider"
        print(f"It runs as the {settings.role} only: it sends to the {other} at {settings.peer_url} and takes the "
              f"{other}'s messages at /protocol/inbox.", flush=True)
    if settings.public_url and not settings.telegram_bot_token and settings.role != "agency":
        print("TONO_PUBLIC_URL is set but TELEGRAM_BOT_TOKEN is not, so families reach Tono by the web chat only "
              "(set the token from @BotFather to serve Telegram too).", flush=True)
    config = uvicorn.Config(app, log_level="info")
    # uvicorn's own start and stop lines repeat the line above; its warnings, errors and the access log stay.
    logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
    access_log.install()  # enrolment codes and searched names never reach the log
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # uvicorn has shut down cleanly already and passes Ctrl+C on
    finally:
        sock.close()
    print("Tono has stopped.")
    return 0


async def _record_served_address(settings, host: str, port: int) -> None:
    from tono.database import make_engine, make_sessionmaker
    from tono.served_address import record

    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine).begin() as session:
            await record(session, host, port)
    finally:
        await engine.dispose()


def _enrol(args: argparse.Namespace) -> int:
    from tono.enrol import enrol
    from tono.first_hour import agreement_from, check_sqlite_file
    from tono.startup import check_migrated, check_runs_provider

    settings = load_settings()
    check_runs_provider(settings, agreement_from(settings), "enrol", "enrols a family for the chat")
    check_sqlite_file(settings)
    asyncio.run(check_migrated(settings))
    for line in asyncio.run(enrol(settings, args.person, args.bot, Path(args.qr) if args.qr else None, args.url)):
        print(line)
    return 0


def _verify_events(args: argparse.Namespace) -> int:
    from tono.startup import check_migrated
    from tono.verify import broken_chains

    settings = load_settings()
    asyncio.run(check_migrated(settings))
    checked, problems = asyncio.run(broken_chains(settings))
    return _verdict(problems, f"All {checked} request histories check out.")


def _agreement_check(args: argparse.Namespace) -> int:
    from protocol.agreement import DEFAULT_AGREEMENT_PATH, check_agreement

    path = Path(args.file) if args.file else (load_settings().agreement or DEFAULT_AGREEMENT_PATH)
    return _verdict(check_agreement(path), f"{path}: the agreement is valid.")


def _verdict(problems: list[str], all_well: str) -> int:
    """A checking command's ending: each problem on stderr and exit 1, or one line saying all is well."""
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        return 1
    print(all_well)
    return 0


def _keys_generate(args: argparse.Namespace) -> int:
    from tono.keys import generate_key_files

    settings = load_settings()
    private_path, public_b64 = generate_key_files(Path(args.dir or settings.keys_dir), args.party, args.next)
    print(f"Private key written to {private_path} (keep it secret; it never goes in the repository).")
    where = "next_key.public_key" if args.next else "public_key"
    print(f"Public key for the agreement's parties.{args.party}.{where}: {public_b64}")
    return 0


def _port(text: str) -> int:
    if not text.isdecimal() or not text.isascii() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port: use a number up to 65535, e.g. 8001")
    return int(text)


def _outside_tono(error: BaseException) -> bool:
    """Whether a database error comes from outside Tono (a lock, a full disk, a server gone, a file that is no
    database) rather than from a bug."""
    from sqlalchemy.exc import DatabaseError, OperationalError

    # SQLAlchemy wraps each driver's error in its class of the same name: a plain DatabaseError is "file is not a
    # database"; its other subclasses (IntegrityError, ProgrammingError…) are Tono's own mistakes.
    return isinstance(error, (OperationalError, sqlite3.OperationalError)) or type(error) in (
        DatabaseError, sqlite3.DatabaseError)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tono", description="Tono: ask what is held about you, check it, fix it.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    db = commands.add_parser("db", help="database migrations").add_subparsers(dest="db", required=True)
    up = db.add_parser("upgrade", help="migrate the database to this code's revision")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(handler=_db_upgrade)
    down = db.add_parser("downgrade", help="migrate the database back to a revision (base: empty)")
    down.add_argument("revision")
    down.set_defaults(handler=_db_downgrade)

    commands.add_parser("seed-demo", help="load the Best foot forward demo (idempotent)").set_defaults(
        handler=_seed_demo
    )
    add_going_live_commands(commands)
    add_records_commands(commands)
    add_reports_commands(commands)
    add_link_commands(commands)

    run = commands.add_parser("run", help="serve the web chat, the desks and the queue")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=_port, default=8000, help="0: any free port (the line it prints says which)")
    run.set_defaults(handler=_run)

    enrol = commands.add_parser("enrol", help="a one-time deep link that links a family's chat to a person")
    enrol.add_argument("person", help="the person's reference, e.g. P-0001")
    enrol.add_argument("--qr", help="also write the link as a QR code PNG to this file")
    enrol.add_argument("--bot", help="the bot's @username (default: asked from Telegram with TELEGRAM_BOT_TOKEN)")
    enrol.add_argument("--url", help="the web chat's base address, e.g. http://127.0.0.1:8123 (default: "
                                     "TONO_PUBLIC_URL, else where `tono run` serves)")
    enrol.set_defaults(handler=_enrol)

    commands.add_parser("verify-events", help="check every request's tamper-evident history (exit 1 if broken)"
                        ).set_defaults(handler=_verify_events)

    agreement = commands.add_parser("agreement", help="the programme agreement").add_subparsers(
        dest="agreement", required=True
    )
    check = agreement.add_parser("check", help="validate an agreement file (exit 1 on errors)")
    check.add_argument("file", nargs="?")
    check.set_defaults(handler=_agreement_check)

    keys = commands.add_parser("keys", help="signing keys").add_subparsers(dest="keys", required=True)
    generate = keys.add_parser("generate", help="a key pair for one organisation")
    generate.add_argument("party", help="the party id in the agreement, e.g. ccss")
    generate.add_argument("--dir", help="where to write the private key (default TONO_KEYS_DIR)")
    generate.add_argument("--next", action="store_true",
                          help="the party's next key, for changing keys: written as PARTY.next.pem")
    generate.set_defaults(handler=_keys_generate)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; whatever stops it is one line on stderr and a non-zero exit, never a traceback of a
    mistake someone can fix (a bug still shows its traceback, to be reported)."""
    from sqlalchemy.exc import DBAPIError

    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except (SettingsError, StartupError, SigningKeyError, LoginError) as error:
        print(f"tono: {error}", file=sys.stderr)
        return 2
    except (DBAPIError, sqlite3.DatabaseError) as error:
        if not _outside_tono(error):
            raise  # a constraint or a programming error: a bug, whose traceback is what a report needs
        from tono.database import explain_database_error

        print(f"tono: {explain_database_error(error, load_settings().database_url)}", file=sys.stderr)
        return 2
    except Exception as error:
        from tono.database import postgres_login_problem

        # Connecting happens in many commands (enrol, login, seed-demo…), each before start-up's own checks.
        if sentence := postgres_login_problem(error, load_settings().database_url):
            print(f"tono: {sentence}", file=sys.stderr)
            return 2
        raise
    except KeyboardInterrupt:
        print("tono: stopped by Ctrl+C before it finished.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
