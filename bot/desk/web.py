"""Small pieces every provider desk page route shares: answering with a page, a problem page, or a redirect
that carries a message (reading a form is deskkit.inputs' and forms.from_form's)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from bot.desk.context import DeskContext
from deskkit.desk import Message
from deskkit.problems import DeskProblem


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
