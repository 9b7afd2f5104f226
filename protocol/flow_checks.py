"""The checks that make a flow a rule and not only a sentence: it carries only fields its holding has, a flow
that does not name people carries nothing that names them, and its schedule can always be computed.

Each problem is (field path, message), as `tono agreement check` prints it.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

from protocol import deadlines
from protocol.programme_data import BUILT_IN_STEPS

# The agreement and its holdings are passed in by protocol.agreement, which imports this module: naming their
# classes here would make the two import each other.
Agreement = Holding = Any

YEARS_CHECKED = 20  # a monthly due date must exist in every month of this many years from now


def problems(agreement: Agreement) -> list[tuple[str, str]]:
    """Everything wrong with the holdings' fields and the flows' rules."""
    found: list[tuple[str, str]] = []
    for i, holding in enumerate(agreement.provider_holds):
        found += _holding_problems(f"provider_holds[{i}]", holding, agreement)
    holdings = {holding.id: holding for holding in agreement.provider_holds}
    consents = [consent.id for consent in agreement.consents]
    for i, flow in enumerate(agreement.flows):
        path = f"flows[{i}]"
        holding = holdings.get(flow.holding)
        if holding is None:
            found.append((f"{path}.holding", f"the provider holds nothing with the id {flow.holding!r} "
                                             f"(its holdings are {', '.join(holdings)})"))
            continue
        if not holding.fields:
            found.append((f"{path}.holding", f"the holding {holding.id!r} lists no fields, so no flow can "
                                             "be built from it"))
            continue
        for j, name in enumerate(flow.fields):
            if name not in holding.field_names:
                found.append((f"{path}.fields[{j}]", f"the holding {holding.id!r} has no field {name!r}"))
            elif not flow.identifiable and holding.field(name).identifying:
                found.append((f"{path}.fields[{j}]", f"the flow does not name people (identifiable: false), "
                                                     f"so it may not carry {name!r}, which identifies a person"))
        found += _schedule_problems(f"{path}.schedule", flow.schedule, holding)
        if flow.condition is not None and flow.condition.consent not in consents:
            found.append((f"{path}.condition.consent", f"no consent has the id {flow.condition.consent!r} "
                                                       f"(the consents are {', '.join(consents) or 'none'})"))
    return found


def _holding_problems(path: str, holding: Holding, agreement: Agreement) -> list[tuple[str, str]]:
    found = []
    names = holding.field_names
    for j, name in enumerate(names):
        if name in names[:j]:
            found.append((f"{path}.fields[{j}].name", f"{name!r} is already the name of another field"))
    for j, name in enumerate(holding.key):
        if name not in names:
            found.append((f"{path}.key[{j}]", f"the holding has no field {name!r}"))
        elif not holding.field(name).required:
            found.append((f"{path}.key[{j}]", f"the field {name!r} tells rows apart, so it must be required"))
    for j, field in enumerate(holding.fields):
        for k, step in enumerate(field.quasi_identifying or []):
            kind = BUILT_IN_STEPS.get(step)
            where = f"{path}.fields[{j}].quasi_identifying[{k}]"
            if kind is None and step not in agreement.generalisations:
                known = ", ".join([*BUILT_IN_STEPS, *agreement.generalisations])
                found.append((where, f"{step!r} is neither a built-in step nor a table under generalisations "
                                     f"(the steps are {known})"))
            elif kind is not None and kind != field.type:
                found.append((where, f"{step!r} makes a {kind} coarser, but {field.name!r} is a {field.type}"))
    return found


def _schedule_problems(path: str, schedule, holding: Holding) -> list[tuple[str, str]]:
    if schedule.date_field not in holding.field_names:
        return [(f"{path}.date_field", f"the holding {holding.id!r} has no field {schedule.date_field!r}")]
    field = holding.field(schedule.date_field)
    if field.type != "date":
        return [(f"{path}.date_field", f"{field.name!r} is a {field.type}, but a schedule needs a date")]
    if schedule.kind == "monthly" and not field.required:
        return [(f"{path}.date_field", f"a monthly flow places every row in a month by {field.name!r}, so "
                                       "that field must be required")]
    if schedule.kind == "monthly" and schedule.working_days > fewest_working_days_in_a_month():
        return [(f"{path}.working_days", f"some months have only {fewest_working_days_in_a_month()} working "
                                         f"days, so 'by working day {schedule.working_days}' cannot be computed "
                                         "for every month")]
    return []


@cache
def fewest_working_days_in_a_month() -> int:
    """The fewest working days any month has over the years checked (a January, with the summer break)."""
    start = date.today().year
    fewest = 31
    for year in range(start, start + YEARS_CHECKED):
        for month in range(1, 13):
            first = date(year, month, 1)
            following = date(year + month // 12, month % 12 + 1, 1)
            days = sum(1 for n in range((following - first).days)
                       if deadlines.is_working_day(date.fromordinal(first.toordinal() + n)))
            fewest = min(fewest, days)
    return fewest
