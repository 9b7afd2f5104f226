"""Words of danger or distress in what a family types, and the answer they get at once.

How to read it: every piece of free text a family types (a name, what is wrong in a record, an answer to a
question, the note for a worker, even words typed at the menu) passes through `sounds_unsafe`, called in one
place, Engine._text (bot/flows/engine.py), before the step itself reads the text. If the words match a phrase
in one of the reviewed lists in bot/locales/<lang>/safety-phrases.txt, the family is answered at once with the
emergency number (111) and free help lines, in their language and register: a young person (the child
register) is given Youthline; an adult 1737 (Need to talk?) and Women's Refuge; everyone 111 first. Their
request to talk to a person is then marked urgent, at the top of the provider desk.

It never blocks: the step goes on as it would have (the name is taken, the note is kept), after the safety
answer. It is a list of phrases, not a model: staff can read exactly what raises an alarm, and a missed
phrase is fixed by adding a line that people have reviewed.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from bot.language.i18n import LANGUAGES, LOCALES, _

PHRASE_FILE = "safety-phrases.txt"

_APOSTROPHES = re.compile("['\u2018\u2019\u02bc`\u00b4]")
_NOT_A_LETTER = re.compile(r"[^\w]+|_")


def words_of(text: str) -> str:
    """Text reduced to what a phrase is compared on, with a space at each end so phrases match whole words.

    Forgiving on purpose, because people in distress type fast, on phones, in two languages:
    - case is ignored (casefold, which also folds ß and the like);
    - macrons and other accents are dropped (NFKD, then the combining marks removed), since many keyboards
      have no macron: "kāore" and "kaore" are the same (a doubled vowel, "kaaore", is not guessed at);
    - apostrophes, straight or curly (' ’ ‘ ʼ), are removed, not turned into spaces, so "don't", "don’t" and
      "dont" are one word, as are "i'm" and "im";
    - every other mark (full stops, commas, hyphens, emoji) is a space, and runs of spaces are one, so
      "self-harm" is "self harm" and "safe...at home" is "safe at home".
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    spaced = _NOT_A_LETTER.sub(" ", _APOSTROPHES.sub("", bare))
    return f" {' '.join(spaced.split())} "


@cache
def phrases() -> tuple[str, ...]:
    """The reviewed phrases of every language, compared as words_of makes them; read once."""
    # Every language's list is checked whatever the chat's language: many families write in both, and "he
    # hits me" typed in a te reo chat deserves the same answer as in an English one.
    found: list[str] = []
    for language in LANGUAGES:
        for line in (LOCALES / language / PHRASE_FILE).read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                found.append(words_of(line))
    return tuple(dict.fromkeys(found))


def sounds_unsafe(text: str) -> bool:
    """True if the text holds one of the reviewed phrases of danger or distress, as whole words."""
    typed = words_of(text)
    return any(phrase in typed for phrase in phrases())


# What a family who typed words of danger reads at once, before the step's own answer. One sentence in the
# catalogues: its child versions give Youthline, its adult versions 1737 and Women's Refuge; all four begin
# with 111.
SAFETY_ANSWER = _("If you or someone with you is in danger now, call 111.\n\nFree help, any time:\n"
                  "• Need to talk? Call or text 1737.\n• Women's Refuge: 0800 733 843.\n\n"
                  "I have also asked a worker at {provider} to get in touch with you soon.")
