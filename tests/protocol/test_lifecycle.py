"""The request lifecycle: the table, every (role, state, trigger), the guards' sentences, and its diagram."""

from __future__ import annotations

import dataclasses
import itertools
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from transitions.extensions.diagrams import GraphMachine

from protocol import deadlines, lifecycle
from protocol.lifecycle import (
    STATES,
    TERMINAL_STATES,
    TRANSITIONS,
    IllegalMove,
    Refusal,
    RequestKind,
    Role,
    allowed_triggers,
    family_may_withdraw,
    fire,
    is_open,
    may,
    mermaid,
)

ROWS = {row["trigger"]: row for row in TRANSITIONS}
TRIGGERS = list(ROWS)
RECEIVED = date(2027, 3, 1)  # a Monday; its 20 working days end on Wednesday 31 March 2027

# A context that satisfies each guarded trigger's guards.
VALID = {
    "approve": {"identity_checked": "id_seen"},
    "acknowledge": {"received_on": RECEIVED, "due": deadlines.decision_due(RECEIVED)},
    "complete": {"task_states": ("answered", "withdrawn", "answered")},
    "ask_clarification": {"question": "Which years of the programme do you mean?"},
    "answer_clarification": {"answer": "2025 and 2026."},
    "extend": {
        "ground": "consultations",
        "received_on": RECEIVED,
        "notified_on": RECEIVED + timedelta(days=7),
        "new_due": deadlines.add_working_days(deadlines.decision_due(RECEIVED), 10),
    },
    "transfer": {"agency": "Another Agency", "received_on": RECEIVED, "transferred_on": date(2027, 3, 4)},
    "decline": {"reason": "We could not confirm that you may act for this child."},
    "prepare_locally": {"scope": "provider"},
}

# The lifecycle as the brief and DESIGN §3.2 state it, written out independently of the module's table.
AGREED = {
    "submit": ({"draft"}, "submitted", {"family"}),
    "approve": ({"submitted"}, "approved", {"staff"}),
    "relay": ({"approved"}, "relayed", {"staff", "system"}),
    "acknowledge": ({"relayed"}, "received", {"system"}),
    "complete": ({"received"}, "answered", {"system"}),
    "prepare_locally": ({"approved"}, "preparing", {"staff"}),
    "prepare": ({"answered"}, "preparing", {"staff"}),
    "deliver": ({"preparing"}, "delivered", {"staff"}),
    "close": ({"delivered"}, "closed", {"system", "staff", "family"}),
    "ask_clarification": ({"received"}, "clarifying", {"officer"}),
    "answer_clarification": ({"clarifying"}, "received", {"family"}),
    "extend": ({"received"}, "received", {"officer"}),
    "transfer": ({"received"}, "transferred", {"officer"}),
    "withdraw": (
        {"draft", "submitted", "approved", "relayed", "received", "clarifying", "answered", "preparing"},
        "withdrawn",
        {"family"},
    ),
    "decline": ({"submitted"}, "declined", {"staff"}),
}


def _table_allows(state: str, trigger: str, role: Role) -> bool:
    return state in ROWS[trigger]["source"] and role in ROWS[trigger]["roles"]


EVERY_MOVE = list(itertools.product(STATES, TRIGGERS, Role))
ALLOWED = [m for m in EVERY_MOVE if _table_allows(*m)]
FORBIDDEN = [m for m in EVERY_MOVE if not _table_allows(*m)]


# ---- the table ----


def test_the_table_is_the_lifecycle_both_organisations_agreed():
    table = {t: (set(row["source"]), row["dest"], {str(r) for r in row["roles"]}) for t, row in ROWS.items()}

    assert table == AGREED


def test_every_state_and_every_step_has_a_plain_description():
    assert list(STATES)[0] == "draft"
    assert all(text.strip() for text in STATES.values())
    assert all(row["description"].strip() and row["action"].strip() for row in TRANSITIONS)


def test_the_final_states_are_closed_transferred_withdrawn_and_declined():
    final = {"closed", "transferred", "withdrawn", "declined"}

    assert final == TERMINAL_STATES


# ---- every (state, trigger, role) ----


@pytest.mark.parametrize(("state", "trigger", "role"), ALLOWED)
def test_every_move_the_table_allows_is_made(state, trigger, role):
    context = VALID.get(trigger, {})

    move = fire(state, trigger, role, **context)

    assert (move.trigger, move.source, move.dest, move.role) == (trigger, state, ROWS[trigger]["dest"], role)
    assert may(state, trigger, role, **context)


