"""The conversation engine: one turn takes what the family sent and the stored state, and gives the
replies and the next state. Steps are declared in a table (bot/flows/steps.py); this file holds the
rules every step shares: back, cancel, stale buttons, and kind answers to input a step cannot use."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import date

from bot.flows.chat import TYPED_LIMIT, Button, Incoming, Reply
from bot.flows.ports import ChatInfo, FamilyPort, Work
from bot.flows.safety import SAFETY_ANSWER, sounds_unsafe
from bot.language.i18n import Text, _

MENU = "menu"
NOTICE_SCREEN = 0  # buttons on notifications belong to no screen; their action is checked on the server
# Telegram's callback_data is at most 64 bytes, and Tono's own actions are short printable codes; anything
# else was not made by Tono (a forged press), and a NUL in it would even be refused by PostgreSQL.
ACTION_LIMIT = 64
# Direction marks and invisible formatting can make typed text show something other than what it
# says (a reference that reads backwards, a name that hides another); they are removed, other
# scripts (right-to-left ones included) are kept as typed.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


@dataclass
class Step:
    """One place in a conversation: what Tono asks there, and what it does with the answer."""

    prompt: Callable[[Turn], Awaitable[Reply]]
    on_button: Callable[[Turn, str], Awaitable[None]] | None = None
    on_text: Callable[[Turn, str], Awaitable[None]] | None = None
    text_limit: int = 1000
    can_go_back: bool = True


@dataclass
class State:
    """Where a chat is: the step, the answers so far, and the screen number that buttons carry."""

    step: str = MENU
    data: dict = field(default_factory=dict)
    screen: int = 0


@dataclass
class Turn:
    """One turn of the conversation, handed to a step."""

    chat: ChatInfo
    state: State
    port: FamilyPort
    today: date
    replies: list[Reply] = field(default_factory=list)
    notice: Text | None = None  # a short note on a pressed button (Telegram shows it as a toast)
    moved: bool = False
    progress: Callable[[Work], None] | None = None  # the channel's way to show slow work while the turn runs
    in_danger: bool = False  # the family typed words of danger or distress this turn (bot/flows/safety.py)

    @property
    def data(self) -> dict:
        return self.state.data

    def working(self, kind: Work) -> None:
        """Say that slow work has started (making the copies), so the channel can show it at once."""
        if self.progress is not None:
            self.progress(kind)

    def say(self, text: Text, *buttons: tuple[Button, ...]) -> None:
        self.replies.append(Reply(text, tuple(buttons)))

    def go(self, step: str, *, remember: bool = True) -> None:
        """Move to a step; `remember` lets Back return here."""
        if remember and self.state.step != step:
            self.data.setdefault("_trail", []).append(self.state.step)
        self.state.step = step
        self.moved = True

    def home(self) -> None:
        """Back to the menu, forgetting the answers of an unfinished request."""
        self.state.data = {}
        self.state.step = MENU
        self.moved = True

    def back(self) -> None:
        trail = self.data.get("_trail") or []
        self.state.step = trail.pop() if trail else MENU
        self.moved = True


def clean_text(raw: str) -> str:
    """Typed text as Tono keeps it: control characters and invisible marks removed, spaces trimmed."""
    kept = "".join(ch if ch in "\n\t" or unicodedata.category(ch)[0] != "C" else " " for ch in raw)
    return _INVISIBLE.sub("", kept).strip()


def has_words(text: str) -> bool:
    """True if the text has at least one letter or digit (an answer of only emoji says nothing)."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)


BACK = "back"
CANCEL = "cancel"


def nav_buttons(step: Step) -> tuple[Button, ...]:
    back = (Button(_("← Back"), BACK),) if step.can_go_back else ()
    return (*back, Button(_("Cancel"), CANCEL))


