"""Every number a desk address carries, at sizes no table holds (issue 17, item 6): each route of both desks
with a whole-number path or query parameter (or a page link that carries an id) is called with ids past
INTEGER, past BIGINT and far past both, on SQLite and PostgreSQL, and answers as for an id that does not
exist: never a server error (an OverflowError from the database driver was a 500)."""

from __future__ import annotations

import types
import typing

import pytest
import pytest_asyncio
from fastapi.routing import APIRoute, iter_route_contexts
from sqlmodel import select

from agency.desk.deps import DESK as AGENCY_DESK
from bot.models import Person, Request
from deskkit.throttle import RateLimit
from tests.security.hostile_support import HTML

pytestmark = pytest.mark.asyncio(loop_scope="module")

HUGE = [2**31, 2**63 - 1, 2**63, 10**30]
# Page links hold an id after the day ("2026-12-01.42"), or say whether they have a day ("d.…", "n.…").
LINKS = ["2026-12-01.{}", "d.2026-12-01.{}", "n.{}"]
# Text parameters that are numbers all the same: page numbers and the people list's "before" mark.
NUMBERS_IN_TEXT = {"page", "before", "limit"}
# What a refusal or a found-nothing may be; a 500 is never one, and a 403 or 429 would mean the id went untried.
ANSWERS = {200, 303, 400, 404, 409, 422}


def _params(dependant) -> typing.Iterator[tuple[str, typing.Any]]:
    yield from (("path", p) for p in dependant.path_params)
    yield from (("query", p) for p in dependant.query_params)
    for inner in dependant.dependencies:
        yield from _params(inner)


def _is_int(annotation) -> bool:
    if annotation is int:
        return True
    return isinstance(annotation, types.UnionType | typing._UnionGenericAlias) and int in typing.get_args(annotation)


def numbered_routes(app) -> list[tuple[str, APIRoute, list[tuple[str, str, bool]]]]:
    """(method, route, [(where, name, is a whole number)]) for each desk route with a number in its address."""
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.route
        if not isinstance(route, APIRoute) or not route.path.startswith(("/provider/", "/agency/")):
            continue
        params = [(where, p.name, _is_int(p.field_info.annotation)) for where, p in _params(route.dependant)]
        if any(is_int or name in NUMBERS_IN_TEXT or name == "after" for _, name, is_int in params):
            found += [(method, route, params) for method in sorted(route.methods - {"HEAD"})]
    return found


def _address(route: APIRoute, params, huge: int, link: str, refs: dict[str, str]) -> tuple[str, dict[str, str]]:
    path, query = {}, {}
    for where, name, is_int in params:
        if where == "path":
            path[name] = str(huge) if is_int else refs["person" if "/people/" in route.path else "request"]
        elif is_int or name in NUMBERS_IN_TEXT:
            query[name] = str(huge)
        elif name == "after":
            query[name] = link.format(huge)
    return route.path_format.format(**path), query


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def refs(tono) -> dict[str, str]:
    """A real person's and request's reference, so an id in the same address is the only thing not found."""
    async with tono.state.sessions() as session:
        person = (await session.exec(select(Person.ref).order_by(Person.id))).first()
        request = (await session.exec(select(Request.ref).order_by(Request.id))).first()
    return {"person": person, "request": request or "BFF-2026-000001"}


async def test_every_desk_route_with_a_number_in_its_address_walked_with_huge_ids_is_never_a_server_error(
        tono, desks, refs, monkeypatch):
    # Only the ids are under test here: one login's 60 forms a minute would turn the later ones away untried.
    for desk in (tono.state.provider_desk, getattr(tono.state, AGENCY_DESK)):
        monkeypatch.setattr(desk, "form_rate", RateLimit(100_000, 60))
    routes = numbered_routes(tono)
    answers = {}
    for method, route, params in routes:
        side = desks["provider" if route.path.startswith("/provider/") else "agency"]
        api = "/api/" in route.path
        for huge in HUGE:
            for link in LINKS if any(name == "after" for _, name, _ in params) else LINKS[:1]:
                url, query = _address(route, params, huge, link, refs)
                headers = side.bearer if api else HTML
                body = {"json": {}} if api and method == "POST" else {"data": {"csrf": side.csrf}}
                try:
                    answer = (await side.client.request(method, url, params=query, headers=headers,
                                                        **(body if method == "POST" else {}))).status_code
                except Exception as error:  # what the server would have turned into a 500
                    answer = f"{type(error).__name__}: {str(error)[:120]}"
                answers[(method, url, tuple(sorted(query.items())))] = answer

    wrong = {call: status for call, status in answers.items() if status not in ANSWERS}
    assert not wrong, "\n".join(f"{call}: {status}" for call, status in wrong.items())
    ids_in_paths = {route.path for _, route, params in routes if any(w == "path" and i for w, _, i in params)}
    assert len(ids_in_paths) >= 20  # both desks' tasks, tokens, contacts and authorities: the walk found them
