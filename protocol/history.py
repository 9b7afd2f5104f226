"""A request's history is append-only and tamper-evident (DESIGN.md §8): each event carries the hash
of the event before it, so changing or removing any past event breaks every hash after it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

GENESIS = ""  # what the first event of a request points back to


def event_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    """The hash of one event: its fields, in a fixed form, after the hash of the event before it."""
    body = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256((prev_hash + "\n" + body).encode("utf-8")).hexdigest()


def first_broken(events: Iterable[tuple[str, str, Mapping[str, Any]]]) -> int | None:
    """Given (prev_hash, hash, fields) in order, the index of the first event that does not check out."""
    expected_prev = GENESIS
    for index, (prev_hash, stored_hash, fields) in enumerate(events):
        if prev_hash != expected_prev or event_hash(prev_hash, fields) != stored_hash:
            return index
        expected_prev = stored_hash
    return None


EVENT_FIELDS = ("request_id", "seq", "at", "actor_role", "actor_label", "trigger", "from_state", "to_state",
                "detail")


def fields_of(event: object, names: Iterable[str] = EVENT_FIELDS) -> dict[str, Any]:
    """What an event's hash covers, read off any stored event (both organisations store the same fields)."""
    values = {name: getattr(event, name) for name in names}
    return {name: value.isoformat() if hasattr(value, "isoformat") else value for name, value in values.items()}


def after(last: Any | None) -> dict[str, Any]:
    """Where the next event stands in the chain: its number and the hash it points back to (`last`: the
    request's latest event, or None for its first). Both organisations chain their histories this way."""
    return {"seq": last.seq + 1 if last is not None else 1, "prev_hash": last.hash if last is not None else GENESIS}


def seal(event: Any) -> str:
    """Set and return an event's hash, once every field it covers is set."""
    event.hash = event_hash(event.prev_hash, fields_of(event))
    return event.hash


def jsonable(value: Any) -> Any:
    """An event's details as JSON keeps them: dates as ISO strings, sequences as lists."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value
