"""The small-group check: before a report that does not name people leaves, no group smaller than k people may
share the same values of the quasi-identifying fields it carries (k-anonymity, k = reporting.smallest_group).

How it works, in plain words:
1. Count the people in each group of rows that share the same quasi-identifying values.
2. While some rows are in groups smaller than k, make one field coarser by its next step (suburb -> city ->
   region; a date -> its month -> its year), if that leaves fewer rows in small groups. The field tried first
   is the one with the most different values (ties: the flow's order), so the same data always gives the
   same result. A value a table does not list becomes '*' rather than a guess.
3. Hold back the rows still in groups smaller than k: they are not sent.
Every step is said in words staff can check ("Suburb made coarser to city: 14 rows were in groups smaller
than 5").
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from protocol.programme_data import BUILT_IN_STEPS, HELD_BACK

Value = str | int | float | None


@dataclass(frozen=True)
class QuasiField:
    """A quasi-identifying field a flow carries: its name, its label for staff, its steps (finest first)."""

    name: str
    label: str
    steps: tuple[str, ...]


@dataclass
class SmallGroups:
    """What the check did: each row's quasi values after generalising, which rows are held back, and why."""

    k: int
    values: list[tuple[Value, ...]]
    held_back: list[bool]
    levels: dict[str, int]  # how many steps each field was made coarser
    said: list[str] = field(default_factory=list)

    @property
    def held_back_rows(self) -> int:
        return sum(self.held_back)

    def summary(self, fields: Sequence[QuasiField]) -> dict:
        """What Report.small_groups keeps: k, the steps taken per field, the sentences, the rows held back."""
        return {"k": self.k, "levels": self.levels, "held_back": self.held_back_rows, "said": self.said,
                "coarser": {f.name: f.steps[self.levels[f.name] - 1] for f in fields if self.levels[f.name]}}


def step_up(value: Value, step: str, tables: Mapping[str, Mapping[str, str]]) -> Value:
    """A value made one step coarser (it may already be the result of finer steps)."""
    if value is None or value == HELD_BACK:
        return value
    if step in tables:
        return tables[step].get(str(value), HELD_BACK)
    text = str(value)
    if step == "month":
        return text[:7]
    if step == "year":
        return text[:4]
    if step in ("decade", "band-5", "band-10"):
        width = {"decade": 10, "band-5": 5, "band-10": 10}[step]
        try:  # a number, or a band or decade a finer step made ('35-39'): its lower bound
            low = int(float(text.split("-")[0])) if not text.startswith("-") else int(float(text))
        except ValueError:
            return HELD_BACK
        start = low - low % width
        return f"{start}-{start + width - 1}"
    raise ValueError(f"{step!r} is neither a built-in step ({', '.join(BUILT_IN_STEPS)}) nor a table.")


def generalise(value: Value, steps: Sequence[str], level: int, tables: Mapping[str, Mapping[str, str]]) -> Value:
    """A value made `level` steps coarser."""
    for step in steps[:level]:
        value = step_up(value, step, tables)
    return value


_STEP_WORDS = {"month": "month", "year": "year", "decade": "decade", "band-5": "bands of 5",
               "band-10": "bands of 10"}


def _step_words(step: str) -> str:
    """'suburb-to-city' -> 'city'; 'band-5' -> 'bands of 5'."""
    if step in _STEP_WORDS:
        return _STEP_WORDS[step]
    return step.split("-to-")[-1] if "-to-" in step else step.replace("-", " ")


def _group_people(values: Sequence[tuple], subjects: Sequence[str]) -> dict[tuple, set[str]]:
    people: dict[tuple, set[str]] = defaultdict(set)
    for row, subject in zip(values, subjects, strict=True):
        people[row].add(subject)
    return people


def _in_small_groups(values: Sequence[tuple], subjects: Sequence[str], k: int) -> int:
    people = _group_people(values, subjects)
    rows = Counter(values)
    return sum(rows[group] for group, who in people.items() if len(who) < k)


def check(rows: Sequence[tuple[str, tuple[Value, ...]]], fields: Sequence[QuasiField], k: int,
          tables: Mapping[str, Mapping[str, str]]) -> SmallGroups:
    """Generalise and hold back `rows` ((subject, quasi values in `fields` order)) until no group of rows
    sharing the same values has fewer than k people."""
    subjects = [subject for subject, _ in rows]
    original = [tuple(values) for _, values in rows]
    levels = {f.name: 0 for f in fields}

    def at(levels_now: dict[str, int]) -> list[tuple]:
        return [tuple(generalise(v, f.steps, levels_now[f.name], tables) for v, f in zip(row, fields, strict=True))
                for row in original]

    current = at(levels)
    said: list[str] = []
    small = _in_small_groups(current, subjects, k)
    while small:
        open_fields = [f for f in fields if levels[f.name] < len(f.steps)]
        i_of = {f.name: i for i, f in enumerate(fields)}
        # The field with the most different values first: making it coarser merges the most groups.
        open_fields.sort(key=lambda f: (-len({row[i_of[f.name]] for row in current}), i_of[f.name]))
        for candidate in open_fields:
            trial = {**levels, candidate.name: levels[candidate.name] + 1}
            values = at(trial)
            left = _in_small_groups(values, subjects, k)
            if left < small:  # coarser only when it keeps more rows than holding them back would
                step = candidate.steps[levels[candidate.name]]
                said.append(f"{candidate.label} made coarser to {_step_words(step)}: {small} rows were in "
                            f"groups smaller than {k}.")
                levels, current, small = trial, values, left
                break
        else:
            break

    people = _group_people(current, subjects)
    held_back = [len(people[row]) < k for row in current]
    rows_of = Counter(row for row, held in zip(current, held_back, strict=True) if held)
    for group in sorted(rows_of, key=lambda g: tuple("" if v is None else str(v) for v in g)):
        count = rows_of[group]
        shown = ", ".join("not given" if v is None else str(v) for v in group)
        who = len(people[group])
        said.append(f"{count} {'row' if count == 1 else 'rows'} held back: their group ({shown}) had {who} "
                    f"{'person' if who == 1 else 'people'}, fewer than {k}.")
    return SmallGroups(k=k, values=current, held_back=held_back, levels=levels, said=said)


def smallest_group(rows: Sequence[tuple[str, tuple[Value, ...]]]) -> int:
    """The fewest people any group of rows with the same values has (0 when there are no rows)."""
    people = _group_people([tuple(v) for _, v in rows], [s for s, _ in rows])
    return min((len(who) for who in people.values()), default=0)
