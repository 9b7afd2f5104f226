"""Properties over every flow of the bundled agreement: only the flow's fields ever leave the provider, and a
flow that does not name people carries no identifying field, no participant id and no name."""

from __future__ import annotations

import itertools
import json
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.reports.approving import approve
from bot.reports.preparing import prepare
from protocol.agreement import load_agreement
from tests.bot.reports.reports_support import KEY, TODAY, add_people, add_records, consent, outbox_messages

AGREEMENT = load_agreement()
PEOPLE = 6  # the same quasi-identifying values for all six, so the small-group check lets them go
WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=12)


def _value(field, person: int, word: str, day: date):
    """A value of the field's type; text marked with the field's name, so a leak names the field it came from."""
    if field.type == "text":
        return f"leak{field.name}{person}{word}"
    if field.type == "date":
        return day.isoformat()
    if field.type == "number":
        return 3
    return field.options[0]


@pytest.mark.parametrize("flow", AGREEMENT.flows, ids=lambda f: f.id)
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(word=WORD)
async def test_no_field_outside_the_flow_ever_reaches_its_unit(sessions, outbox, flow, word):
    holding = AGREEMENT.holding(flow.holding)
    run = next(_runs)
    day = date(2000 + run // 12, run % 12 + 1, 3)  # a period of its own: the database outlives an example
    async with sessions.begin() as session:
        people = await add_people(session, PEOPLE, start=run * 10 + 1)
        await consent(session, AGREEMENT, people, on=date(2019, 1, 1))
        await add_records(session, holding.id, [
            (p, {field.name: _value(field, i, word, day) for field in holding.fields}
             | ({"suburb": "Newtown"} if "suburb" in holding.field_names else {}), "") for i, p in enumerate(people)])
        report = await prepare(session, AGREEMENT, flow.id, day.isoformat()[:7], KEY, prepared_by="tests")
        await approve(session, AGREEMENT, report.ref, login="tests", outbox=outbox, today=TODAY)

    parts = [m for m in await outbox_messages(sessions) if m.request == report.ref]
    text = json.dumps([m.body for m in parts], ensure_ascii=False)

    assert parts and all(m.body["fields"] == flow.fields for m in parts)
    assert all(len(row) == 2 + len(flow.fields) for m in parts for row in m.body["rows"])
    for field in holding.fields:
        if field.name not in flow.fields and field.type == "text":
            assert f"leak{field.name}" not in text, f"{field.name} left in {flow.id}"
    if not flow.identifiable:
        assert not any(holding.field(name).identifying for name in parts[0].body["fields"])
        assert "BFF-P-" not in text and "Hine" not in text and "Parata" not in text
        assert all(row[0].startswith("S-") for m in parts for row in m.body["rows"])


_runs = itertools.count(1)
