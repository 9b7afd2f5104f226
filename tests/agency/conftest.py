"""The agency's tests start from a family's request already at the agency: approved and relayed by the
provider's staff, received, and fanned out into one task per unit; each unit holds at least two named records
about the family's person."""

from __future__ import annotations

import pytest

from tests.agency.desk.agency_world import agency_app, family_asks, staff_relay, unit_adds_own_record


@pytest.fixture
async def world(seeded_url, tmp_path):
    """The agency desk on its own app, with Aroha's access request received by both units (today: TODAY).
    Besides what the demo's reports brought, the evaluation unit holds its evaluator's interview notes about
    her, added from its own systems (the reports bring it only her consent form by name)."""
    made = agency_app(seeded_url, tmp_path)
    await unit_adds_own_record(made, "evaluation")
    await family_asks(made)
    await staff_relay(made)
    yield made
    await made.engine.dispose()
