"""The family conversation, independent of any chat library (DESIGN.md §2 rule 3).

The whole conversation as a table: every step by name, and the commands that work from anywhere.
"""

from __future__ import annotations

from bot.flows.answers import ANSWER_NOTICES, ANSWER_STEPS
from bot.flows.engine import Engine, Turn
from bot.flows.menu import MENU_STEPS, help_text, start
from bot.flows.requests import REQUEST_STEPS
from bot.flows.status import STATUS_STEPS, clarify_notice, picture_notice, status_command
from bot.language.i18n import _

STEPS = {**MENU_STEPS, **REQUEST_STEPS, **STATUS_STEPS, **ANSWER_STEPS}


async def _menu(turn: Turn, _arg: str) -> None:
    turn.home()


async def _cancel(turn: Turn, _arg: str) -> None:
    turn.say(_("Cancelled. Nothing was sent."))
    turn.home()


async def _language(turn: Turn, _arg: str) -> None:
    # The draft is kept: once the language is chosen, the family is back at the step they left (menu.py).
    turn.go("settings.language")


async def _register(turn: Turn, _arg: str) -> None:
    turn.go("settings.register")


COMMANDS = {
    "start": start,
    "menu": _menu,
    "cancel": _cancel,
    "status": status_command,
    "language": _language,
    "words": _register,
    "help": help_text,
}

# The Telegram menu commands, with their descriptions (each language's set is sent to Telegram).
COMMAND_DESCRIPTIONS = {
    "start": _("Start, or open the link from {provider}"),
    "menu": _("Show what I can do"),
    "status": _("Where is my request?"),
    "language": _("English or te reo Māori"),
    "words": _("Adult or young person"),
    "help": _("How Tono works"),
    "cancel": _("Stop what we are doing"),
}

# Buttons on notifications (NOTICE_SCREEN): the action's prefix, and what it opens.
NOTICES = {"clarify": clarify_notice, "picture": picture_notice, **ANSWER_NOTICES}
# Notices whose turn does slow work: making the PDF copies takes a moment, so the chat shows it meanwhile.
SLOW = {"copies": "copies", "copy": "copies"}

ENGINE = Engine(STEPS, COMMANDS, NOTICES, SLOW)
