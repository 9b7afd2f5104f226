"""The ports the channels talk through and what answers them agree, method by method and parameter by parameter:
a channel written against a port must work with the Conversations, Notifier and Bot API clients tono/app.py hands
it (typing.Protocol is not checked at run time, and the project runs no type checker)."""

from __future__ import annotations

import inspect

import pytest

from bot.channels.telegram import AiogramBotApi
from bot.channels.telegram_ptb import PtbBotApi
from bot.chat.conversation import Conversations
from bot.chat.ports import ConversationsPort
from bot.outbound.notifier import Notifier
from bot.outbound.push import NotifierPort, PushTarget


def _methods(port: type) -> dict[str, inspect.Signature]:
    return {name: inspect.signature(member) for name, member in vars(port).items()
            if inspect.isfunction(member) and not name.startswith("_")}


def _attributes(port: type) -> list[str]:
    return [name for name in inspect.get_annotations(port) if not name.startswith("_")]


@pytest.mark.parametrize(("port", "concrete"), [(ConversationsPort, Conversations), (NotifierPort, Notifier),
                                                (PushTarget, AiogramBotApi), (PushTarget, PtbBotApi)],
                         ids=["conversations", "notifier", "aiogram push target", "ptb push target"])
def test_what_answers_a_port_has_each_of_its_methods_with_the_same_parameters(port, concrete):
    for name, wanted in _methods(port).items():
        got = inspect.signature(getattr(concrete, name))
        assert list(got.parameters) == list(wanted.parameters), f"{concrete.__name__}.{name}{got} against {wanted}"
        assert inspect.iscoroutinefunction(getattr(concrete, name)) == inspect.iscoroutinefunction(getattr(port, name))


def test_the_notifier_and_the_conversations_have_the_attributes_their_ports_promise(sessions):
    from protocol.agreement import load_agreement

    class Target:
        channel, text_limit = "telegram", 4096

    made = {ConversationsPort: Conversations(sessions, load_agreement()), NotifierPort: Notifier(sessions, Target())}
    for port, concrete in made.items():
        for name in _attributes(port):
            assert hasattr(concrete, name), f"{type(concrete).__name__} has no {name}"
    for api in (AiogramBotApi, PtbBotApi):
        assert {"channel", "text_limit"} <= set(dir(api))
