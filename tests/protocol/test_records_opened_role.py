"""records.opened may say the opening officer's role in the unit (an id from the unit's seen_by), so a
family can be told which role at which unit has seen their information; a message without it still holds."""

from __future__ import annotations

import pytest

from protocol.messages import InvalidMessage, new_message


def opened(body: dict):
    return new_message("records.opened", "ma", "ccss", "BFF-2026-000123", 1, body)


def test_records_opened_carries_the_officers_role():
    message = opened({"unit": "evaluation", "opened_on": "2026-12-07", "role": "evaluator"})

    assert message.body["role"] == "evaluator"


def test_records_opened_without_a_role_is_still_a_good_message():
    message = opened({"unit": "evaluation", "opened_on": "2026-12-07"})

    assert "role" not in message.body


@pytest.mark.parametrize("role", ["", "an evaluator", 7, None])
def test_a_role_that_is_not_a_code_is_refused_with_its_field_named(role):
    with pytest.raises(InvalidMessage) as refused:
        opened({"unit": "evaluation", "opened_on": "2026-12-07", "role": role})

    assert refused.value.path == "body.role"