@pytest.mark.parametrize(("state", "trigger", "role"), FORBIDDEN)
def test_every_move_the_table_does_not_allow_is_refused_with_its_reason(state, trigger, role):
    expected = Refusal.WRONG_ROLE if role not in ROWS[trigger]["roles"] else Refusal.WRONG_STATE

    with pytest.raises(IllegalMove) as refused:
        fire(state, trigger, role, **VALID.get(trigger, {}))

    assert refused.value.refusal == expected
    assert (refused.value.state, refused.value.trigger, refused.value.role) == (state, trigger, role)
    assert not may(state, trigger, role, **VALID.get(trigger, {}))


@pytest.mark.parametrize(("state", "role"), list(itertools.product(STATES, Role)))
def test_allowed_triggers_are_exactly_the_table_rows_for_that_state_and_role_in_table_order(state, role):
    expected = [t for t in TRIGGERS if _table_allows(state, t, role)]

    found = allowed_triggers(state, role)

    assert found == expected


def test_an_unknown_step_is_refused_by_name():
    with pytest.raises(IllegalMove) as refused:
        fire("submitted", "fast_track", "staff")

    assert refused.value.refusal == Refusal.UNKNOWN_TRIGGER
    assert str(refused.value).startswith("There is no step called 'fast_track' for a request;")


def test_the_family_is_told_that_only_staff_may_approve():
    with pytest.raises(IllegalMove) as refused:
        fire("submitted", "approve", "family", identity_checked="id_seen")

    assert str(refused.value) == "Only staff may approve a request."


def test_a_step_several_roles_may_take_names_them_all():
    with pytest.raises(IllegalMove) as refused:
        fire("approved", "relay", "officer")

    assert str(refused.value) == "Only staff or the system may relay a request."


def test_staff_are_told_a_relayed_request_cannot_be_approved_and_from_where_it_can():
    with pytest.raises(IllegalMove) as refused:
        fire("relayed", "approve", "staff", identity_checked="id_seen")

    assert str(refused.value) == (
        "Staff cannot approve a request that is 'relayed'; only one that is 'submitted'."
    )


def test_the_role_is_checked_before_the_state():
    with pytest.raises(IllegalMove) as refused:
        fire("relayed", "approve", "family")

    assert refused.value.refusal == Refusal.WRONG_ROLE


def test_unknown_states_roles_and_kinds_are_programming_errors_not_illegal_moves():
    with pytest.raises(ValueError, match="'lost' is not a state of a request"):
        fire("lost", "submit", "family")
    with pytest.raises(ValueError, match="'visitor' is not a role"):
        allowed_triggers("draft", "visitor")
    with pytest.raises(ValueError, match="'complaint' is not a kind of request"):
        allowed_triggers("draft", "family", kind="complaint")
    with pytest.raises(ValueError, match="'complaint' is not a kind of request"):
        fire("draft", "submit", "family", kind="complaint")


@pytest.mark.parametrize("state", list(STATES))
def test_access_and_correction_requests_take_the_same_steps(state):
    for role in Role:
        assert allowed_triggers(state, role, kind=RequestKind.ACCESS) == allowed_triggers(
            state, role, kind=RequestKind.CORRECTION
        )


# ---- the guards ----

MISSING = object()

WHERE_RECEIVED = "To transfer, give the day the request was received"
GUARD_FAILURES = [
    ("approved", "prepare_locally", {"scope": "both"}, "Only a request about the provider's own records"),
    ("submitted", "approve", {"identity_checked": MISSING},
     "To approve, say how identity and authority were checked: known_in_person, id_seen or phone_call."),
    ("submitted", "approve", {"identity_checked": "looked_trustworthy"}, "To approve, say how identity"),
    ("relayed", "acknowledge", {"due": MISSING}, "To acknowledge, give the day the agency got the request"),
    ("relayed", "acknowledge", {"due": datetime(2027, 3, 31, 9)}, "To acknowledge, give the day"),
    ("relayed", "acknowledge", {"due": date(2027, 4, 1)}, "20 working days after it (2027-03-31)"),
    ("relayed", "acknowledge", {"due": RECEIVED}, "The due date must be after the day the request was"),
    ("received", "complete", {"task_states": MISSING}, "No unit has answered: the request has no tasks"),
    ("received", "complete", {"task_states": ["withdrawn"]}, "No unit has answered"),
    ("received", "complete", {"task_states": ["answered", "claimed", "open"]},
     "Not every unit has answered yet: 2 of 3 tasks still to answer."),
    ("received", "complete", {"task_states": "answered"}, "To complete, give the states of the request's"),
    ("received", "complete", {"task_states": ["done"]}, "To complete, give the states of the request's"),
    ("received", "ask_clarification", {"question": "   "}, "To ask for clarification, write the question"),
    ("clarifying", "answer_clarification", {"answer": MISSING}, "To answer the agency's question, write"),
    ("received", "extend", {"ground": MISSING}, "To extend, give the ground (large_quantity, consultations"),
    ("received", "extend", {"new_due": "2027-04-14"}, "To extend, give the ground"),
    ("received", "extend", {"ground": "holidays"}, "'holidays' is not a ground for extending the time limit"),
    ("received", "extend", {"notified_on": date(2027, 4, 1)}, "Notice of an extension had to be given by"),
    ("received", "extend", {"new_due": date(2027, 3, 31)}, "must be after the original due date"),
    ("received", "transfer", {"agency": ""}, "To transfer, name the agency the request goes to."),
    ("received", "transfer", {"transferred_on": MISSING}, WHERE_RECEIVED),
    ("received", "transfer", {"transferred_on": date(2027, 3, 16)},
     "only within 10 working days of its receipt, from 2027-03-01 to 2027-03-15; 2027-03-16 is outside"),
    ("received", "transfer", {"transferred_on": date(2027, 2, 26)}, "2027-02-26 is outside that."),
    ("submitted", "decline", {"reason": MISSING}, "To decline, write the reason the family will be told."),
]  # fmt: skip


