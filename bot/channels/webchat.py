"""The web chat at /chat/: the same flows as Telegram, in a browser, for trying Tono out and for
families without Telegram. A page, and one JSON endpoint that runs a turn. It reaches the conversations only
through their port (bot/chat/ports.py), never the database."""

from __future__ import annotations

import hashlib
import html
import re
import secrets
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Cookie, Header, HTTPException, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from bot.channels.webchat_headers import guard, new_nonce
from bot.chat.ports import ConversationsPort, language_from_hint
from bot.copies.drawing import Busy
from bot.flows.chat import TYPED_LIMIT, Incoming, Reply, Said
from bot.flows.engine import Engine
from bot.language.i18n import Text, _, say
from bot.outbound.wire import button_token

CHANNEL = "web"
COOKIE = "tono_chat"
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

PAGE_TEXT = {
    "title": _("Tono: see and fix the information held about you"),
    "input_label": _("Your message"),
    "send": _("Send"),
    "lost": _("Sorry, that did not reach Tono. Please try again."),
    "log": _("Your conversation with Tono"),
    "typing": _("Tono is typing…"),
    "preparing": _("Preparing your copies…"),
    "download": _("Download the copies (PDF)"),
}


def box_full(limit: int) -> Text:
    """Said under the text box once it holds as much as the step takes (the box takes no more: a paste is cut)."""
    return _("That is as much as I can take here: {limit} characters.", limit=limit)


class TurnIn(BaseModel):
    """One thing the family did in the web chat."""

    kind: Literal["text", "button", "command", "media"]
    text: str = Field("", max_length=TYPED_LIMIT)
    action: str = Field("", max_length=64)
    screen: int | None = Field(None, ge=0, le=10**9)
    command: str = Field("", max_length=32, pattern=r"^[a-z]*$")
    media: str = Field("", max_length=16)
    turn: str | None = Field(None, pattern=r"^[A-Za-z0-9-]{8,64}$", description="Names this turn: a repeat is ignored")


class ButtonOut(BaseModel):
    label: str
    token: str
    work: str | None = None  # the slow work pressing it starts ("copies"): the page says so while it waits


class MessageOut(BaseModel):
    html: str
    mine: bool = False  # the family's own words (a chat shown again after a reload)
    buttons: list[list[ButtonOut]]
    document: str | None = None  # a download link for a copy
    picture: str | None = None  # a link to a picture of what the words say
    alt: str | None = None  # the picture in words


class TurnOut(BaseModel):
    messages: list[MessageOut]
    notice: str | None
    language: str
    screen: int = 0  # the buttons of this screen (and notices') still work; older ones do nothing
    words: dict[str, str] = Field(default_factory=dict, description="The page's own words, in the chat's language")
    text_limit: int = Field(TYPED_LIMIT, description="The longest typed answer the chat now takes: the text box's")


def page_words(language: str, register: str, text_limit: int) -> dict[str, str]:
    words = {name: say(text, language, register) for name, text in PAGE_TEXT.items()}
    words["full"] = say(box_full(text_limit), language, register)
    return words


def chat_key(cookie: str) -> str:
    """The chat's key in the database: a hash of the browser's secret, so a copy of the database
    cannot be used to take over a web chat."""
    return hashlib.sha256(cookie.encode()).hexdigest()[:64]


