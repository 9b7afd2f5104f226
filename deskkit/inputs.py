"""Reading what a person sends a desk: a posted form's text fields, typed text with a length and no control
characters, a pydantic shape checked with the desk's own sentence for what does not fit, and ids bounded by
what the tables hold (an id past them is simply not found, never an overflow and a 500). Each desk words its
sentences itself; the reading is the same for both."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

from fastapi import Request
from pydantic import AfterValidator, BaseModel, StringConstraints, ValidationError

from deskkit.csrf import FIELD as CSRF_FIELD
from deskkit.problems import DeskProblem, Explain
from deskkit.text import kept_characters

Model = TypeVar("Model", bound=BaseModel)
# The largest id an INTEGER column holds on PostgreSQL, which is what SQLModel makes of an `int` id (both desks'
# tables); SQLite holds more, but one bound for both keeps an id that one database would refuse out of either.
# PostgreSQL refuses a bigger number as a query argument outright (a 500), so a bigger one is not found.
BIGGEST_ID = 2**31 - 1
# Where pydantic and FastAPI say an error was, which a person does not need to hear.
_PLACES = ("body", "query", "path", "form")


def Text(limit: int, *, required: bool = True):  # noqa: N802 (reads as a type in a model)
    """Typed text, stripped, at most `limit` characters (and at least one when `required`), with no control
    character other than line breaks and tabs."""
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=int(required), max_length=limit),
                     AfterValidator(kept_characters)]


def text_fields(form: Mapping[str, Any], *names: str) -> dict[str, str]:
    """The form's text fields (only `names`, when given) without the CSRF token; a file counts as missing."""
    return {key: value for key, value in form.items()
            if isinstance(value, str) and key != CSRF_FIELD and (not names or key in names)}


async def form_values(request: Request, *names: str) -> dict[str, str]:
    """The posted form's text fields, to check and, if something is wrong, to show again as typed."""
    return text_fields(await request.form(), *names)


def filled(values: Mapping[str, Any]) -> dict[str, Any]:
    """The fields with something in them: an empty box counts as not filled in."""
    return {key: value for key, value in values.items() if not (isinstance(value, str) and not value.strip())}


def where(error: Mapping[str, Any]) -> tuple[str, ...]:
    """The field an error is about, as a path of names (empty for the body as a whole)."""
    return tuple(str(part) for part in error.get("loc", ()) if part not in _PLACES)


def checked(model: type[Model], data: Mapping[str, Any], explain: Explain) -> Model:
    """`data` as `model`, or DeskProblem(422) with the desk's sentence for the first thing that does not fit."""
    try:
        return model.model_validate(data)
    except ValidationError as wrong:
        raise DeskProblem(422, explain(wrong.errors(include_url=False))) from None


def stored_id(value: int, biggest: int = BIGGEST_ID) -> int | None:
    """The id, if a table could hold it; None (so: not found) for 0, a negative one or one past `biggest`."""
    return value if 1 <= value <= biggest else None