class Engine:
    """Runs turns over a table of steps."""

    def __init__(self, steps: dict[str, Step], commands: dict[str, Callable[[Turn, str], Awaitable[None]]],
                 notices: dict[str, Callable[[Turn, str], Awaitable[None]]] | None = None,
                 slow: dict[str, Work] | None = None):
        self.steps = steps
        self.commands = commands
        self.notices = notices or {}  # "prefix" -> handler(turn, rest of the action)
        self.slow = slow or {}  # notice "prefix" -> the slow work its handler does

    def text_limit(self, step_name: str) -> int:
        """The longest typed answer this step takes; a step that reads no text answers any with its buttons."""
        step = self.steps.get(step_name) or self.steps[MENU]
        return step.text_limit if step.on_text is not None else TYPED_LIMIT

    def work_before(self, screen: int, action: str) -> Work | None:
        """The slow work a button's turn does, for a channel that can show it only as the button is pressed."""
        return self.slow.get(action.partition(":")[0]) if screen == NOTICE_SCREEN else None

    async def turn(self, turn: Turn, incoming: Incoming) -> None:
        step = self.steps.get(turn.state.step) or self.steps[MENU]
        if incoming.kind == "command":
            handler = self.commands.get(incoming.command)
            if handler is None:
                turn.say(_("I don't know that command. Here is what I can do."))
                turn.home()
            else:
                await handler(turn, incoming.text)
        elif incoming.kind == "button":
            await self._button(turn, step, incoming)
        elif incoming.kind == "text":
            await self._text(turn, step, incoming.text)
        else:
            turn.say(_("I can only read typed words and button presses here. I can't open photos, stickers, "
                       "voice messages or files."))
            turn.moved = True  # show the question again
        if turn.moved:
            await self.show(turn)

    async def show(self, turn: Turn) -> None:
        """Ask the current step's question, with its buttons, on a new screen."""
        step = self.steps.get(turn.state.step) or self.steps[MENU]
        turn.state.screen += 1
        reply = await step.prompt(turn)
        if turn.state.step != MENU:
            reply = replace(reply, buttons=(*reply.buttons, nav_buttons(step)))
        turn.replies.append(reply)

    async def _button(self, turn: Turn, step: Step, incoming: Incoming) -> None:
        if len(incoming.action) > ACTION_LIMIT or not incoming.action.isprintable():
            turn.notice = _("That button does nothing here.")
            return
        if incoming.screen == NOTICE_SCREEN:
            prefix, _sep, rest = incoming.action.partition(":")
            handler = self.notices.get(prefix)
            if handler is None:
                turn.notice = _("That button does nothing here.")
            else:
                if prefix in self.slow:
                    turn.working(self.slow[prefix])
                await handler(turn, rest)
            return
        if incoming.screen != turn.state.screen:
            turn.notice = _("That button is from an earlier message, so it does nothing now.")
            return
        if incoming.action == CANCEL:
            turn.say(_("Cancelled. Nothing was sent."))
            turn.home()
        elif incoming.action == BACK and step.can_go_back:
            turn.back()
        elif step.on_button is not None:
            await step.on_button(turn, incoming.action)
            if not turn.moved and not turn.replies:
                turn.notice = _("That button does nothing here.")
        else:
            turn.notice = _("That button does nothing here.")

    async def _text(self, turn: Turn, step: Step, raw: str) -> None:
        # Every word a family types is heard for danger first, wherever it is typed; the step then goes on as
        # usual (never blocked), and afterwards the family's wish to talk to a person is marked urgent.
        text = clean_text(raw)
        if sounds_unsafe(text):
            turn.in_danger = True
            turn.say(SAFETY_ANSWER)
        await self._typed(turn, step, text)
        if turn.in_danger:
            await turn.port.raise_concern(turn.chat, text)

    async def _typed(self, turn: Turn, step: Step, text: str) -> None:
        if step.on_text is None:
            if turn.state.step == MENU:
                turn.say(_("I'm a simple helper and work best with the buttons. Here is what I can do."))
            else:
                turn.say(_("Please choose one of the buttons."))
            turn.moved = True
            return
        if not text:
            turn.say(_("That message was empty. Please type your answer, or press Back."))
        elif len(text) > step.text_limit:
            turn.say(_("That is {length} characters long; I can take up to {limit}. Please make it shorter.",
                       length=len(text), limit=step.text_limit))
        elif not has_words(text):
            turn.say(_("Please use some words, so that the people reading it understand."))
        else:
            await step.on_text(turn, text)
            return
        turn.moved = True
