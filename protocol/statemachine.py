"""The engine the request and task lifecycles run on: a table of moves, checked by a `transitions` Machine.

Nothing here says what a request or a task is; `protocol.lifecycle` and `protocol.tasks` declare that as
tables. This module turns a table into the four questions both organisations ask:

- `fire`: make this move, or say in one sentence why not;
- `may`: would this move be allowed;
- `allowed_triggers`: which moves may this person make now (what buttons to show);
- `mermaid`: draw it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from transitions import Machine


class Role(StrEnum):
    """Who makes a move."""

    FAMILY = "family"  # the parent, caregiver or young person who asks
    STAFF = "staff"  # the provider's (CCSS) staff, at the provider desk
    OFFICER = "officer"  # an officer of the agency, at the agency desk
    SYSTEM = "system"  # Tono itself: the queue, messages from the other organisation, the deadline sweep


# How each role is named inside a sentence ("Only staff may approve a request.").
ROLE_WORDS = {
    Role.FAMILY: "the family",
    Role.STAFF: "staff",
    Role.OFFICER: "an agency officer",
    Role.SYSTEM: "the system",
}


class Refusal(StrEnum):
    """Why a move was refused, in the order the checks are made."""

    UNKNOWN_TRIGGER = "unknown_trigger"  # there is no such step
    WRONG_ROLE = "wrong_role"  # this person may never make this step
    WRONG_STATE = "wrong_state"  # not from where the request (or task) is now
    GUARD_FAILED = "guard_failed"  # a condition of the step is not met; the guard says which


class IllegalMove(Exception):
    """A move the protocol does not allow; the message is one or two plain sentences saying why."""

    def __init__(
        self, message: str, *, refusal: Refusal, state: str, trigger: str, role: str, guard: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.refusal = refusal
        self.state = state
        self.trigger = trigger
        self.role = role
        self.guard = guard


class GuardFailed(Exception):
    """Raised inside the Machine by a failing guard, so the reason survives; callers see IllegalMove."""

    def __init__(self, guard: str, reason: str) -> None:
        super().__init__(reason)
        self.guard = guard
        self.reason = reason


@dataclass(frozen=True)
class Guard:
    """A condition of a move: `check(context)` returns None when it is met, else the reason it is not."""

    name: str
    reads: tuple[str, ...]  # the context keys it looks at; a Move keeps only these
    check: Callable[[Mapping[str, Any]], str | None]


def guard(registry: dict[str, Guard], *reads: str) -> Callable[[Callable], Callable]:
    """Register a function as a guard under its own name, reading the given context keys."""

    def register(check: Callable[[Mapping[str, Any]], str | None]) -> Callable:
        registry[check.__name__] = Guard(check.__name__, reads, check)
        return check

    return register


@dataclass(frozen=True)
class Move:
    """A move that is allowed: what the event history records (who, from, to, and the facts it rests on)."""

    trigger: str
    source: str
    dest: str
    role: Role
    # Only the context its guards read (e.g. how identity was checked, the new due date), read-only.
    context: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), hash=False)


def either(words: Iterable[str]) -> str:
    """'a', 'a or b', 'a, b or c'."""
    *first, last = words
    return f"{', '.join(first)} or {last}" if first else last


def _settle(value: Any) -> Any:
    # A generator (e.g. of task states) would be used up by its guard and then recorded empty.
    if isinstance(value, Iterable) and not isinstance(value, str | bytes | Mapping):
        return tuple(value)
    return value


class _Thing:
    """A throwaway model: it holds one state for the length of one call."""

    state: str


class StateMachine:
    """One lifecycle, from its table; every method is pure (it answers, and changes nothing anywhere)."""

    def __init__(
        self,
        *,
        noun: str,
        states: Mapping[str, str],
        transitions: Sequence[Mapping[str, Any]],
        guards: Mapping[str, Guard],
        initial: str,
        terminal: frozenset[str],
    ) -> None:
        _check_table(states, transitions, guards, initial, terminal)
        self.noun = noun
        self.states = states
        self.transitions = transitions
        self.terminal = terminal
        self.initial = initial
        self._rows = {row["trigger"]: row for row in transitions}
        self._guards = guards
        self._machine = Machine(
            model=None,
            states=[{"name": name, "final": name in terminal} for name in states],
            transitions=[
                {
                    "trigger": row["trigger"],
                    "source": list(row["source"]),
                    "dest": row["dest"],
                    "conditions": [self._condition(guards[name]) for name in row["guards"]],
                }
                for row in transitions
            ],
            initial=initial,
            auto_transitions=False,  # no to_<state>() shortcuts: the table is the only way to move
            send_event=True,  # guards read the context from the event's keyword arguments
        )
        # One Machine serves every call; each call lends it a fresh model for the call's length. The Machine's
        # list of models is shared, so threads take turns (each turn is microseconds and never waits on I/O).
        # Re-entrant, so that a guard may itself ask a lifecycle a question.
        self._lock = threading.RLock()

    @staticmethod
    def _condition(the_guard: Guard) -> Callable[[Any], bool]:
        def check(event_data: Any) -> bool:
            reason = the_guard.check(event_data.kwargs)
            if reason:
                raise GuardFailed(the_guard.name, reason)
            return True

        return check

    @contextmanager
    def _rehydrated(self, state: str) -> Iterator[Any]:
        thing = _Thing()
        with self._lock:
            self._machine.add_model(thing, initial=state)
            try:
                yield thing
            finally:
                self._machine.remove_model(thing)

    def _known_state(self, state: str) -> None:
        if state not in self._machine.states:
            states = either(self.states)
            raise ValueError(f"'{state}' is not a state of a {self.noun}; the states are {states}.")

    def _known(self, state: str, role: str) -> Role:
        self._known_state(state)
        try:
            return Role(role)
        except ValueError:
            raise ValueError(f"'{role}' is not a role; the roles are {either(Role)}.") from None

    def _row_for(self, state: str, trigger: str, role: Role) -> Mapping[str, Any]:
        """The table row for this move, or IllegalMove saying why it is not allowed (guards aside)."""
        row = self._rows.get(trigger)
        where = {"state": state, "trigger": trigger, "role": role}
        if row is None:
            raise IllegalMove(
                f"There is no step called '{trigger}' for a {self.noun}; the steps are {either(self._rows)}.",
                refusal=Refusal.UNKNOWN_TRIGGER,
                **where,
            )
        if role not in row["roles"]:
            who = either(ROLE_WORDS[r] for r in row["roles"])
            raise IllegalMove(f"Only {who} may {row['action']}.", refusal=Refusal.WRONG_ROLE, **where)
        if trigger not in self._machine.get_triggers(state):
            who = ROLE_WORDS[role]
            sources = either(f"'{s}'" for s in row["source"])
            raise IllegalMove(
                f"{who[0].upper()}{who[1:]} cannot {row['action']} that is '{state}'; "
                f"only one that is {sources}.",
                refusal=Refusal.WRONG_STATE,
                **where,
            )
        return row

    def fire(self, state: str, trigger: str, role: str, **context: Any) -> Move:
        """The move `role` makes by firing `trigger` on a thing in `state`, or IllegalMove saying why not."""
        who = self._known(state, role)
        row = self._row_for(state, trigger, who)
        context = {key: _settle(value) for key, value in context.items()}
        with self._rehydrated(state) as thing:
            try:
                thing.trigger(trigger, **context)
            except GuardFailed as failed:
                where = {"state": state, "trigger": trigger, "role": who, "guard": failed.guard}
                raise IllegalMove(failed.reason, refusal=Refusal.GUARD_FAILED, **where) from None
            dest = thing.state
        reads = [key for name in row["guards"] for key in self._guards[name].reads]
        facts = {key: context[key] for key in reads if key in context}
        return Move(trigger, state, dest, who, MappingProxyType(facts))

    def may(self, state: str, trigger: str, role: str, **context: Any) -> bool:
        """Whether `fire` with the same arguments would succeed."""
        who = self._known(state, role)
        try:
            self._row_for(state, trigger, who)
        except IllegalMove:
            return False
        context = {key: _settle(value) for key, value in context.items()}
        with self._rehydrated(state) as thing:
            try:
                return getattr(thing, f"may_{trigger}")(**context)
            except GuardFailed:
                return False

    def allowed_triggers(self, state: str, role: str) -> list[str]:
        """The triggers `role` may fire from `state`, in table order; guards on the context not checked."""
        who = self._known(state, role)
        here = set(self._machine.get_triggers(state))
        return [row["trigger"] for row in self.transitions if row["trigger"] in here and who in row["roles"]]

    def is_open(self, state: str) -> bool:
        """Whether anything can still happen to a thing in `state`."""
        self._known_state(state)
        return not self._machine.get_state(state).final  # the Machine was told which states are final

    def mermaid(self) -> str:
        """A Mermaid stateDiagram-v2 of the table; edges are labelled with the trigger and who may fire it."""
        # transitions 0.9.3 can draw Mermaid without Graphviz (GraphMachine(graph_engine="mermaid")), offline,
        # but not cleanly for a document of the whole lifecycle: it needs a model and colours that model's
        # state "active", writes its title as front matter without the `title:` key, adds styling classes,
        # and does not mark final states. Drawing from the table takes a dozen lines; a test checks that
        # transitions' drawing has the same edges.
        lines = ["stateDiagram-v2", f"    [*] --> {self.initial}"]
        for row in self.transitions:
            label = f"{row['trigger']} ({', '.join(row['roles'])})"
            lines += [f"    {source} --> {row['dest']}: {label}" for source in row["source"]]
        lines += [f"    {state} --> [*]" for state in self.states if state in self.terminal]
        return "\n".join(lines) + "\n"


_ROW_KEYS = {"trigger", "source", "dest", "roles", "guards", "action", "description"}


def _check_table(
    states: Mapping[str, str],
    transitions: Sequence[Mapping[str, Any]],
    guards: Mapping[str, Guard],
    initial: str,
    terminal: frozenset[str],
) -> None:
    """Refuse a table with a mistake in it at import time, rather than misbehave later."""
    problems = [f"state '{s}' has no description" for s, text in states.items() if not text.strip()]
    problems += [f"'{s}' is not a state" for s in {initial, *terminal} - set(states)]
    seen: set[str] = set()
    for row in transitions:
        trigger = row.get("trigger", "?")
        if set(row) != _ROW_KEYS:
            problems.append(f"{trigger}: the row needs exactly {sorted(_ROW_KEYS)}")
            continue
        if trigger in seen:
            problems.append(f"{trigger}: one row per trigger, so each step means one thing")
        seen.add(trigger)
        ends = [*row["source"], row["dest"]]
        problems += [f"{trigger}: '{s}' is not a state" for s in ends if s not in states]
        problems += [f"{trigger}: '{r}' is not a role" for r in row["roles"] if r not in set(Role)]
        problems += [f"{trigger}: no guard called '{g}'" for g in row["guards"] if g not in guards]
        problems += [f"{trigger}: leaves '{s}', which is final" for s in row["source"] if s in terminal]
        if not isinstance(row["source"], tuple) or not row["roles"]:
            problems.append(f"{trigger}: source must be a tuple of states and roles must not be empty")
    dead_ends = set(states) - terminal - {s for row in transitions for s in row.get("source", ())}
    problems += [f"'{s}' has no way out but is not final" for s in sorted(dead_ends)]
    reached, frontier = {initial}, [initial]
    while frontier:
        here = frontier.pop()
        for row in transitions:
            if here in row.get("source", ()) and row.get("dest") not in reached:
                reached.add(row["dest"])
                frontier.append(row["dest"])
    problems += [f"'{s}' cannot be reached from '{initial}'" for s in states if s not in reached]
    if problems:
        raise ValueError("The lifecycle table has mistakes: " + "; ".join(problems) + ".")