def webchat_router(conversations: ConversationsPort, secure_cookies: bool = False) -> APIRouter:
    router = APIRouter(prefix="/chat", tags=["web chat"])
    conversations.keep_history(CHANNEL)  # the page keeps nothing: a reload shows the chat from the server

    @router.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page(request: Request, start: str = "", accept_language: str = Header("", max_length=500)):
        language = language_from_hint(accept_language.split(",")[0].strip())
        words = page_words(language, "adult", TYPED_LIMIT)
        nonce = new_nonce()
        response = templates.TemplateResponse(request, "webchat.html", {
            "lang": language, "words": words, "start": start[:64], "nonce": nonce, "text_limit": TYPED_LIMIT,
        })
        if not request.cookies.get(COOKIE):
            give_cookie(response, secrets.token_urlsafe(32))
        return guard(response, nonce)

    def give_cookie(response: Response, secret: str) -> None:
        response.set_cookie(COOKIE, secret, httponly=True, samesite="strict", secure=secure_cookies,
                            max_age=60 * 60 * 24 * 180, path="/chat")

    async def new_cookie_once_linked(key: str, response: Response) -> None:
        """A chat that now knows who the family is gets a new secret, as a desk does at sign-in: a cookie
        someone planted in this browser before the enrolment link was opened no longer reaches it."""
        secret = secrets.token_urlsafe(32)
        if await conversations.rekey_if_linked(CHANNEL, key, chat_key(secret)):
            give_cookie(response, secret)

    @router.post("/turn", response_model=TurnOut)
    async def turn(request: Request, body: TurnIn, response: Response, tono_chat: str | None = Cookie(None),
                   x_tono_chat: str = Header("", description="Must be 1: a cross-site form cannot set it")):
        """Run one turn of the web chat and return Tono's replies."""
        if x_tono_chat != "1":
            raise HTTPException(403, "This endpoint is for Tono's own chat page (X-Tono-Chat header missing).")
        if not tono_chat or len(tono_chat) > 100:
            raise HTTPException(403, "No chat cookie: open /chat/ first.")
        incoming = Incoming(body.kind, text=body.text, action=body.action, screen=body.screen,
                            command=body.command, media=body.media)
        key = chat_key(tono_chat)
        once = f"web:{key[:24]}:{body.turn}" if body.turn else None
        guard(response)
        client = request.client.host if request.client else "unknown"
        said = await conversations.handle(CHANNEL, key, incoming, once=once, client=client)
        if body.kind == "command" and body.command == "start" and body.text:
            await new_cookie_once_linked(key, response)
        out = _out([said], said.language, conversations.engine)
        out.screen, out.text_limit = said.screen, said.text_limit
        out.words = page_words(said.language, said.register, said.text_limit)
        return out

    @router.get("/history", response_model=TurnOut)
    async def history(response: Response, tono_chat: str | None = Cookie(None), x_tono_chat: str = Header("")):
        """This chat's newest messages and where it is now, for the page to show again after a reload."""
        if x_tono_chat != "1" or not tono_chat or len(tono_chat) > 100:
            raise HTTPException(403, "This endpoint is for Tono's own chat page.")
        guard(response)  # a family's words: never kept by a cache
        kept = await conversations.history(CHANNEL, chat_key(tono_chat))
        messages = []
        for mine, said in kept.messages:
            shown = _out([said], said.language, conversations.engine).messages
            messages += [message.model_copy(update={"mine": True}) for message in shown] if mine else shown
        return TurnOut(messages=messages, notice=None, language=kept.language, screen=kept.screen,
                       words=page_words(kept.language, kept.register, kept.text_limit), text_limit=kept.text_limit)

    @router.get("/updates", response_model=TurnOut)
    async def updates(response: Response, tono_chat: str | None = Cookie(None), x_tono_chat: str = Header("")):
        """Messages Tono has for this chat since the last look (answers from the agency, questions)."""
        if x_tono_chat != "1" or not tono_chat or len(tono_chat) > 100:
            raise HTTPException(403, "This endpoint is for Tono's own chat page.")
        guard(response)  # news is handed over once: a cache must never hand it to anyone again
        waiting = await conversations.pending(CHANNEL, chat_key(tono_chat))
        return _out(waiting, waiting[0].language if waiting else "en", conversations.engine)

    @router.get("/copies/{filename}", include_in_schema=False)
    async def copy_download(filename: str, tono_chat: str | None = Cookie(None)) -> Response:
        """A copy the chat was offered, made again on the spot after checking the chat may have it."""
        match = COPY_NAME.match(filename)
        if not match or not tono_chat or len(tono_chat) > 100:
            raise HTTPException(404, "There is no such copy.")
        try:
            document = await conversations.copies_document(CHANNEL, chat_key(tono_chat), *match.groups())
        except Busy as busy:
            return _busy(busy, COPIES_BUSY, match.group(2))
        if document is None:
            raise HTTPException(404, "There is no such copy for this chat.")
        return guard(Response(document.content, media_type="application/pdf",
                              headers={"Content-Disposition": f'attachment; filename="{document.filename}"'}))

    @router.get("/pictures/{filename}", include_in_schema=False)
    async def status_picture(filename: str, tono_chat: str | None = Cookie(None)) -> Response:
        """The picture of a request's steps, drawn again on the spot after checking the chat may see it."""
        match = PICTURE_NAME.match(filename)
        if not match or not tono_chat or len(tono_chat) > 100:
            raise HTTPException(404, "There is no such picture.")
        try:
            picture = await conversations.status_picture(CHANNEL, chat_key(tono_chat), *match.groups())
        except Busy as busy:
            return _busy(busy, PICTURE_BUSY, match.group(2))
        if picture is None:
            raise HTTPException(404, "There is no such picture for this chat.")
        return guard(Response(picture.content, media_type="image/png"))

    return router


PICTURE_NAME = re.compile(r"^([A-Z]{1,6}-\d{4}-\d{6})-(en|mi)-(adult|child)\.png$")
COPY_NAME = re.compile(r"^([A-Z]{1,6}-\d{4}-\d{6})-(en|mi)-(adult|child)\.pdf$")


COPIES_BUSY = _("Your copies are still being made. Please wait a few seconds, then try again.")
PICTURE_BUSY = _("Your picture is still being drawn. Please wait a few seconds, then try again.")


def _busy(busy: Busy, sentence, language: str) -> Response:
    """429 with Retry-After and one plain sentence in the chat's language: this chat, or Tono, is drawing."""
    words = html.unescape(say(sentence, language, "adult"))
    return guard(Response(words, status_code=429, media_type="text/plain; charset=utf-8",
                          headers={"Retry-After": str(busy.retry_after)}))


def _document_link(filename: str) -> str:
    """copies/BFF-2026-000001-mi-child.pdf: the route checks again that this chat may have it."""
    return f"copies/{filename}"


def _picture(reply: Reply, language: str, register: str) -> dict:
    """The picture's link (pictures/BFF-2026-000001-en-adult.png: the route checks the chat again) and words."""
    if reply.picture is None:
        return {}
    alt = " ".join(html.unescape(say(sentence, language, register)) for sentence in reply.picture.alt)
    return {"picture": f"pictures/{reply.picture.filename}", "alt": alt}


def _out(saids: list[Said], language: str, engine: Engine) -> TurnOut:
    messages, notice = [], None
    for said in saids:
        lang, reg = said.language, said.register
        for reply in said.replies:
            screen = said.screen if reply.screen is None else reply.screen
            buttons = [[ButtonOut(label=say(b.label, lang, reg), token=button_token(screen, b.action),
                                  work=engine.work_before(screen, b.action)) for b in row]
                       for row in reply.buttons]
            document = _document_link(reply.document.filename) if reply.document else None
            messages.append(MessageOut(html=say(reply.text, lang, reg), buttons=buttons, document=document,
                                       **_picture(reply, lang, reg)))
        notice = say(said.notice, lang, reg) if said.notice else notice
    return TurnOut(messages=messages, notice=notice, language=language)
