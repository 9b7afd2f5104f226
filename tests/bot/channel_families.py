"""One way to be a family on every channel: the same few verbs (start with a link, press a button by its
label, type, wait for news) on the web chat and on Telegram through either library, so one journey suite
runs against all three. Each driver reads what the family would see, as text."""

from __future__ import annotations

import asyncio
import html
import re
from typing import Protocol

import httpx
from fastapi import FastAPI

from bot.channels.webchat import webchat_router
from tests.fakes.telegram_users import FakeUser

HEADERS = {"X-Tono-Chat": "1"}  # what the web chat's own page sends
_TAGS = re.compile(r"<[^>]+>")


def plain(markup: str) -> str:
    """What a person reads of a message sent as HTML."""
    return html.unescape(_TAGS.sub("", markup))


class ChannelFamily(Protocol):
    channel: str  # the ChatLink.channel this family's chat is stored under

    async def start(self, code: str) -> None: ...

    async def press(self, label: str) -> None: ...

    async def type(self, text: str) -> None: ...

    async def command(self, name: str) -> None: ...

    async def news(self, containing: str) -> str: ...

    def everything_said(self) -> str: ...


class WebChatFamily:
    """A browser on /chat/: the JSON the page posts and polls, with the page's cookie and header."""

    channel = "web"

    def __init__(self, conversations):
        app = FastAPI()
        app.include_router(webchat_router(conversations))
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tono.test")
        self.said: list[dict] = []

    async def _turn(self, **body) -> None:
        response = await self.client.post("/chat/turn", json=body, headers=HEADERS)
        assert response.status_code == 200, response.text
        self.said.extend(response.json()["messages"])

    async def start(self, code: str) -> None:
        await self.client.get("/chat/", params={"start": code})
        await self._turn(kind="command", command="start", text=code)

    async def press(self, label: str) -> None:
        for message in reversed(self.said):
            for button in (b for row in message["buttons"] for b in row):
                if label in button["label"]:
                    screen, action = button["token"].split(":", 1)
                    return await self._turn(kind="button", screen=int(screen), action=action)
        raise AssertionError(f"no button {label!r} in the web chat")

    async def type(self, text: str) -> None:
        await self._turn(kind="text", text=text)

    async def command(self, name: str) -> None:
        await self._turn(kind="command", command=name)

    async def news(self, containing: str) -> str:
        response = await self.client.get("/chat/updates", headers=HEADERS)
        assert response.status_code == 200, response.text
        self.said.extend(response.json()["messages"])
        return self._find(containing)

    def _find(self, containing: str) -> str:
        texts = [plain(m["html"]) for m in self.said if containing in plain(m["html"])]
        assert texts, f"the web chat never said {containing!r}"
        return texts[-1]

    def everything_said(self) -> str:
        return "\n".join(plain(m["html"]) for m in self.said)

    async def close(self) -> None:
        await self.client.aclose()


class TelegramFamily:
    """A person in a private chat with the bot on the fake Bot API, the channel polling it."""

    channel = "telegram"

    def __init__(self, user: FakeUser):
        self.user = user

    async def _answered(self) -> None:
        """Wait for the bot's reply to what the family just did, then for anything it sends straight after."""
        before = len(self.user.messages)
        for _ in range(200):
            if len(self.user.messages) > before:
                break
            await asyncio.sleep(0.025)
        while True:
            count = len(self.user.messages)
            await asyncio.sleep(0.15)
            if len(self.user.messages) == count:
                return

    async def start(self, code: str) -> None:
        await self.user.send_command("start", code)
        await self._answered()

    async def press(self, label: str) -> None:
        await self.user.press_button(lambda text: label in text)
        await self._answered()

    async def type(self, text: str) -> None:
        await self.user.send(text)
        await self._answered()

    async def command(self, name: str) -> None:
        await self.user.send_command(name)
        await self._answered()

    async def news(self, containing: str) -> str:
        for _ in range(200):  # the notifier pushes news on its own time: up to 5 s
            found = [plain(m.get("text", "")) for m in self.user.messages if containing in plain(m.get("text", ""))]
            if found:
                return found[-1]
            await asyncio.sleep(0.025)
        raise AssertionError(f"the bot never sent {containing!r}")

    def everything_said(self) -> str:
        return "\n".join(plain(m.get("text", "") or m.get("caption", "")) for m in self.user.messages)
