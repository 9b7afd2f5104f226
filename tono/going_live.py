"""The going-live commands: `tono setup` (what the agreement says must exist, nothing of the demo) and
`tono login add|list|password|disable|enable|remove-demo` (desk logins for real staff and officers).

A password is typed twice at the terminal, unseen, or comes as one line on standard input when that is not a
terminal (a script); it is checked before anything is written."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from protocol.agreement import Agreement
from tono.logins import SHORTEST_PASSWORD, LoginError, check_display_name, check_password_rules
from tono.settings import Settings

ADD_HINTS = {"provider": "`tono login add NAME --desk provider` for each staff member",
             "agency": "`tono login add NAME --desk agency --unit UNIT` for each officer"}


def _ready() -> tuple[Settings, Agreement]:
    """The settings and agreement, once the database is known to be usable and migrated."""
    from tono.first_hour import agreement_from, check_sqlite_file
    from tono.settings import load_settings
    from tono.startup import check_migrated

    settings = load_settings()
    agreement = agreement_from(settings)
    check_sqlite_file(settings)
    asyncio.run(check_migrated(settings))
    return settings, agreement


def _in_database(settings: Settings, work: Callable[[Any], Awaitable[Any]], *, write: bool) -> Any:
    """Run `work(session)`: in one transaction that commits when `write`, else one that only reads."""
    from tono.database import make_engine, make_sessionmaker

    async def run() -> Any:
        engine = make_engine(settings.database_url)
        try:
            sessions = make_sessionmaker(engine)
            async with sessions.begin() if write else sessions() as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def read_new_password(name: str) -> str:
    """Twice from the terminal, unseen; or one line from standard input when that is not a terminal."""
    if sys.stdin is None or not sys.stdin.isatty():
        try:
            line = sys.stdin.readline() if sys.stdin is not None else ""
        except UnicodeDecodeError:
            raise LoginError("The password on standard input is not UTF-8 text; nothing was changed.") from None
        if not line:
            raise LoginError("No password came on standard input: run this at a terminal, or give the password "
                             "as one line on standard input.")
        password = line.removesuffix("\n").removesuffix("\r")
        check_password_rules(password)
        return password
    try:
        password = getpass.getpass(f"New password for {name} (at least {SHORTEST_PASSWORD} characters): ")
        check_password_rules(password)  # before asking again, so a short one is not typed twice for nothing
        again = getpass.getpass("The same password again: ")
    except EOFError:
        raise LoginError("No password was typed; nothing was changed.") from None
    if again != password:
        raise LoginError("The two passwords differ; nothing was changed: run the command again.")
    return password


def _where(settings: Settings, desk: str) -> str:
    path = f"/{desk}/"
    return f"{settings.public_url.rstrip('/')}{path}" if settings.public_url else f"{path} on this server"


def _setup(args: argparse.Namespace) -> int:
    from tono.agreement_setup import served_sides, set_up
    from tono.logins import enabled_demo_logins, still_published

    settings, agreement = _ready()
    sides = served_sides(settings)
    for line in asyncio.run(set_up(settings, agreement)):
        print(line)
    published, _changed = still_published(_in_database(
        settings, lambda session: enabled_demo_logins(session, agreement, sides), write=False))
    if published:
        names = ", ".join(name for _desk, name in published)
        print(f"This database still has demo logins whose passwords are printed in the README ({names}): "
              "disable them with `tono login remove-demo`.")
    print("Next, add a desk login: " + "; ".join(ADD_HINTS[side] for side in sides) + ".")
    return 0


def _add(args: argparse.Namespace) -> int:
    from deskkit.passwords import hash_password
    from tono.agreement_setup import served_sides
    from tono.logins import add, check_can_add

    settings, agreement = _ready()
    sides = served_sides(settings)
    display_name = (args.name if args.display_name is None else args.display_name).strip()
    check_display_name(display_name)
    _in_database(settings, lambda s: check_can_add(s, agreement, sides, args.desk, args.name, args.unit,
                                                   args.role), write=False)
    password_hash = hash_password(read_new_password(args.name))
    role = _in_database(settings, lambda s: add(s, agreement, sides, args.desk, args.name, args.unit, display_name,
                                                password_hash, args.role), write=True)
    unit = f", in the {args.unit} unit as {role}" if args.unit else ""
    print(f"Added {args.name} ({display_name}) to the {args.desk} desk{unit}; they sign in at "
          f"{_where(settings, args.desk)}.")
    return 0


def _list(args: argparse.Namespace) -> int:
    from tono.agreement_setup import served_sides
    from tono.logins import all_logins

    settings, _agreement = _ready()
    sides = served_sides(settings)
    logins = _in_database(settings, lambda session: all_logins(session, sides), write=False)
    if not logins:
        print("There are no desk logins yet: add one with " + ", or ".join(ADD_HINTS[side] for side in sides) + ".")
        return 0
    rows = [("login", "desk", "unit", "state", "role", "name")]
    rows += [(login.name, login.desk, login.unit or "-", "enabled" if login.enabled else "disabled",
              login.role or "-", login.display_name) for login in logins]
    widths = [max(len(row[column]) for row in rows) for column in range(5)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[5])
    return 0


def _password(args: argparse.Namespace) -> int:
    from deskkit.passwords import hash_password
    from tono.agreement_setup import served_sides
    from tono.logins import find, set_password

    settings, _agreement = _ready()
    sides = served_sides(settings)
    _in_database(settings, lambda session: find(session, sides, args.name, args.desk), write=False)
    password_hash = hash_password(read_new_password(args.name))
    desk = _in_database(settings, lambda s: set_password(s, sides, args.name, args.desk, password_hash), write=True)
    print(f"{args.name} ({desk} desk) has a new password. Every session signed in with the old one has ended: "
          "sign in again with the new one.")
    return 0


def _enabled(enabled: bool) -> Callable[[argparse.Namespace], int]:
    def handler(args: argparse.Namespace) -> int:
        from tono.agreement_setup import served_sides
        from tono.logins import set_enabled

        settings, _agreement = _ready()
        sides = served_sides(settings)
        desk, changed = _in_database(settings, lambda s: set_enabled(s, sides, args.name, args.desk, enabled),
                                     write=True)
        if not changed:
            print(f"{args.name} ({desk} desk) was already {'enabled' if enabled else 'disabled'}; nothing changed.")
        elif enabled:
            print(f"{args.name} ({desk} desk) can sign in again.")
        else:
            print(f"{args.name} ({desk} desk) is disabled: it cannot sign in, and its open sessions and API tokens "
                  "stop working at once (its sessions stay ended if it is enabled again).")
        return 0

    return handler


def _remove_demo(args: argparse.Namespace) -> int:
    from tono.agreement_setup import served_sides
    from tono.logins import enabled_demo_logins, set_enabled, still_published

    settings, agreement = _ready()
    sides = served_sides(settings)
    published, changed = still_published(_in_database(
        settings, lambda session: enabled_demo_logins(session, agreement, sides), write=False))

    async def disable_them(session) -> None:
        for desk, name in published:
            await set_enabled(session, sides, name, desk, False)

    if published:
        _in_database(settings, disable_them, write=True)
    for desk, name in published:
        print(f"Disabled the demo login {name} ({desk} desk): its password is printed in the README.")
    for desk, name in changed:
        print(f"Left the demo login {name} ({desk} desk) enabled: its password is no longer the README's "
              f"(`tono login disable {name}` if no one uses it).")
    if not published and not changed:
        print("No demo login here can sign in; nothing was changed.")
    return 0


def add_going_live_commands(commands: argparse._SubParsersAction) -> None:
    """`tono setup` and `tono login …`, on the `tono` command's parser."""
    commands.add_parser("setup", help="create what the agreement says must exist (idempotent; no demo data)"
                        ).set_defaults(handler=_setup)

    login = commands.add_parser("login", help="desk logins for staff and officers").add_subparsers(
        dest="login", required=True)
    add = login.add_parser("add", help="a new desk login; asks for its password twice")
    add.add_argument("name", help="the login, e.g. mere.smith")
    add.add_argument("--desk", required=True, choices=("provider", "agency"))
    add.add_argument("--unit", help="an agency login's unit, from the agreement (e.g. evaluation)")
    add.add_argument("--role", help="an agency login's role in its unit, from the unit's seen_by in the agreement "
                                    "(default: the unit's first, e.g. evaluator)")
    add.add_argument("--display-name", help="the name the desk shows (default: the login)")
    add.set_defaults(handler=_add)

    login.add_parser("list", help="every desk login, its desk, unit and whether it is disabled").set_defaults(
        handler=_list)

    for name, handler, what in (("password", _password, "give a login a new password; asks for it twice"),
                                ("disable", _enabled(False), "stop a login signing in, and end its sessions"),
                                ("enable", _enabled(True), "let a disabled login sign in again")):
        command = login.add_parser(name, help=what)
        command.add_argument("name")
        command.add_argument("--desk", choices=("provider", "agency"),
                             help="only needed when both desks have a login of that name")
        command.set_defaults(handler=handler)

    login.add_parser("remove-demo", help="disable the demo's logins that still have the README's passwords"
                     ).set_defaults(handler=_remove_demo)
