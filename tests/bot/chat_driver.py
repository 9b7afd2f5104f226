"""Driving a family's chat as a person would: read the last messages, press buttons by their label."""

from __future__ import annotations

from datetime import date

from bot.chat.conversation import Conversations
from bot.flows.chat import Incoming, Said
from bot.language.i18n import say

TODAY = date(2026, 11, 25)  # a Wednesday


class FamilyChat:
    """One family's chat, as a person would use it: read the last messages, press buttons by label."""

    def __init__(self, conversations: Conversations, key: str, hint: str | None = "en"):
        self.conversations = conversations
        self.key = key
        self.hint = hint
        self.said: Said | None = None
        self.history: list[str] = []

    async def _turn(self, incoming: Incoming) -> Said:
        self.said = await self.conversations.handle("test", self.key, incoming, self.hint)
        self.history.extend(self.texts)
        return self.said

    async def send(self, text: str) -> Said:
        return await self._turn(Incoming("text", text=text))

    async def command(self, name: str, arg: str = "") -> Said:
        return await self._turn(Incoming("command", command=name, text=arg))

    async def media(self, kind: str) -> Said:
        return await self._turn(Incoming("media", media=kind))

    async def press(self, label: str, *, screen: int | None = None) -> Said:
        """Press the button whose label (as shown) contains `label`, on the screen its message belongs to (the
        latest screen, or the notice screen 0 for a notice's buttons), as a channel does."""
        action, own = self._button(label)
        return await self._turn(Incoming("button", action=action, screen=own if screen is None else screen))

    async def press_action(self, action: str, screen: int | None = None) -> Said:
        screen = self.said.screen if screen is None else screen
        return await self._turn(Incoming("button", action=action, screen=screen))

    def action(self, label: str) -> str:
        return self._button(label)[0]

    def _button(self, label: str) -> tuple[str, int]:
        lang, reg = self.said.language, self.said.register
        for reply in self.said.replies:
            for row in reply.buttons:
                for button in row:
                    if label in say(button.label, lang, reg):
                        return button.action, self.said.screen if reply.screen is None else reply.screen
        raise AssertionError(f"no button {label!r} in {self.labels}")

    def buttons_rows(self):
        lang, reg = self.said.language, self.said.register
        return [[(say(b.label, lang, reg), b.action) for b in row]
                for reply in self.said.replies for row in reply.buttons]

    @property
    def labels(self) -> list[str]:
        return [shown for row in self.buttons_rows() for shown, _ in row]

    @property
    def texts(self) -> list[str]:
        return [say(reply.text, self.said.language, self.said.register) for reply in self.said.replies]

    @property
    def last(self) -> str:
        return self.texts[-1]

    @property
    def all_text(self) -> str:
        return "\n".join(self.texts)
