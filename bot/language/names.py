"""The programme's names in the sentences: the catalogues write {provider}, {agency} or {programme} where a
name goes, and the agreement says what each is called in each language, so another programme, provider or
agency is another agreement file, not new sentences.

The placeholders, in every sentence of every catalogue (a translation may use one its English does not):

    {provider}   {provider_full}    the provider's short and full name ('CCSS', 'City Centre Social Services')
    {agency}     {agency_full}      the agency's ('te Manatū' in te reo Māori, 'Ministry for Whānau Wellbeing')
    {programme}  {programme_full}   the programme's ('Best foot forward')

Each with a capital first letter ({Agency}, {Provider_full}) gives the name with a capital first letter, for
a sentence that starts with it ('Te Manatū'). The agency's units are named by the sentences' own values
({unit}), from the agreement too.
"""

from __future__ import annotations

from protocol.agreement import Agreement
from protocol.texts import LANGUAGES, Names

NAMED = ("provider", "agency", "programme")


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]  # never str.capitalize(): that would make 'CCSS' 'Ccss'


def _placeholders() -> frozenset[str]:
    plain = [key for named in NAMED for key in (named, f"{named}_full")]
    return frozenset(plain + [_capitalised(key) for key in plain])


PLACEHOLDERS = _placeholders()


def names_by_language(agreement: Agreement) -> dict[str, dict[str, str]]:
    """For each language, the value of each name placeholder, from the agreement."""
    named: dict[str, Names] = {"provider": agreement.provider.names, "agency": agreement.agency.names,
                               "programme": agreement.programme.names}
    filled: dict[str, dict[str, str]] = {}
    for language in LANGUAGES:
        values: dict[str, str] = {}
        for key, names in named.items():
            name = names.in_language(language)
            values[key], values[f"{key}_full"] = name.short, name.full
        values |= {_capitalised(key): _capitalised(value) for key, value in values.items()}
        filled[language] = values
    assert set(filled[LANGUAGES[0]]) == PLACEHOLDERS  # the list translators read is the list filled
    return filled
