"""A request's history is append-only and tamper-evident (DESIGN.md §8): each event carries the hash
of the event before it, so changing or removing any past event breaks every hash after it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
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
