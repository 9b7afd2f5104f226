"""Officers have a role in their unit, from the unit's seen_by in the agreement: `tono login add` gives one
(the unit's first by default, never one the unit does not have), and records.opened tells the provider the
role of the officer who opened a family's request."""

from __future__ import annotations

import pytest
from sqlmodel import select

from agency.models import Officer, Task
from tests.agency.reports.reports_world import HTML, officer_login, relayed_request, signed_in
from tono.logins import LoginError, add

BOTH = ("provider", "agency")


async def _add(agency, name: str, unit: str | None, role: str | None, desk: str = "agency") -> str | None:
    async with agency.sessions.begin() as session:
        return await add(session, agency.agreement, BOTH, desk, name, unit, name, "not-a-real-hash", role)


async def _role_of(agency, name: str) -> str:
    async with agency.sessions() as session:
        return (await session.exec(select(Officer.role).where(Officer.login == name))).one()


async def test_an_officer_added_with_a_role_of_the_unit_has_it(agency):
    said = await _add(agency, "hemi", "evaluation", "evaluation-lead")

    assert said == "evaluation-lead"
    assert await _role_of(agency, "hemi") == "evaluation-lead"


async def test_an_officer_added_without_a_role_has_the_units_first(agency):
    await _add(agency, "mere", "service-reporting", None)

    assert await _role_of(agency, "mere") == "reporting-analyst"


async def test_a_role_the_unit_does_not_have_is_refused_with_the_allowed_ones(agency):
    with pytest.raises(LoginError) as refused:
        await _add(agency, "tama", "evaluation", "reporting-analyst")

    assert str(refused.value) == ("There is no role 'reporting-analyst' in the unit evaluation: the agreement lets "
                                  "these roles see its records: evaluator, evaluation-lead.")
    async with agency.sessions() as session:
        assert (await session.exec(select(Officer).where(Officer.login == "tama"))).first() is None


async def test_a_provider_login_takes_no_role(agency):
    with pytest.raises(LoginError, match="leave out --role"):
        await _add(agency, "kaimahi", None, "evaluator", desk="provider")


async def _opened_bodies(agency) -> list[dict]:
    return [m.body for m in await agency.sent("records.opened")]


async def test_opening_a_task_tells_the_provider_the_officers_role(agency):
    await agency.apply(relayed_request(agency.agreement, "BFF-2026-000777", "BFF-P-1001"))
    async with agency.sessions() as session:
        task_id = (await session.exec(select(Task.id).where(Task.unit_id == "evaluation"))).one()
    client, _csrf = await signed_in(agency.app, officer_login("evaluation", "evaluation-lead"))

    page = await client.get(f"/agency/tasks/{task_id}", headers=HTML)

    assert page.status_code == 200
    (body,) = await _opened_bodies(agency)
    assert body["unit"] == "evaluation" and body["role"] == "evaluation-lead"
    await client.aclose()


async def test_an_officer_made_before_roles_opens_without_a_role(agency):
    await agency.apply(relayed_request(agency.agreement, "BFF-2026-000778", "BFF-P-1001"))
    async with agency.sessions.begin() as session:
        officer = (await session.exec(select(Officer).where(Officer.login == officer_login(
            "evaluation", "evaluator")))).one()
        officer.role = ""
        session.add(officer)
        task_id = (await session.exec(select(Task.id).where(Task.unit_id == "evaluation"))).one()
    client, _csrf = await signed_in(agency.app, officer_login("evaluation", "evaluator"))

    await client.get(f"/agency/tasks/{task_id}", headers=HTML)

    (body,) = await _opened_bodies(agency)
    assert "role" not in body
    await client.aclose()


def test_tono_login_add_takes_a_role_and_refuses_one_the_unit_lacks(tmp_path):
    import sqlite3

    from tests.tono.test_going_live import tono
    from tono import migrate

    migrate.upgrade(f"sqlite+aiosqlite:///{tmp_path / 'tono.db'}")
    assert tono(tmp_path, "setup").returncode == 0

    added = tono(tmp_path, "login", "add", "hemi", "--desk", "agency", "--unit", "evaluation", "--role",
                 "evaluation-lead", stdin="hemi's long passphrase\n")
    refused = tono(tmp_path, "login", "add", "tama", "--desk", "agency", "--unit", "evaluation", "--role",
                   "contract-manager", stdin="tama's long passphrase\n")
    listed = tono(tmp_path, "login", "list")

    assert added.returncode == 0, added.stderr
    assert "in the evaluation unit as evaluation-lead" in added.stdout
    assert refused.returncode == 2  # as every refused `tono login` command
    assert "There is no role 'contract-manager' in the unit evaluation" in refused.stderr + refused.stdout
    assert "evaluator, evaluation-lead" in refused.stderr + refused.stdout
    with sqlite3.connect(tmp_path / "tono.db") as db:
        assert db.execute("SELECT login, role FROM agency_officer").fetchall() == [("hemi", "evaluation-lead")]
    assert listed.stdout.splitlines()[1].split()[:5] == ["hemi", "agency", "evaluation", "enabled", "evaluation-lead"]
