"""The sentences a family may read, each written four times: English and te reo Māori, adult and child.

The rules, in plain words:

- Every family-facing sentence in the agreement has all four versions: `en.adult`, `en.child`,
  `mi.adult` and `mi.child`. A missing version is an error; Tono never shows another version instead.
- The child version is for a young person with a reading age of about 8 or 9: short sentences and
  common words.
- A version may not be empty.
- Words Tono uses often keep their macrons (whānau, not whanau), in English text as well as Māori.
- The te reo Māori text is a draft until a translator has checked it; the agreement says which.
"""

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

Language = Literal["en", "mi"]
Register = Literal["adult", "child"]
TranslationStatus = Literal["draft", "checked"]

LANGUAGES: tuple[Language, ...] = ("en", "mi")
REGISTERS: tuple[Register, ...] = ("adult", "child")
TRANSLATION_STATUSES: tuple[TranslationStatus, ...] = ("draft", "checked")

# Every part of the agreement is read exactly as written: a misspelt or unknown field is an error,
# 'yes' is not quietly turned into text or '2' into a number, and nothing changes once it is loaded.
STRICT = ConfigDict(extra="forbid", strict=True, frozen=True)

# Words that are easy to type without their macrons; the key is the mistake, the value the spelling.
_MACRONS = {
    "whanau": "whānau",
    "maori": "Māori",
    "mohiohio": "mōhiohio",
    "hotaka": "hōtaka",
    "manatu": "Manatū",
}
_WORD = re.compile(r"[^\W\d_]+")


def _macrons_in_place(sentence: str) -> str:
    for word in _WORD.findall(sentence):
        spelt = _MACRONS.get(word.lower())
        if spelt:
            raise ValueError(f"'{word}' needs its macron: write '{spelt}'")
    return sentence


Sentence = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(_macrons_in_place)
]


class Wording(BaseModel):
    """One sentence in one language: the adult version and the child version."""

    model_config = STRICT

    adult: Sentence
    child: Sentence


class Text(BaseModel):
    """One family-facing sentence, in every language and register a family may read it in."""

    model_config = STRICT

    en: Wording
    mi: Wording

    def variant(self, language: str, register: str) -> str:
        """The sentence in this language ('en' or 'mi') and register ('adult' or 'child')."""
        if language not in LANGUAGES:
            raise ValueError(f"Unknown language {language!r}: the languages are {', '.join(LANGUAGES)}.")
        if register not in REGISTERS:
            raise ValueError(f"Unknown register {register!r}: the registers are {', '.join(REGISTERS)}.")
        wording: Wording = getattr(self, language)
        return getattr(wording, register)


class Name(BaseModel):
    """What a party or the programme is called in one language. The short name is the one most sentences
    use, written as it reads inside a sentence, with its article if it takes one ('te Manatū'); the full
    name is the one a family is introduced to ('City Centre Social Services')."""

    model_config = STRICT

    short: Sentence
    full: Sentence


class Names(BaseModel):
    """A name in every language a family may read it in; a missing language is an error, as for a sentence."""

    model_config = STRICT

    en: Name
    mi: Name

    def in_language(self, language: str) -> Name:
        """The short and full name in this language ('en' or 'mi')."""
        if language not in LANGUAGES:
            raise ValueError(f"Unknown language {language!r}: the languages are {', '.join(LANGUAGES)}.")
        name: Name = getattr(self, language)
        return name
