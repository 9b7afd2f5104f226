"""The agency's tests start from a family's request already at the agency: approved and relayed by the
provider's staff, received, and fanned out into one task per unit."""

from __future__ import annotations

import pytest

from tests.agency.desk.agency_world import agency_app, family_asks, staff_relay


@pytest.fixture
async def world(seeded_url, tmp_path):
    """The agency desk on its own app, with Aroha's access request received by both units (today: TODAY)."""
    made = agency_app(seeded_url, tmp_path)
    await family_asks(made)
    await staff_relay(made)
    yield made
    await made.engine.dispose()
