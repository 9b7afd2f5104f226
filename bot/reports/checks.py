"""What Tono checks before staff approve a report, and again at the moment of approval: every check in plain
words, passed or not, as staff see it on the preview.

1. Every field is one the flow allows (and, for a flow that does not name people, none identifies a person).
2. The report goes to the one unit the flow names, for the flow's purpose.
3. It was prepared under the agreement version in force.
4. Every person in it has a participant id and meets the flow's condition (consent recorded, not withdrawn).
5. For a flow that does not name people: no group smaller than k shares the same quasi-identifying values.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.models import Person
from bot.records.consent import consented
from bot.reports.core import run
from bot.reports.tables import Report, ReportRow
from protocol.agreement import Agreement

_rows = ReportRow.__table__.c
BATCH = 5000


def _check(name: str, passed: bool, detail: str) -> dict:
    return {"check": name, "passed": passed, "detail": detail}


def failed(checks: list[dict]) -> list[dict]:
    return [check for check in checks if not check["passed"]]


async def run_checks(session: AsyncSession, agreement: Agreement, report: Report) -> list[dict]:
    """Every check on a prepared report, in the order staff read them."""
    flow = agreement.flow(report.flow)
    holding = agreement.holding(flow.holding)
    found = []

    outside = [name for name in report.fields if name not in flow.fields]
    naming = [name for name in report.fields
              if not report.named and name in holding.field_names and holding.field(name).identifying]
    labels = ", ".join(holding.field(n).label if n in holding.field_names else n for n in report.fields)
    if outside or naming:
        detail = (f"It would carry {', '.join(outside)}, which the flow does not allow." if outside else
                  f"It would carry {', '.join(naming)}, which identifies a person, in a flow that does not name "
                  "people.")
    else:
        detail = f"It carries {labels}: each one the flow allows" + (
            ", and none of them names a person." if not report.named else ".")
    found.append(_check("Every field is one the flow allows", not outside and not naming, detail))

    unit = agreement.unit(flow.to_unit) if flow.to_unit in {u.id for u in agreement.units} else None
    unit_ok = unit is not None and report.unit == flow.to_unit
    found.append(_check("The unit and purpose match the flow", unit_ok,
                        f"It goes only to {agreement.text(unit.name, 'en', 'adult')}, for the flow's purpose: "
                        f"{agreement.text(flow.why, 'en', 'adult')}" if unit_ok else
                        f"It is addressed to {report.unit!r}, but the flow goes to {flow.to_unit!r}."))

    in_force = report.agreement_version == agreement.version
    found.append(_check("The agreement version is the one in force", in_force,
                        f"Prepared under version {report.agreement_version[:12]}, the one in force." if in_force
                        else f"Prepared under version {report.agreement_version[:12]}, but version "
                             f"{agreement.version[:12]} is in force now: prepare the report again."))

    people = set((await run(session, select(_rows.person_id).where(
        _rows.report_id == report.id, _rows.held_back.is_(False)).distinct())).scalars())
    without_id = (await run(session, select(Person.__table__.c.id).where(
        Person.__table__.c.id.in_(select(_rows.person_id).where(_rows.report_id == report.id,
                                                                  _rows.held_back.is_(False))),
        Person.__table__.c.participant_id == ""))).scalars().all()
    if flow.condition is not None:
        missing = people - await consented(session, flow.condition.consent, people)
        consent = next(c for c in agreement.consents if c.id == flow.condition.consent)
        what = agreement.text(consent.what, "en", "adult").rstrip(".")
        detail = (f"All {len(people)} people in it have consented ({what}), and none has withdrawn."
                  if not missing and not without_id else
                  f"{len(missing)} of the {len(people)} people in it have not consented ({what}) or have "
                  "withdrawn: prepare the report again.")
    else:
        missing = set()
        detail = (f"The flow has no condition; all {len(people)} people in it have a participant id."
                  if not without_id else f"{len(without_id)} people in it have no participant id.")
    found.append(_check("Every person included meets the flow's condition", not missing and not without_id,
                        detail))

    if not report.named:
        found.append(await _small_group_check(session, agreement, report, holding))
    return found


async def _small_group_check(session: AsyncSession, agreement: Agreement, report: Report, holding) -> dict:
    k = agreement.reporting.smallest_group
    quasi = [i for i, name in enumerate(report.fields)
             if name in holding.field_names and holding.field(name).quasi_identifying is not None]
    people: dict[tuple, set[str]] = defaultdict(set)
    last = 0
    while True:  # in batches: the check reads the rows as they will go, without holding them as objects
        batch = (await run(session, select(_rows.id, _rows.subject, _rows["values"]).where(
            _rows.report_id == report.id, _rows.held_back.is_(False), _rows.id > last)
            .order_by(_rows.id).limit(BATCH))).all()
        if not batch:
            break
        for _id, subject, values in batch:
            people[tuple(values[i] for i in quasi)].add(subject)
        last = batch[-1][0]
    smallest = min((len(who) for who in people.values()), default=0)
    held = (report.small_groups or {}).get("held_back", 0)
    passed = not people or smallest >= k
    held_words = f"; {held} rows held back" if held else ""
    detail = (f"Every group sharing the same {', '.join(report.fields[i] for i in quasi) or 'values'} has at "
              f"least {k} people (the smallest has {smallest}){held_words}." if passed else
              f"A group of only {smallest} people shares the same values, fewer than {k}: prepare the report again.")
    return _check(f"No group smaller than {k} people can be singled out", passed, detail)