@pytest.mark.parametrize(("state", "trigger", "change", "sentence"), GUARD_FAILURES)
def test_a_guard_that_is_not_met_says_why(state, trigger, change, sentence):
    context = {key: value for key, value in {**VALID[trigger], **change}.items() if value is not MISSING}
    role = ROWS[trigger]["roles"][0]

    with pytest.raises(IllegalMove) as refused:
        fire(state, trigger, role, **context)

    assert refused.value.refusal == Refusal.GUARD_FAILED
    assert refused.value.guard in ROWS[trigger]["guards"]
    assert sentence in str(refused.value)
    assert not may(state, trigger, role, **context)


def test_every_guard_has_a_failing_case_above():
    tested = {trigger for _, trigger, _, _ in GUARD_FAILURES}

    assert tested == {t for t, row in ROWS.items() if row["guards"]}


def test_a_move_records_only_the_facts_its_guards_rest_on_read_only():
    move = fire("submitted", "approve", "staff", identity_checked="known_in_person", note="met at the hui")

    assert dict(move.context) == {"identity_checked": "known_in_person"}
    with pytest.raises(TypeError):
        move.context["identity_checked"] = "id_seen"  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        move.dest = "closed"  # type: ignore[misc]


def test_task_states_given_as_a_generator_are_checked_and_recorded_whole():
    move = fire("received", "complete", "system", task_states=(s for s in ["answered", "answered"]))

    assert move.context["task_states"] == ("answered", "answered")


# ---- journeys and conveniences ----


def test_a_request_can_go_from_draft_to_closed_along_the_main_path():
    steps = [
        ("submit", "family"), ("approve", "staff"), ("relay", "system"), ("acknowledge", "system"),
        ("ask_clarification", "officer"), ("answer_clarification", "family"), ("extend", "officer"),
        ("complete", "system"), ("prepare", "staff"), ("deliver", "staff"), ("close", "family"),
    ]  # fmt: skip
    state, visited = "draft", []

    for trigger, role in steps:
        state = fire(state, trigger, role, **VALID.get(trigger, {})).dest
        visited.append(state)

    assert visited == [
        "submitted", "approved", "relayed", "received", "clarifying", "received", "received",
        "answered", "preparing", "delivered", "closed",
    ]  # fmt: skip


@pytest.mark.parametrize("state", list(STATES))
def test_the_family_may_withdraw_only_before_delivery(state):
    before_delivery = state in AGREED["withdraw"][0]

    assert family_may_withdraw(state) is before_delivery


@pytest.mark.parametrize("state", list(STATES))
def test_a_request_is_open_until_it_reaches_a_final_state(state):
    assert is_open(state) is (state not in TERMINAL_STATES)


def test_neither_a_move_nor_a_refusal_leaves_anything_behind_in_the_shared_machine():
    fire("draft", "submit", "family")

    with pytest.raises(IllegalMove):
        fire("submitted", "approve", "staff")

    assert lifecycle._REQUEST._machine.models == []


def test_many_threads_can_fire_at_once_and_each_gets_its_own_answer():
    jobs = [("submitted", "approve", "staff", VALID["approve"]), ("draft", "submit", "family", {})] * 200

    with ThreadPoolExecutor(max_workers=8) as pool:
        dests = list(pool.map(lambda job: fire(job[0], job[1], job[2], **job[3]).dest, jobs))

    assert dests == ["approved", "submitted"] * 200


