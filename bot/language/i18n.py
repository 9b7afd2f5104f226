"""Everything a family reads comes from the gettext catalogues in bot/locales (DESIGN.md §6).

Code names a sentence with `_("English, as a parent would read it", name=...)`; that is the msgid.
Each msgid lives in each language's catalogue twice, under the message contexts "adult" and "child"
(the registers), so `say(text, "mi", "child")` finds the te reo Māori sentence for a young person.
Sentences are translated whole and filled in afterwards, never built from pieces.

Names of the provider, the agency and the programme are never written into a sentence: it says {provider},
{agency} or {programme} (see bot/language/names.py), and `say()` fills them from the agreement Tono started
with (`use_agreement_names`, called once at start-up), in the language being said.
"""

from __future__ import annotations

import gettext
import html
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.language.names import PLACEHOLDERS, names_by_language
from deskkit.dates import DateWords
from protocol.agreement import Agreement

LOCALES = Path(__file__).parent.parent / "locales"  # bot/locales, where translators find them
DOMAIN = "tono"
LANGUAGES = ("en", "mi")
REGISTERS = ("adult", "child")
BABEL_LOCALE = {"en": "en_NZ", "mi": "mi"}
_DATES = {language: DateWords(locale=locale) for language, locale in BABEL_LOCALE.items()}


@dataclass(frozen=True)
class Text:
    """A sentence to say, in no language yet: its msgid and the values to fill in."""

    msgid: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Plain:
    """Text that is not translated (a name, a reference, what the family typed); always escaped."""

    value: str


@dataclass(frozen=True)
class Rendered:
    """Sentences already said (and escaped) in the family's language, to place inside another sentence."""

    value: str


# The programme's names, per language, as the agreement Tono started with says (see use_agreement_names).
_names: dict[str, dict[str, str]] = {}


def use_agreement_names(agreement: Agreement) -> None:
    """Fill {provider}, {agency}, {programme}... in every sentence from this agreement from now on. Tono
    serves one programme, so it calls this once when it starts, as it loads the catalogues once."""
    _names.clear()
    _names.update(names_by_language(agreement))


class _Values(dict[str, str]):
    """A sentence's own values; a name placeholder not among them is the programme's name in this language."""

    def __init__(self, values: dict[str, str], language: str) -> None:
        super().__init__(values)
        self.language = language

    def __missing__(self, key: str) -> str:
        if key not in PLACEHOLDERS:
            raise KeyError(key)
        if self.language not in _names:
            raise LookupError(f"A sentence names {{{key}}}, but Tono was not given the programme's names: "
                              "call bot.language.i18n.use_agreement_names(agreement) when it starts.")
        return html.escape(_names[self.language][key], quote=False)


def _(msgid: str, **params: Any) -> Text:
    """Mark a sentence for the catalogues (Babel extracts the literal msgid) and keep its values."""
    taken = sorted(params.keys() & PLACEHOLDERS)
    if taken:  # a value would silently take the place of the programme's name in every translation
        raise ValueError(f"{', '.join(taken)} name the programme's parties in every sentence: call the value "
                         f"something else in {msgid!r}")
    return Text(msgid, params)


def po_path(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.mo"


def compile_catalogue(language: str) -> bytes:
    """The .mo bytes for a language, compiled from its .po file."""
    with po_path(language).open("rb") as handle:
        catalog = read_po(handle, locale=BABEL_LOCALE[language])
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


@cache
def translations(language: str) -> gettext.GNUTranslations:
    """A language's catalogue: the compiled .mo when it is fresh, else compiled now from the .po,
    so an installed Tono never speaks from a stale catalogue."""
    if language not in LANGUAGES:
        raise ValueError(f"Tono has no catalogue for language {language!r}; it speaks {', '.join(LANGUAGES)}.")
    compiled = compile_catalogue(language)
    mo = mo_path(language)
    if mo.exists() and mo.read_bytes() == compiled:
        compiled = mo.read_bytes()
    return gettext.GNUTranslations(io.BytesIO(compiled))


def format_day(day: date, language: str) -> str:
    """A date as families read it: '9 February 2027', '9 Pēpuere 2027' (as the desks write it: deskkit/dates.py)."""
    return _DATES[language].day(day)


def _value(value: Any, language: str, register: str) -> str:
    if isinstance(value, Text):
        return say(value, language, register)
    if isinstance(value, date):
        return format_day(value, language)
    if isinstance(value, Plain):
        return html.escape(value.value, quote=False)
    if isinstance(value, Rendered):
        return value.value
    return html.escape(str(value), quote=False)


def say(text: Text | Plain, language: str, register: str) -> str:
    """The sentence in this language and register, with its values filled in and escaped for HTML."""
    if isinstance(text, Plain):
        return _value(text, language, register)
    if register not in REGISTERS:
        raise ValueError(f"unknown register {register!r}")
    sentence = translations(language).pgettext(register, text.msgid)
    values = {name: _value(value, language, register) for name, value in text.params.items()}
    # A sentence with no braces is said as it is; one with braces may name the programme's parties.
    return sentence.format_map(_Values(values, language)) if values or "{" in sentence else sentence


def to_json(text: Text | Plain) -> dict:
    """A sentence-to-say as JSON, so it can wait in the database (a notification) and be said later."""
    if isinstance(text, Plain):
        return {"plain": text.value}
    params = {}
    for name, value in text.params.items():
        if isinstance(value, Text | Plain):
            params[name] = {"text": to_json(value)}
        elif isinstance(value, Rendered):  # already said and escaped: kept as it is, never escaped again
            params[name] = {"rendered": value.value}
        elif isinstance(value, date):
            params[name] = {"date": value.isoformat()}
        else:
            params[name] = {"plain": str(value)}
    return {"msgid": text.msgid, "params": params}


def from_json(data: dict) -> Text | Plain:
    if "plain" in data:
        return Plain(data["plain"])
    params: dict[str, Any] = {}
    for name, value in data.get("params", {}).items():
        if "text" in value:
            params[name] = from_json(value["text"])
        elif "rendered" in value:
            params[name] = Rendered(value["rendered"])
        elif "date" in value:
            params[name] = date.fromisoformat(value["date"])
        else:
            params[name] = Plain(value["plain"])
    return Text(data["msgid"], params)
