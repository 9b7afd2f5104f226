"""Desk logins for real staff and officers (`tono login …`): add one, list them, give one a new password,
disable or enable one, and disable the demo's. A password is kept only as the desks' argon2 hash.

A disabled login is refused at sign-in with the same sentence as a wrong password, and its API tokens stop at
their next use: both desks read the account afresh, and check `active`, on every page and call
(bot/desk/auth.py, agency/desk/store.py). A new password and disabling also end every open session of the
login (its session generation moves on, deskkit/sessions.py), so a cookie copied before still fails after
the login is enabled again or someone signs in with the new password."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from agency.models import Officer, Unit
from bot.models import StaffAccount
from deskkit.passwords import verify_password
from protocol.agreement import Agreement
from tono.demo import demo_logins

DESKS = ("provider", "agency")
MODELS = {"provider": StaffAccount, "agency": Officer}
# deskkit has no password rules of its own. Twelve characters (a few words) is long enough that a stolen argon2
# hash cannot be guessed back in practice; the sign-in form takes at most 1000 (deskkit/login.py).
SHORTEST_PASSWORD, LONGEST_PASSWORD = 12, 1000
LONGEST_DISPLAY_NAME = 100  # the column's size on both desks
# Lower case only: the provider desk also finds a login typed in capitals by its lower-case form, the agency
# desk does not, so a lower-case login signs in the same way on both.
LOGIN_NAME = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")


class LoginError(ValueError):
    """A login cannot be added or changed as asked; the message says why and what to do, in one sentence."""


@dataclass(frozen=True)
class Login:
    """A desk login as `tono login list` shows it: never its password hash."""

    name: str
    desk: str
    unit: str | None
    display_name: str
    enabled: bool
    role: str | None = None  # an officer's role in their unit (the agreement's seen_by)


def check_name(name: str) -> None:
    if not LOGIN_NAME.fullmatch(name):
        raise LoginError(f"{name!r} cannot be a login: use 1 to 64 lower-case letters, digits, dots, hyphens, "
                         "underscores or @, starting with a letter or digit (e.g. mere.smith).")


def check_display_name(display_name: str) -> None:
    if not display_name or len(display_name) > LONGEST_DISPLAY_NAME or not display_name.isprintable():
        raise LoginError(f"The display name must be 1 to {LONGEST_DISPLAY_NAME} characters on one line, "
                         "e.g. --display-name \"Mere Smith\".")


def check_password_rules(password: str) -> None:
    """Refuse a password the desks should not take; nothing has been written when this is asked."""
    if len(password) < SHORTEST_PASSWORD:
        raise LoginError(f"The password is too short: use at least {SHORTEST_PASSWORD} characters (a few words "
                         "make a good one); nothing was changed.")
    if len(password) > LONGEST_PASSWORD:
        raise LoginError(f"The password is longer than the {LONGEST_PASSWORD} characters the sign-in form takes; "
                         "nothing was changed.")
    if not password.isprintable():
        raise LoginError("The password holds a control character (a tab, say), which no one can type into the "
                         "sign-in form; nothing was changed.")


def check_desk_served(desk: str, sides: tuple[str, ...]) -> None:
    if desk not in sides:
        (role,) = sides
        raise LoginError(f"This server runs as the {role} only (TONO_ROLE={role}), so it has no {desk} desk: "
                         f"manage {desk} desk logins on the {desk}'s server.")


async def _row(session: AsyncSession, desk: str, name: str) -> StaffAccount | Officer | None:
    model = MODELS[desk]
    return (await session.exec(select(model).where(model.login == name))).first()


def officer_role(agreement: Agreement, unit: str, role: str | None) -> str:
    """The officer's role in their unit: one of the unit's seen_by in the agreement (by default its first), so
    a family can be told which role at which unit opened their information."""
    allowed = [each.id for each in agreement.unit(unit).seen_by]
    if role is None:
        return allowed[0]
    if role not in allowed:
        raise LoginError(f"There is no role {role!r} in the unit {unit}: the agreement lets these roles see its "
                         f"records: {', '.join(allowed)}.")
    return role


async def check_can_add(session: AsyncSession, agreement: Agreement, sides: tuple[str, ...], desk: str, name: str,
                        unit: str | None, role: str | None = None) -> None:
    """Everything `add` would refuse, asked before anyone types a password."""
    check_desk_served(desk, sides)
    check_name(name)
    for other in DESKS:
        if await _row(session, other, name) is not None:
            raise LoginError(f"There is already a login {name} (on the {other} desk): choose another name, or give "
                             f"it a new password with `tono login password {name}`.")
    units = ", ".join(u.id for u in agreement.units)
    if desk == "provider" and unit is not None:
        raise LoginError("A provider desk login belongs to no unit (units are the agency's): leave out --unit.")
    if desk == "agency" and unit is None:
        raise LoginError(f"An agency desk login belongs to one unit: add --unit with one of {units}.")
    if desk == "agency" and unit not in {u.id for u in agreement.units}:
        raise LoginError(f"There is no unit {unit!r} in the agreement: use one of {units}.")
    if desk == "provider" and role is not None:
        raise LoginError("A provider desk login has no role in an agency unit: leave out --role.")
    if desk == "agency":
        officer_role(agreement, unit, role)
    if desk == "agency" and await session.get(Unit, unit) is None:
        raise LoginError(f"The unit {unit} is in the agreement but not yet in this database: run `tono setup` "
                         "first.")


async def add(session: AsyncSession, agreement: Agreement, sides: tuple[str, ...], desk: str, name: str,
              unit: str | None, display_name: str, password_hash: str, role: str | None = None) -> str | None:
    """Add the login; checked again here, as another command may have taken the name while a password was typed.
    Returns an officer's role (None for a provider login)."""
    check_display_name(display_name)
    await check_can_add(session, agreement, sides, desk, name, unit, role)
    values = {"login": name, "display_name": display_name, "password_hash": password_hash}
    role = officer_role(agreement, unit, role) if desk == "agency" else None
    session.add(StaffAccount(**values) if desk == "provider" else Officer(**values, unit_id=unit, role=role))
    try:
        await session.flush()
    except IntegrityError:
        raise LoginError(f"There is already a login {name}: choose another name.") from None
    return role


