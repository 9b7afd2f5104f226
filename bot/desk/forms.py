"""What staff may send the desk, as pydantic shapes shared by the HTML forms and the JSON API, and the one
sentence that says what is wrong with a form or body that does not fit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from deskkit.inputs import Text, checked, filled, where
from deskkit.text import CONTROL_CHARACTERS
from protocol.lifecycle import IdentityCheck

Ref = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32,
                                       pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")]


# protocol.messages.IDENTIFIER, as Rust's regex (pydantic's) writes the end of the text, and this table's length.
PROGRAMME_ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,31}$"


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ApproveIn(Input):
    identity_checked: IdentityCheck = Field(description="How staff checked identity and authority (s 57).")


class DeclineIn(Input):
    reason: Text(1000) = Field(description="The reason, in words the family will read.")


class LinkIn(Input):
    requester_ref: Ref = Field(description="The person asking (a person reference such as P-0001).")
    subject_ref: Ref = Field(description="The person it is about: the same person, or someone they act for.")


class PersonIn(Input):
    family_ref: Ref | None = Field(None, description="An existing family (e.g. F-0001) …")
    new_family_name: Text(200) | None = Field(None, description="… or the name of a new family.")
    given_name: Text(100)
    family_name: Text(100)
    birth_date: date | None = None
    is_young_person: bool = False
    participant_id: Annotated[str, StringConstraints(max_length=32, pattern=PROGRAMME_ID)] | None = Field(
        None, description="The programme's id for the person, if it has one; otherwise one is made.")
    language: Literal["en", "mi"] = "en"

    @field_validator("birth_date")
    @classmethod
    def _a_real_birth_date(cls, value: date | None) -> date | None:
        if value is not None and not date(1900, 1, 1) <= value <= date.today():
            raise ValueError("The date of birth must be a past date, after 1900.")
        return value

    @model_validator(mode="after")
    def _one_family(self) -> PersonIn:
        if bool(self.family_ref) == bool(self.new_family_name):
            raise ValueError("Give either the reference of the person's family or the name of a new family.")
        return self


class AuthorityIn(Input):
    actor_ref: Ref = Field(description="The person who may act for this person.")
    relationship: Literal["parent", "caregiver", "guardian", "representative"]
    evidence: Text(500) = Field(description="How CCSS knows: e.g. 'Birth certificate seen'.")


class RecordIn(Input):
    title: Text(200)
    body: Text(20_000)
    record_date: date

    @field_validator("record_date")
    @classmethod
    def _not_in_the_future(cls, value: date) -> date:
        if not date(1900, 1, 1) <= value <= date.today():
            raise ValueError("The record's date cannot be in the future.")
        return value


class VersionIn(Input):
    title: Text(200) = Field(description="The item's title, as the family will read it.")
    text: Text(20_000) = Field(description="The item's text, in the version's language and register.")


class TokenIn(Input):
    label: Text(100) = Field(description="What the token is for, e.g. 'Case system sync'.")


LABELS = {
    "identity_checked": "How identity and authority were checked", "reason": "The reason",
    "requester_ref": "The person asking", "subject_ref": "The person it is about", "family_ref": "The family",
    "new_family_name": "The new family's name", "given_name": "The given name", "family_name": "The family name",
    "birth_date": "The date of birth", "is_young_person": "Young person", "participant_id": "The programme id",
    "language": "The language", "actor_ref": "The person who may act", "relationship": "The relationship",
    "evidence": "How CCSS knows", "title": "The title", "body": "The record", "record_date": "The record's date",
    "label": "The label", "limit": "The page size", "after": "The page", "state": "The state", "q": "The search",
    "text": "The text",
}  # fmt: skip


def _choices(ctx: Mapping[str, Any]) -> str:
    words = [w.strip(" '") for w in str(ctx.get("expected", "")).replace(" or ", ",").split(",") if w.strip()]
    return ", ".join(words)


def sentence(errors: Sequence[Mapping[str, Any]]) -> str:
    """The first problem, as one sentence a person can act on."""
    if not errors:
        return "Something in what was sent is not right."
    error = errors[0]
    loc = where(error)
    field = loc[0] if loc else ""
    label = LABELS.get(field, field.replace("_", " ").capitalize() or "The body")
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind == "missing":
        return f"{label} is missing: fill it in." if field else "Send a JSON object with the fields this takes."
    if kind == "string_too_short":
        return f"{label} is missing: fill it in."
    if kind == "string_too_long":
        return f"{label} is too long: at most {ctx.get('max_length')} characters."
    if kind == CONTROL_CHARACTERS:
        return f"{label} has a control character (such as NUL) that cannot be kept: remove it and try again."
    if kind in ("enum", "literal_error"):
        return f"{label} must be one of: {_choices(ctx)}."
    if kind.startswith("date"):
        return f"{label} must be a date written like 2026-03-14."
    if kind == "string_pattern_mismatch":
        return f"{label} is not a valid reference: use letters, digits and dashes, like P-0001."
    if kind in ("string_type", "bool_type", "bool_parsing", "int_type", "int_parsing", "model_type", "dict_type"):
        wanted = {"string": "text", "bool": "true or false", "int": "a whole number", "model": "a JSON object",
                  "dict": "a JSON object"}[kind.split("_")[0]]
        return f"{label} must be {wanted}." if field else f"Send {wanted}."
    if kind == "extra_forbidden":
        return f"'{field}' is not something this form or call takes."
    if kind in ("less_than_equal", "greater_than_equal", "less_than", "greater_than"):
        return f"{label} is out of range ({error.get('msg', '')})."
    if kind == "json_invalid":
        return "The body is not valid JSON."
    if kind == "value_error":
        return str(ctx.get("error") or error.get("msg", "")).removeprefix("Value error, ")
    return f"{label}: {error.get('msg', 'not valid')}."


def from_form(model: type[Input], values: Mapping[str, Any]) -> Input:
    """A posted form's text fields (deskkit.inputs.form_values) as `model`, an empty box counting as not filled
    in; or DeskProblem(422) with the sentence that says what does not fit."""
    return checked(model, filled(values), sentence)
