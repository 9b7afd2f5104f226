"""`tono setup`: put into the database what the programme agreement says must exist there (today, the agency's
units), and nothing of the demo. Running it again changes nothing unless the agreement changed."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from agency.models import Unit
from protocol.agreement import Agreement
from protocol.agreement import Unit as AgreementUnit
from tono.database import make_engine, make_sessionmaker
from tono.settings import Settings


def served_sides(settings: Settings) -> tuple[str, ...]:
    """The organisations this server plays: both in the embedded default, else the one TONO_ROLE names."""
    return ("provider", "agency") if settings.role == "both" else (settings.role,)


def unit_name(agreement: Agreement, unit: AgreementUnit) -> str:
    """The name officers see for a unit: the agreement's adult English one."""
    return agreement.text(unit.name, "en", "adult")


async def set_up_units(session: AsyncSession, agreement: Agreement) -> list[str]:
    """Add each unit the agreement names and bring its name up to date; say, per unit, what was done. A unit no
    longer in the agreement is left as it is: its officers and its tasks still point at it."""
    held = {unit.id: unit for unit in await session.exec(select(Unit))}
    done = []
    for unit in agreement.units:
        name = unit_name(agreement, unit)
        row = held.get(unit.id)
        if row is None:
            session.add(Unit(id=unit.id, name=name))
            done.append(f"agency unit {unit.id}: added ({name})")
        elif row.name != name:
            row.name = name
            session.add(row)
            done.append(f"agency unit {unit.id}: renamed to {name}, as the agreement says")
        else:
            done.append(f"agency unit {unit.id}: already there")
    await session.flush()
    listed = {unit.id for unit in agreement.units}
    done += [f"agency unit {unit_id}: in this database but not in the agreement; left as it is"
             for unit_id in sorted(set(held) - listed)]
    return done


async def set_up(settings: Settings, agreement: Agreement) -> list[str]:
    """Set up this server's side of the programme; the lines to print."""
    sides = served_sides(settings)
    lines = [f"Set up {agreement.programme.name} from its agreement:"]
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine).begin() as session:
            if "agency" in sides:
                lines += [f"  {line}" for line in await set_up_units(session, agreement)]
    finally:
        await engine.dispose()
    if "agency" not in sides:
        lines.append("  the provider's side needs nothing from the agreement in its database (the agency's units "
                     "are set up on the agency's server)")
    return lines
