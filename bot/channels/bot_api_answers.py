"""Keeps aiogram's models of the Bot API's answers built once, instead of once per garbage collection.

aiogram parses every answer from the Bot API with `Response[method.__returning__]`
(aiogram/client/session/base.py, `check_response`). Pydantic (2.12 and later) caches a parametrised generic
model only by a weak reference, and these classes sit in reference cycles, so every full garbage collection
drops them and the next answer builds its model again: about 3 ms of schema building each time, some 200
times in a 400-update chat benchmark run, a tenth of the bot's CPU (BENCHMARKS.md, "Chat load"). Neither
library has a setting for this, so Tono holds one strong reference to the answer model of every Bot API
method (41 distinct answer types, about 0.1 s once at import).
"""

from __future__ import annotations

import aiogram.methods
from aiogram.methods.base import Response, TelegramMethod


def _answer_types() -> dict[str, object]:
    methods = (getattr(aiogram.methods, name) for name in dir(aiogram.methods))
    return {repr(method.__returning__): method.__returning__ for method in methods
            if isinstance(method, type) and issubclass(method, TelegramMethod) and method is not TelegramMethod}


ANSWER_MODELS = tuple(Response[answer] for answer in _answer_types().values())
