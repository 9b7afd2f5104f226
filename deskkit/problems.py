"""What a desk says when it cannot do something: one exception with an HTTP status and one sentence a
person can act on (nothing was changed), and the route class that answers a JSON API's refusals as
{"detail": "that sentence"}. Both desks raise it from their services, so a page and an API call that do the
same thing refuse it with the same words."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel

Explain = Callable[[Sequence[Mapping[str, Any]]], str]


class DeskProblem(Exception):
    """An action that cannot be done: an HTTP status and one clear sentence (nothing was changed)."""

    def __init__(self, status: int, sentence: str) -> None:
        super().__init__(sentence)
        self.status, self.sentence = status, sentence


class Problem(BaseModel):
    """How a JSON API's refusal reads, for its OpenAPI page."""

    detail: str


def problem_response(problem: DeskProblem) -> JSONResponse:
    return JSONResponse({"detail": problem.sentence}, status_code=problem.status)


def one_sentence_route(explain: Explain) -> type[APIRoute]:
    """A route class for a desk's JSON API: input that does not fit (422, said by the desk's `explain` of
    pydantic's errors) and any DeskProblem (its own status) both answer {"detail": "one sentence"}, never
    FastAPI's list of validation errors."""

    class OneSentenceRoute(APIRoute):
        def get_route_handler(self) -> Callable:
            handle = super().get_route_handler()

            async def handler(request: Request) -> Response:
                try:
                    return await handle(request)
                except RequestValidationError as wrong:
                    return problem_response(DeskProblem(422, explain(list(wrong.errors()))))
                except DeskProblem as problem:
                    return problem_response(problem)

            return handler

    return OneSentenceRoute