async def all_logins(session: AsyncSession, sides: tuple[str, ...]) -> list[Login]:
    logins = []
    if "provider" in sides:
        logins += [Login(s.login, "provider", None, s.display_name, s.active)
                   for s in await session.exec(select(StaffAccount).order_by(StaffAccount.login))]
    if "agency" in sides:
        logins += [Login(o.login, "agency", o.unit_id, o.display_name, o.active, o.role or None)
                   for o in await session.exec(select(Officer).order_by(Officer.unit_id, Officer.login))]
    return logins


async def find(session: AsyncSession, sides: tuple[str, ...], name: str,
               desk: str | None) -> tuple[str, StaffAccount | Officer]:
    """The one login of that name on the desks this server serves (or on `desk`), as (desk, row)."""
    if desk is not None:
        check_desk_served(desk, sides)
    found = [(d, await _row(session, d, name)) for d in ([desk] if desk else sides)]
    found = [(d, row) for d, row in found if row is not None]
    if not found:
        raise LoginError(f"There is no login {name}" + (f" on the {desk} desk" if desk else "")
                         + ": `tono login list` shows them all.")
    if len(found) > 1:
        raise LoginError(f"There is a login {name} on both desks: say which with --desk provider or --desk agency.")
    return found[0]


def end_sessions(row: StaffAccount | Officer) -> None:
    """End every session of the login, on whichever desk. Added in the UPDATE itself rather than read and written
    back, so a logout at the same moment cannot make the two ends one."""
    row.session_generation = type(row).session_generation + 1


async def set_password(session: AsyncSession, sides: tuple[str, ...], name: str, desk: str | None,
                       password_hash: str) -> str:
    """Give the login a new password hash; returns its desk."""
    desk, row = await find(session, sides, name, desk)
    row.password_hash = password_hash
    end_sessions(row)
    session.add(row)
    return desk


async def set_enabled(session: AsyncSession, sides: tuple[str, ...], name: str, desk: str | None,
                      enabled: bool) -> tuple[str, bool]:
    """Enable or disable the login; returns its desk and whether anything changed."""
    desk, row = await find(session, sides, name, desk)
    changed = row.active != enabled
    row.active = enabled
    if not enabled:
        end_sessions(row)
    session.add(row)
    return desk, changed


async def enabled_demo_logins(session: AsyncSession, agreement: Agreement,
                              sides: tuple[str, ...]) -> list[tuple[str, str, str, str]]:
    """The demo's logins that are here and enabled, as (desk, login, demo password, password hash)."""
    found = []
    for desk, name, password, _who in demo_logins(agreement, sides):
        row = await _row(session, desk, name)
        if row is not None and row.active:
            found.append((desk, name, password, row.password_hash))
    return found


def still_published(enabled: list[tuple[str, str, str, str]]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Of enabled_demo_logins, as (desk, login): those that still sign in with the password the README prints,
    and those whose password someone has since changed. Asked outside any transaction: argon2 takes a while."""
    published, changed = [], []
    for desk, name, password, password_hash in enabled:
        (published if verify_password(password_hash, password) else changed).append((desk, name))
    return published, changed


async def demo_login_states(session: AsyncSession, agreement: Agreement,
                            sides: tuple[str, ...]) -> list[tuple[str, str, str, str, str | None]]:
    """Each demo login as (desk, login, demo password, who, password hash): the hash is None where the login
    cannot sign in whatever its password (disabled, or not on that desk: the name is taken on the other)."""
    found = []
    for desk, name, password, who in demo_logins(agreement, sides):
        row = await _row(session, desk, name)
        found.append((desk, name, password, who, row.password_hash if row is not None and row.active else None))
    return found


def demo_logins_that_sign_in(states: list[tuple[str, str, str, str, str | None]]
                             ) -> tuple[list[tuple[str, str, str, str]], list[str]]:
    """Of demo_login_states, those that sign in with the demo's password, as (desk, login, password, who), and
    a sentence for each that does not (so `tono seed-demo` never prints a login that is refused). Asked outside
    any transaction: argon2 takes a while."""
    working, refused = [], []
    for desk, name, password, who, password_hash in states:
        if password_hash is None:
            refused.append(f"{name} ({desk} desk) is disabled or is a login on the other desk: `tono login list` "
                           "shows it.")
        elif not verify_password(password_hash, password):
            refused.append(f"{name} ({desk} desk) has a password of its own now, not the demo's.")
        else:
            working.append((desk, name, password, who))
    return working, refused
