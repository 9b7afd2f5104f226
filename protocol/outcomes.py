"""Outcomes of information use: what a unit of the agency may say it used the programme's information for.

A unit reports an outcome (a decision, advice or a report) against the reports it received that informed
it. Families read the outcome in their own language and register, so its summary comes either as one of
the templates below (both sides know them by id; the provider's catalogues hold each one's four versions,
English and te reo Māori, for an adult and for a young person), or as four summaries the unit wrote itself.
A template's only blank is the unit's name, which each side takes from the agreement.
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("decision", "advice", "report")
KIND_WORDS = {"decision": "a decision", "advice": "advice", "report": "a report"}
LANGUAGES = ("en", "mi")
REGISTERS = ("adult", "child")


@dataclass(frozen=True)
class Template:
    id: str
    kind: str  # the kind of outcome it describes: a template for a decision is not sent as advice
    english: str  # as an officer reads it before choosing it (the adult English version families read)


TEMPLATES: dict[str, Template] = {t.id: t for t in [
    Template("evaluation-changed-programme", "decision",
             "{unit} used what the evaluation found to make changes to how the programme is run."),
    Template("attendance-in-service-report", "report",
             "{unit} used the programme's attendance figures in the agency's report on the services it pays for."),
    Template("funding-decision", "decision",
             "{unit} used the programme's figures when the agency decided whether to keep paying for the programme."),
    Template("advice-to-leaders", "advice",
             "{unit} used the programme's information in advice to the agency's leaders about the programme."),
]}


def summary_problem(kind: object, template: object, summaries: object) -> str | None:
    """One sentence saying what is wrong with how an outcome gives its summary, or None when it is right:
    exactly one of a known template (for this kind of outcome) or four summaries (en and mi, adult and child)."""
    if template is not None and summaries is not None:
        return "Give the summary either as a template or as four summaries you wrote, not both."
    if template is None and summaries is None:
        return "Give the summary: choose a template, or write it in four versions (English and te reo Māori, " \
               "for an adult and for a young person)."
    if template is not None:
        found = TEMPLATES.get(template) if isinstance(template, str) else None
        if found is None:
            return f"There is no template called {str(template)[:40]!r}; choose one of: {', '.join(TEMPLATES)}."
        if found.kind != kind:
            return (f"The template {found.id} describes {KIND_WORDS[found.kind]}, not {KIND_WORDS.get(kind, kind)}: "
                    "choose the kind it describes.")
        return None
    if not isinstance(summaries, dict):
        return "The four summaries must be given as en and mi, each with adult and child."
    for language in LANGUAGES:
        versions = summaries.get(language)
        for register in REGISTERS:
            text = versions.get(register) if isinstance(versions, dict) else None
            if not isinstance(text, str) or not text.strip():
                return f"The summary for {'an adult' if register == 'adult' else 'a young person'} in " \
                       f"{'English' if language == 'en' else 'te reo Māori'} is missing: all four versions are needed."
    return None
