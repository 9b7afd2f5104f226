"""Fixtures for the desk tests: a fake clock, a fake staff store, the tiny desk app, a browser."""

from __future__ import annotations

import pytest

from tests.deskkit.desk_app import Clock, FakeStaffStore, browser, build_app


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store() -> FakeStaffStore:
    return FakeStaffStore()


@pytest.fixture
def desk_app(clock, store):
    return build_app(clock, store)


@pytest.fixture
async def client(desk_app):
    async with browser(desk_app[0]) as c:
        yield c
