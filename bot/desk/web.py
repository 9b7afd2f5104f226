"""Small pieces every provider desk page route shares: reading a posted form, answering with a page, a
problem page, or a redirect that carries a message."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from bot.desk.context import DeskContext, DeskProblem
from bot.desk.forms import Input, from_form
from deskkit.desk import Message


async def form_values(request: Request) -> dict[str, str]:
    """The posted form's text fields, to validate and, if something is wrong, to show again as typed."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str) and key != "csrf"}


def parse(model: type[Input], values: dict[str, str]) -> Input:
    """The validated shape, or DeskProblem(422) with the sentence that says what does not fit."""
    try:
        return from_form(model, values)
    except ValueError as wrong:
        raise DeskProblem(422, str(wrong)) from None


def back_to(ctx: DeskContext, url: str, sentence: str, kind: str = "info") -> Response:
    """Post, redirect, get: the next page shows the sentence once, and a reload posts nothing again."""
    response = RedirectResponse(url, status_code=303)
    ctx.desk.flash(response, sentence, kind)
    return response


def problem_page(ctx: DeskContext, request: Request, problem: DeskProblem, title: str = "") -> Response:
    heading = title or ("Not found" if problem.status == 404 else "That could not be done")
    return ctx.desk.render(request, "problem.html", {"heading": heading, "messages": [Message(problem.sentence,
                                                                                             "error")]},
                           status_code=problem.status)


def with_error(context: dict[str, Any], problem: DeskProblem) -> dict[str, Any]:
    return {**context, "messages": [Message(problem.sentence, "error")]}
