"""A unit's answer that comes again. After the agency is restored from a backup, its officers answer again what
they had already answered; the provider takes the same answer as nothing new and refuses a different one, with
a sentence staff and the operator can act on (it becomes a dead letter, shown on the request page and the link
page), because the family has already been told the first."""

from __future__ import annotations


class ContradictingAnswer(ValueError):
    """A unit answered again, differently: the first answer stands until people at both organisations agree."""


def same_answer(first: dict, again: dict) -> bool:
    """The same decision, whatever day it was given on (a repeat usually comes on a later day)."""
    def decision(body: dict) -> dict:
        return {key: value for key, value in body.items() if key != "answered_on"}

    return decision(first) == decision(again)
