"""Keeping the catalogues: extract every sentence from the code, give it both registers, update the
English and te reo Māori catalogues, compile them, and check that nothing is missing.

    python -m bot.catalogues update    # after changing sentences in the code
    python -m bot.catalogues compile   # make and make test do this
    python -m bot.catalogues check     # what the tests check: exit 1 and say what is missing

Babel's own `pybabel extract/update/compile` do the work; this module adds the one step Babel has no
option for: each sentence is written by the code once, but needs an adult and a child variant.
"""

from __future__ import annotations

import sys
from pathlib import Path
from string import Formatter

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from bot.language.i18n import BABEL_LOCALE, LANGUAGES, REGISTERS, compile_catalogue, mo_path, po_path
from bot.language.names import PLACEHOLDERS as NAMES

SOURCE = Path(__file__).parent
HEADER = {
    "en": "English catalogue for Tono. Each sentence has an adult and a child (young person) variant.",
    "mi": "Te reo Māori catalogue for Tono. DRAFT: not yet checked by a translator (see docs/glossary-mi.md).",
}


def extracted() -> Catalog:
    """Every sentence in the code, once per register."""
    template = Catalog(project="Tono", domain="tono", charset="utf-8")
    found = extract_from_dir(str(SOURCE), method_map=[("**.py", "python")], keywords={"_": None},
                             comment_tags=("TRANSLATORS:",), strip_comment_tags=True)
    for filename, lineno, message, comments, _context in found:
        for register in REGISTERS:
            template.add(message, locations=[(filename, lineno)], auto_comments=comments, context=register)
    return template


def read(language: str) -> Catalog:
    path = po_path(language)
    if not path.exists():
        return Catalog(locale=BABEL_LOCALE[language], domain="tono")
    with path.open("rb") as handle:
        return read_po(handle, locale=BABEL_LOCALE[language])


def update() -> None:
    for language in LANGUAGES:
        catalog = read(language)
        # A template of its own for each language: Babel's update adds a new sentence by putting the template's
        # own message object into the catalogue, so one template shared by both would carry the English
        # filled in below into the te reo Māori catalogue as if it were a translation.
        catalog.update(extracted(), no_fuzzy_matching=True)
        catalog.header_comment = f"# {HEADER[language]}"
        if language == "mi":
            # CLDR gives te reo Māori one plural form; pybabel init would write two.
            catalog._num_plurals, catalog._plural_expr = 1, "0"
        catalog.obsolete.clear()
        catalog.project, catalog.version, catalog.fuzzy = "Tono", "1", False
        catalog.msgid_bugs_address = "the Tono team"
        catalog.language_team = "te reo Māori (draft)" if language == "mi" else "English"
        catalog.last_translator = ("DRAFT: not yet checked by a translator" if language == "mi"
                                   else "Tono developers")
        if language == "en":
            for message in catalog:
                # The code is written in adult English: those sentences are their own translation.
                if message.id and message.context == "adult" and not message.string:
                    message.string = message.id
        path = po_path(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=120, sort_by_file=True, include_previous=False)


def compile_all() -> None:
    for language in LANGUAGES:
        mo_path(language).write_bytes(compile_catalogue(language))


def _unknown_placeholders(message: Message) -> list[str]:
    """Placeholders a translation says that nothing fills: the sentence's own values and the programme's names."""
    known = {field for _, field, _, _ in Formatter().parse(message.id) if field} | NAMES
    return sorted({field for _, field, _, _ in Formatter().parse(message.string) if field} - known)


def problems() -> list[str]:
    """What is missing or stale, one line each: the test fails on any of these."""
    found: list[str] = []
    wanted = {(m.context, m.id) for m in extracted() if m.id}
    for language in LANGUAGES:
        catalog = read(language)
        have = {(m.context, m.id): m for m in catalog if m.id}
        for context, msgid in sorted(wanted - set(have)):
            found.append(f"{language}: no entry for [{context}] {msgid!r}: run `python -m bot.catalogues update`")
        for key, message in have.items():
            if key not in wanted:
                found.append(f"{language}: [{key[0]}] {key[1]!r} is no longer in the code")
            elif not message.string:
                found.append(f"{language}: [{key[0]}] {key[1]!r} has no translation")
            elif message.fuzzy:
                found.append(f"{language}: [{key[0]}] {key[1]!r} is marked fuzzy (needs checking)")
            else:
                found += [f"{language}: [{key[0]}] {key[1]!r} says {{{name}}}, which is neither one of its values "
                          "nor one of the names in bot/language/names.py" for name in _unknown_placeholders(message)]
        mo = mo_path(language)
        if not mo.exists() or mo.read_bytes() != compile_catalogue(language):
            found.append(f"{language}: the compiled catalogue is stale: run `python -m bot.catalogues compile`")
    return found


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "update":
        update()
    elif command == "compile":
        compile_all()
    elif command == "check":
        lines = problems()
        print("\n".join(lines) or "The catalogues are complete and compiled.")
        return 1 if lines else 0
    else:
        print("usage: python -m bot.catalogues [update|compile|check]", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
