"""What typed text a desk keeps: any letters, in any script, with line breaks and tabs, but no other
control character. A NUL cannot even be stored in PostgreSQL (the save would fail half-way through a
page), and the others only hide what a text says."""

from __future__ import annotations

import unicodedata

from pydantic_core import PydanticCustomError

# The pydantic error type both desks turn into their own sentence.
CONTROL_CHARACTERS = "control_characters"


def has_control_characters(text: str, allowed: str = "\n\r\t") -> bool:
    return any(ch not in allowed and unicodedata.category(ch) == "Cc" for ch in text)


def kept_characters(text: str) -> str:
    """A pydantic AfterValidator: the text as it is, or an error of type CONTROL_CHARACTERS."""
    if has_control_characters(text):
        raise PydanticCustomError(CONTROL_CHARACTERS, "has a control character")
    return text
