"""Multi-step actions declared one way: a table of named steps, each with the shape of input it takes (or
none) and the function that does it. A desk asks its table whether a step exists, reads the step's input,
and runs it; which steps are *offered* is never read from here, but from the lifecycle each desk follows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from deskkit.problems import DeskProblem

Run = Callable[..., Awaitable[str]]  # does the step; the sentence says what was done


@dataclass(frozen=True)
class Step:
    """One step: what it takes from a form or body (None: nothing), and how it is done."""

    run: Run
    takes: type[BaseModel] | None = None


class Steps(Mapping[str, Step]):
    """A desk's steps by name; an unknown name is a 404 with the desk's own sentence."""

    def __init__(self, steps: Mapping[str, Step], unknown: str) -> None:
        self._steps, self._unknown = dict(steps), unknown

    def __getitem__(self, name: str) -> Step:
        return self._steps[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._steps)

    def __len__(self) -> int:
        return len(self._steps)

    def step(self, name: str) -> Step:
        """The step called `name`, or DeskProblem(404) saying there is none (the name cut short, as it is
        whatever a client sent)."""
        if name not in self._steps:
            raise DeskProblem(404, self._unknown.format(name=name[:40]))
        return self._steps[name]

    def input_of(self, name: str, read: Callable[[type[BaseModel]], Any]) -> Any:
        """The step's input, `read` as its shape, or None for a step that takes nothing."""
        takes = self.step(name).takes
        return None if takes is None else read(takes)
