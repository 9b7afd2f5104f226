"""Multi-step actions declared as one table: what each step takes, how it is done, and an unknown step."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from deskkit.problems import DeskProblem
from deskkit.steps import Step, Steps


class Reason(BaseModel):
    reason: str


async def approve(case: dict, data: None) -> str:
    case["state"] = "approved"
    return "Approved."


async def decline(case: dict, data: Reason) -> str:
    case["state"] = "declined"
    return f"Declined: {data.reason}."


STEPS = Steps({"approve": Step(approve), "decline": Step(decline, Reason)}, unknown="There is no step '{name}'.")


async def test_a_step_is_found_by_name_and_does_what_it_says():
    case = {"state": "submitted"}

    done = await STEPS.step("decline").run(case, Reason(reason="not ours"))

    assert (done, case["state"]) == ("Declined: not ours.", "declined")


def test_a_step_that_takes_nothing_reads_no_input():
    assert STEPS.input_of("approve", lambda takes: pytest.fail("nothing to read")) is None


def test_a_step_reads_its_input_as_its_own_shape():
    assert STEPS.input_of("decline", lambda takes: takes(reason="late")) == Reason(reason="late")


def test_an_unknown_step_is_a_404_naming_at_most_forty_characters_of_it():
    with pytest.raises(DeskProblem) as refused:
        STEPS.step("x" * 100)

    assert (refused.value.status, refused.value.sentence) == (404, f"There is no step '{'x' * 40}'.")


def test_the_table_lists_its_steps_in_the_order_declared():
    assert list(STEPS) == ["approve", "decline"] and len(STEPS) == 2 and "approve" in STEPS
