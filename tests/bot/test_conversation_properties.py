"""Property: no sequence of what a family (or someone pretending to be one) can send crashes a conversation
or leaves it somewhere it cannot go on from. Hypothesis plays scripts of typed text, commands, real and
forged button presses and media into `Conversations.handle` on a real database (both kinds), and after
every turn checks that Tono said something and that the stored state is one the flows know."""

from __future__ import annotations

import asyncio
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from bot.chat.chat_limits import ChatLimits
from bot.chat.conversation import Conversations
from bot.flows import COMMANDS, ENGINE
from bot.flows.chat import Incoming
from bot.language.i18n import say
from bot.models import ChatLink, Conversation, Person
from bot.people.enrolment import issue_code
from protocol.agreement import load_agreement
from tests.bot.chat_driver import TODAY
from tono.database import make_engine, make_sessionmaker

NASTY = ["", " ", "\x00", "\ud800", "\u202e\u200f", "'; DROP TABLE provider_request; --", "<script>x</script>",
         "x" * 5001, "🙂", "عنوان", "P-0001", "BFF-2026-000001", "../../etc/passwd", "0", "-1", "9" * 30]
texts = st.one_of(st.sampled_from(NASTY), st.text(max_size=60))
PREFIXES = ["person", "clarify", "copies", "copy", "statement", "withdraw", "together", "register", "language"]
actions = st.one_of(
    st.sampled_from(["back", "cancel", "send", "restart", "person:1", "clarify:BFF-2026-000001",
                     "copies:BFF-2026-000001", "copy:x:mi:child", "statement:BFF-2026-000001:ccss:1", ":", "a" * 65]),
    st.builds(lambda prefix, rest: f"{prefix}:{rest}", st.sampled_from(PREFIXES), texts),  # a real kind, forged
    st.builds(lambda prefix, rest: f"{prefix}:{rest}", st.sampled_from(PREFIXES), texts),
    texts)
# One step of a script: ("press", n) presses the n-th button on screen (the way to get deep into a flow);
# the others are what a client could send whatever is on screen.
steps = st.one_of(
    st.tuples(st.just("press"), st.integers(0, 20)),
    st.tuples(st.just("press"), st.integers(0, 20)),
    st.tuples(st.just("press"), st.integers(0, 20)),
    st.tuples(st.just("stale"), st.integers(0, 20)),
    # Screen 0 is the notices' (their buttons act on a request reference): forged presses aim there most.
    st.tuples(st.just("forge"), actions, st.sampled_from([0, 0, 0, -1, None, 1, 10**9])),
    st.tuples(st.just("forge"), actions, st.just(0)),
    st.tuples(st.just("text"), texts),
    st.tuples(st.just("command"), st.sampled_from([*COMMANDS, "START", "x" * 40, ""]), texts),
    st.tuples(st.just("media"), st.sampled_from(["photo", "sticker", "voice", "document", "other", ""])),
)
scripts = st.tuples(st.booleans(), st.sampled_from(["en", "mi", None, "fr"]), st.lists(steps, min_size=1, max_size=10))


def _incoming(step: tuple, said) -> Incoming:
    kind = step[0]
    buttons = [b for reply in (said.replies if said else []) for row in reply.buttons for b in row]
    if kind in ("press", "stale"):
        if not buttons:
            return Incoming("text", text="hello")
        button = buttons[step[1] % len(buttons)]
        screen = said.screen if kind == "press" else max(0, said.screen - 1 - step[1])
        return Incoming("button", action=button.action, screen=screen)
    if kind == "forge":
        return Incoming("button", action=step[1], screen=step[2])
    if kind == "text":
        return Incoming("text", text=step[1])
    if kind == "command":
        return Incoming("command", command=step[1], text=step[2])
    return Incoming("media", media=step[1])


class Player:
    """Plays scripts against one database, each in a chat of its own."""

    def __init__(self, url: str):
        self.engine = make_engine(url)
        self.sessions = make_sessionmaker(self.engine)
        self.conversations = Conversations(self.sessions, load_agreement(), today=lambda: TODAY)
        # Scripts press far faster than a person; the flood limit has its own tests (tests/security).
        self.conversations.chat_limits = ChatLimits(turns=10**6)
        self.played = 0

    async def play(self, enrol: bool, hint: str | None, script: list) -> None:
        self.played += 1
        key = f"property-{self.played}"
        said = None
        if enrol:
            async with self.sessions.begin() as session:
                person = (await session.exec(select(Person).where(Person.ref == "P-0001"))).one()
                code = await issue_code(session, person)
            said = await self.conversations.handle("test", key, Incoming("command", command="start", text=code), hint)
        for step in script:
            said = await self.conversations.handle("test", key, _incoming(step, said), hint)
            await self._check(key, said)

    async def _check(self, key: str, said) -> None:
        shown = [say(r.text, said.language, said.register) for r in said.replies]
        assert shown or said.notice is not None, "Tono said nothing"
        if said.notice is not None:
            assert say(said.notice, said.language, said.register)
        async with self.sessions() as session:
            link = (await session.exec(select(ChatLink).where(ChatLink.chat_key == key))).one()
            conversation = (await session.exec(select(Conversation).where(Conversation.chat_link_id == link.id))).one()
        assert conversation.step in ENGINE.steps
        assert all(step in ENGINE.steps for step in conversation.data.get("_trail", []))
        assert conversation.version == said.screen
        json.dumps(conversation.data)  # what is stored reads back as it was written


def test_no_script_of_inputs_crashes_a_conversation_or_leaves_it_stuck(seeded_url):
    runner = asyncio.Runner()
    player = Player(seeded_url)

    @settings(max_examples=30, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(scripts)
    def play(script):
        runner.run(player.play(*script))

    try:
        play()
    finally:
        runner.run(player.engine.dispose())
        runner.close()
