"""The agency's part of a request: one task for each of its units whose purpose is in scope.

When a request reaches the agency, it is split into one task per unit (for Best foot forward: the
evaluation team and the service delivery reporting team), because information held for one purpose is
answered by the unit that holds it, and never mixed. An officer of the unit claims the task, answers it,
or gives it back. The provider's request is answered only when every task is (`request_is_answered`).

How to read the table below: each row is one step. `source` lists where a task may be when the step is
taken, `dest` where it is after, `roles` who may take it, `guards` the conditions that must hold.
Run `python -m protocol.tasks` to print a diagram of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from protocol.statemachine import Guard, IllegalMove, Move, Refusal, Role, StateMachine, guard

__all__ = [
    "TASK_STATES", "TASK_TRANSITIONS", "TASK_TERMINAL_STATES", "TASK_GUARDS", "OPEN_TASK_STATES", "Role", "Refusal",
    "IllegalMove", "TaskIllegalMove", "Move", "fire_task", "may_task", "allowed_task_triggers",
    "task_is_open", "task_mermaid", "request_is_answered",
]  # fmt: skip

TASK_STATES: dict[str, str] = {
    "open": "Waiting for an officer of the unit to take it.",
    "claimed": "An officer of the unit is working on it.",
    "answered": "The unit has given its answer for its part of the request.",
    "withdrawn": "No longer needed: the family withdrew the request, or it went to another agency.",
}

# Nothing more happens to a task in these states.
TASK_TERMINAL_STATES = frozenset({"answered", "withdrawn"})
# A unit still owes its part: nobody has taken it yet, or an officer is working on it.
OPEN_TASK_STATES = ("open", "claimed")

TASK_GUARDS: dict[str, Guard] = {}


@guard(TASK_GUARDS, "officer")
def officer_named(context: Mapping[str, Any]) -> str | None:
    """A claim says who holds the task, so the family can later be told who saw their information."""
    if not _text(context.get("officer")):
        return "To claim a task, say which officer is taking it."
    return None


@guard(TASK_GUARDS, "officer", "claimed_by")
def answered_by_claimer(context: Mapping[str, Any]) -> str | None:
    """Only the officer holding the task answers it, so one person stands behind each answer."""
    officer, claimed_by = context.get("officer"), context.get("claimed_by")
    if not _text(officer):
        return "To answer a task, say which officer is answering it."
    if not _text(claimed_by):
        return "To answer a task, say who claimed it (claimed_by)."
    if officer != claimed_by:
        return "Only the officer who claimed this task may answer it; claim it first."
    return None


TASK_TRANSITIONS: tuple[Mapping[str, Any], ...] = tuple(
    MappingProxyType(row)
    for row in (
        {
            "trigger": "claim",
            "source": ("open",),
            "dest": "claimed",
            "roles": (Role.OFFICER,),
            "guards": ("officer_named",),
            "action": "claim a task",
            "description": "An officer of the unit takes the task to work on.",
        },
        {
            "trigger": "unclaim",
            "source": ("claimed",),
            "dest": "open",
            # Any officer of the unit may give a task back, e.g. when the one who claimed it is away.
            "roles": (Role.OFFICER,),
            "guards": (),
            "action": "give back a task",
            "description": "The task goes back to the unit's queue for someone else to take.",
        },
        {
            "trigger": "answer",
            "source": ("claimed",),
            "dest": "answered",
            "roles": (Role.OFFICER,),
            "guards": ("answered_by_claimer",),
            "action": "answer a task",
            "description": "The officer who claimed the task gives the unit's answer.",
        },
        {
            "trigger": "cancel",
            "source": ("open", "claimed"),
            "dest": "withdrawn",
            "roles": (Role.SYSTEM,),
            "guards": (),
            "action": "cancel a task",
            "description": "The request was withdrawn or transferred, so the unit need not answer.",
        },
    )
)

_TASK = StateMachine(
    noun="task",
    states=TASK_STATES,
    transitions=TASK_TRANSITIONS,
    guards=TASK_GUARDS,
    initial="open",
    terminal=TASK_TERMINAL_STATES,
)

# A refused task move is the same kind of error as a refused request move.
TaskIllegalMove = IllegalMove


def fire_task(state: str, trigger: str, role: str, **context: Any) -> Move:
    """The move `role` makes by firing `trigger` on a task in `state`; raises IllegalMove saying why not."""
    return _TASK.fire(state, trigger, role, **context)


def may_task(state: str, trigger: str, role: str, **context: Any) -> bool:
    """Whether `fire_task` with the same arguments would succeed."""
    return _TASK.may(state, trigger, role, **context)


def allowed_task_triggers(state: str, role: str) -> list[str]:
    """The triggers `role` may fire on a task in `state` now, in table order (guards not checked)."""
    return _TASK.allowed_triggers(state, role)


def task_is_open(state: str) -> bool:
    """Whether a task in `state` still needs something done."""
    return _TASK.is_open(state)


def task_mermaid() -> str:
    """A Mermaid stateDiagram-v2 of the task lifecycle, drawn from the table."""
    return _TASK.mermaid()


def request_is_answered(task_states: Iterable[str]) -> bool:
    """Whether the agency has finished: at least one task answered, and none still open or claimed."""
    # A withdrawn task needs no answer, but a request whose tasks were all withdrawn has no answer to give.
    states = list(task_states)
    unknown = [s for s in states if s not in TASK_STATES]
    if unknown:
        raise ValueError(f"Not task states: {', '.join(map(repr, unknown))}.")
    needed = [s for s in states if s != "withdrawn"]
    return bool(needed) and all(s == "answered" for s in needed)


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


if __name__ == "__main__":
    print(task_mermaid(), end="")
