"""The agency's per-unit tasks: the table, every move, the guards, and when a request is answered."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocol.lifecycle import fire
from protocol.tasks import (
    TASK_STATES,
    TASK_TERMINAL_STATES,
    TASK_TRANSITIONS,
    Refusal,
    Role,
    TaskIllegalMove,
    allowed_task_triggers,
    fire_task,
    may_task,
    request_is_answered,
    task_is_open,
    task_mermaid,
)

ROWS = {row["trigger"]: row for row in TASK_TRANSITIONS}
TRIGGERS = list(ROWS)
VALID = {"claim": {"officer": "ana"}, "answer": {"officer": "ana", "claimed_by": "ana"}}

AGREED = {
    "claim": ({"open"}, "claimed", {"officer"}),
    "unclaim": ({"claimed"}, "open", {"officer"}),
    "answer": ({"claimed"}, "answered", {"officer"}),
    "cancel": ({"open", "claimed"}, "withdrawn", {"system"}),
}


def _table_allows(state: str, trigger: str, role: Role) -> bool:
    return state in ROWS[trigger]["source"] and role in ROWS[trigger]["roles"]


EVERY_MOVE = list(itertools.product(TASK_STATES, TRIGGERS, Role))
ALLOWED = [m for m in EVERY_MOVE if _table_allows(*m)]
FORBIDDEN = [m for m in EVERY_MOVE if not _table_allows(*m)]


def test_the_task_table_is_the_one_both_organisations_agreed():
    table = {t: (set(row["source"]), row["dest"], {str(r) for r in row["roles"]}) for t, row in ROWS.items()}

    assert table == AGREED


def test_a_task_is_finished_once_answered_or_withdrawn():
    final = {"answered", "withdrawn"}

    assert final == TASK_TERMINAL_STATES
    assert [task_is_open(s) for s in TASK_STATES] == [True, True, False, False]


@pytest.mark.parametrize(("state", "trigger", "role"), ALLOWED)
def test_every_task_move_the_table_allows_is_made(state, trigger, role):
    context = VALID.get(trigger, {})

    move = fire_task(state, trigger, role, **context)

    assert (move.trigger, move.source, move.dest, move.role) == (trigger, state, ROWS[trigger]["dest"], role)
    assert may_task(state, trigger, role, **context)


@pytest.mark.parametrize(("state", "trigger", "role"), FORBIDDEN)
def test_every_task_move_the_table_does_not_allow_is_refused_with_its_reason(state, trigger, role):
    expected = Refusal.WRONG_ROLE if role not in ROWS[trigger]["roles"] else Refusal.WRONG_STATE

    with pytest.raises(TaskIllegalMove) as refused:
        fire_task(state, trigger, role, **VALID.get(trigger, {}))

    assert refused.value.refusal == expected
    assert not may_task(state, trigger, role, **VALID.get(trigger, {}))


@pytest.mark.parametrize(("state", "role"), list(itertools.product(TASK_STATES, Role)))
def test_allowed_task_triggers_are_exactly_the_table_rows_in_table_order(state, role):
    expected = [t for t in TRIGGERS if _table_allows(state, t, role)]

    found = allowed_task_triggers(state, role)

    assert found == expected


def test_an_officer_is_told_an_answered_task_cannot_be_claimed():
    with pytest.raises(TaskIllegalMove) as refused:
        fire_task("answered", "claim", "officer", officer="ana")

    assert str(refused.value) == (
        "An agency officer cannot claim a task that is 'answered'; only one that is 'open'."
    )


def test_only_the_system_cancels_a_task():
    with pytest.raises(TaskIllegalMove) as refused:
        fire_task("open", "cancel", "officer")

    assert str(refused.value) == "Only the system may cancel a task."


def test_a_task_step_that_does_not_exist_is_refused_by_name():
    with pytest.raises(TaskIllegalMove) as refused:
        fire_task("open", "approve", "officer")

    assert refused.value.refusal == Refusal.UNKNOWN_TRIGGER
    assert "no step called 'approve' for a task" in str(refused.value)


@pytest.mark.parametrize(
    ("state", "trigger", "context", "sentence"),
    [
        ("open", "claim", {}, "To claim a task, say which officer is taking it."),
        ("open", "claim", {"officer": " "}, "To claim a task, say which officer is taking it."),
        ("claimed", "answer", {"claimed_by": "ana"}, "To answer a task, say which officer is answering it."),
        ("claimed", "answer", {"officer": "ana"}, "To answer a task, say who claimed it (claimed_by)."),
        ("claimed", "answer", {"officer": "rewi", "claimed_by": "ana"},
         "Only the officer who claimed this task may answer it; claim it first."),
    ],
)  # fmt: skip
def test_a_task_guard_that_is_not_met_says_why(state, trigger, context, sentence):
    with pytest.raises(TaskIllegalMove) as refused:
        fire_task(state, trigger, "officer", **context)

    assert refused.value.refusal == Refusal.GUARD_FAILED
    assert str(refused.value) == sentence


def test_a_claim_records_who_holds_the_task():
    move = fire_task("open", "claim", "officer", officer="ana", unit="evaluation")

    assert dict(move.context) == {"officer": "ana"}


def test_any_officer_of_the_unit_may_give_a_claimed_task_back():
    move = fire_task("claimed", "unclaim", "officer")

    assert move.dest == "open"


# ---- when the request is answered ----


@pytest.mark.parametrize(
    ("task_states", "answered"),
    [
        ([], False),
        (["answered"], True),
        (["answered", "answered"], True),
        (["answered", "withdrawn"], True),
        (["withdrawn"], False),
        (["withdrawn", "withdrawn"], False),
        (["answered", "open"], False),
        (["answered", "claimed"], False),
        (["open", "withdrawn"], False),
    ],
)
def test_a_request_is_answered_when_every_task_that_is_still_needed_is_answered(task_states, answered):
    assert request_is_answered(task_states) is answered
    assert request_is_answered(iter(task_states)) is answered


def test_an_unknown_task_state_is_a_programming_error():
    with pytest.raises(ValueError, match="'done'"):
        request_is_answered(["answered", "done"])


@given(st.lists(st.sampled_from(list(TASK_STATES)), max_size=6))
def test_a_request_is_answered_exactly_when_some_task_is_answered_and_none_is_open_or_claimed(task_states):
    expected = "answered" in task_states and not {"open", "claimed"} & set(task_states)

    assert request_is_answered(task_states) is expected


@given(st.lists(st.sampled_from(list(TASK_STATES)), max_size=6))
def test_the_request_can_be_completed_exactly_when_its_tasks_say_it_is_answered(task_states):
    answered = request_is_answered(task_states)

    try:
        fire("received", "complete", "system", task_states=task_states)
        completed = True
    except TaskIllegalMove:
        completed = False

    assert completed is answered


# ---- properties ----

CONTEXTS = st.one_of(
    st.sampled_from(list(VALID.values())),
    st.dictionaries(st.sampled_from(["officer", "claimed_by"]), st.sampled_from(["ana", "rewi", "", None])),
)


@given(start=st.sampled_from(list(TASK_STATES)), data=st.data())
def test_random_task_moves_only_ever_follow_the_table_and_a_refusal_changes_nothing(start, data):
    state = start

    for _ in range(data.draw(st.integers(0, 25), label="steps")):
        legal = [(role, trigger) for role in Role for trigger in allowed_task_triggers(state, role)]
        anyone = st.tuples(st.sampled_from(list(Role)), st.sampled_from([*TRIGGERS, "reopen"]))
        moves = st.one_of(st.sampled_from(legal), anyone) if legal else anyone
        role, trigger = data.draw(moves, label="move")
        context = data.draw(CONTEXTS, label="context")
        allowed_before = allowed_task_triggers(state, role)
        try:
            move = fire_task(state, trigger, role, **context)
        except TaskIllegalMove:
            assert not may_task(state, trigger, role, **context)
            assert allowed_task_triggers(state, role) == allowed_before
            continue
        assert _table_allows(state, trigger, role)
        assert move.source == state and move.dest == ROWS[trigger]["dest"] and move.dest in TASK_STATES
        state = move.dest

    assert state in TASK_STATES


@given(state=st.sampled_from(sorted(TASK_TERMINAL_STATES)), role=st.sampled_from(Role), context=CONTEXTS)
def test_nobody_can_move_a_task_out_of_a_final_state(state, role, context):
    assert allowed_task_triggers(state, role) == []
    for trigger in TRIGGERS:
        with pytest.raises(TaskIllegalMove):
            fire_task(state, trigger, role, **context)


# ---- the diagram ----


def test_the_task_diagram_shows_every_state_and_step_and_is_the_same_every_time():
    text = task_mermaid()

    assert text.startswith("stateDiagram-v2\n") and text == task_mermaid()
    assert all(re.search(rf"\b{state}\b", text) for state in TASK_STATES)
    assert all(f": {trigger} (" in text for trigger in TRIGGERS)
    assert "open --> withdrawn: cancel (system)" in text and "claimed --> withdrawn: cancel (system)" in text


def test_running_the_tasks_module_prints_its_diagram():
    root = Path(__file__).resolve().parents[2]

    done = subprocess.run(
        [sys.executable, "-m", "protocol.tasks"], cwd=root, capture_output=True, text=True, check=True
    )

    assert done.stdout == task_mermaid()