# ---- properties ----

CONTEXT_KEYS = sorted({key for context in VALID.values() for key in context})
ODD_VALUES = st.one_of(
    st.none(),
    st.text(max_size=8),
    st.integers(),
    st.dates(min_value=date(2023, 1, 1), max_value=date(2040, 12, 31)),
    st.datetimes(min_value=datetime(2023, 1, 1), max_value=datetime(2040, 12, 31)),
    st.lists(st.sampled_from(["open", "claimed", "answered", "withdrawn"]), max_size=4),
    st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
)
CONTEXTS = st.one_of(
    st.sampled_from(list(VALID.values())),
    st.dictionaries(st.sampled_from(CONTEXT_KEYS), ODD_VALUES, max_size=3),
)


ANYONE = st.tuples(st.sampled_from(list(Role)), st.sampled_from([*TRIGGERS, "reopen"]))
# Strategies are built once, not once a step: building a fresh one_of/sampled_from at every step of a
# 25-step walk made Hypothesis spend most of its time preparing strategies inside draws, which its
# too_slow health check then (rightly) reported on a loaded machine.
MOVES = {
    state: st.one_of(st.sampled_from(legal), ANYONE) if legal else ANYONE
    for state in STATES
    for legal in [[(role, trigger) for role in Role for trigger in allowed_triggers(state, role)]]
}
CONTEXT_FOR = {trigger: st.one_of(st.just(VALID.get(trigger, {})), CONTEXTS) for trigger in [*TRIGGERS, "reopen"]}


@given(start=st.sampled_from(list(STATES)), data=st.data())
def test_random_moves_only_ever_follow_the_table_and_a_refusal_changes_nothing(start, data):
    state = start

    for _ in range(data.draw(st.integers(0, 25), label="steps")):
        # Half the time someone takes a step the table allows now, so that long legal walks are explored.
        role, trigger = data.draw(MOVES[state], label="move")
        context = data.draw(CONTEXT_FOR[trigger], label="context")
        allowed_before = allowed_triggers(state, role)
        try:
            move = fire(state, trigger, role, **context)
        except IllegalMove:
            assert not may(state, trigger, role, **context)
            assert allowed_triggers(state, role) == allowed_before
            continue
        assert _table_allows(state, trigger, role)
        assert move.source == state and move.dest == ROWS[trigger]["dest"] and move.dest in STATES
        assert may(state, trigger, role, **context)
        state = move.dest

    assert state in STATES


@given(state=st.sampled_from(sorted(TERMINAL_STATES)), role=st.sampled_from(list(Role)), context=CONTEXTS)
def test_nobody_can_move_a_request_out_of_a_final_state(state, role, context):
    assert allowed_triggers(state, role) == []
    for trigger in TRIGGERS:
        with pytest.raises(IllegalMove):
            fire(state, trigger, role, **context)


# ---- the diagram ----

EDGE = re.compile(r"^\s*(\w+) --> (\w+): (.+)$")


def test_the_diagram_shows_every_state_and_every_step_with_who_takes_it():
    text = mermaid()

    assert text.startswith("stateDiagram-v2\n")
    assert all(re.search(rf"\b{state}\b", text) for state in STATES)
    assert all(f": {t} ({', '.join(row['roles'])})" in text for t, row in ROWS.items())
    assert "[*] --> draft" in text and all(f"{state} --> [*]" in text for state in TERMINAL_STATES)


def test_the_diagram_is_the_same_every_time():
    assert mermaid() == mermaid()


def test_the_diagram_has_the_same_edges_as_the_one_transitions_draws():
    class Request:
        pass

    drawn_by_transitions = GraphMachine(
        model=Request(),
        states=list(STATES),
        transitions=[{"trigger": t, "source": list(r["source"]), "dest": r["dest"]} for t, r in ROWS.items()],
        initial="draft",
        auto_transitions=False,
        graph_engine="mermaid",
    ).models[0].get_graph().source

    def edges(text, split):
        found = set()
        for match in filter(None, map(EDGE.match, text.splitlines())):
            found |= {(match[1], match[2], label.split(" (")[0]) for label in match[3].split(split)}
        return found

    assert edges(mermaid(), "\n") == edges(drawn_by_transitions, " | ")


def test_running_the_module_prints_the_diagram():
    root = Path(__file__).resolve().parents[2]

    done = subprocess.run(
        [sys.executable, "-m", "protocol.lifecycle"], cwd=root, capture_output=True, text=True, check=True
    )

    assert done.stdout == mermaid()
