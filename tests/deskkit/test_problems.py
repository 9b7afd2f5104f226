"""A desk's refusals: one exception with a status and a sentence, answered by its API as {"detail": sentence}."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from deskkit.problems import DeskProblem, one_sentence_route


class Body(BaseModel):
    name: str


def api() -> FastAPI:
    router = APIRouter(route_class=one_sentence_route(lambda errors: f"First: {errors[0]['type']}."))

    @router.post("/things")
    async def make(body: Body) -> dict:
        if body.name == "taken":
            raise DeskProblem(409, "That name is taken. Nothing was changed.")
        return {"made": body.name}

    app = FastAPI()
    app.include_router(router)
    return app


async def call(body: object) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api()), base_url="http://desk.test") as client:
        return await client.post("/things", json=body)


def test_a_problem_carries_its_status_and_its_sentence():
    problem = DeskProblem(404, "There is no such task.")

    assert (problem.status, problem.sentence, str(problem)) == (404, "There is no such task.", "There is no such task.")


async def test_a_problem_raised_by_a_route_is_answered_with_its_status_and_sentence():
    answer = await call({"name": "taken"})

    assert answer.status_code == 409
    assert answer.json() == {"detail": "That name is taken. Nothing was changed."}


async def test_input_that_does_not_fit_is_one_sentence_in_the_desks_words_not_a_list():
    answer = await call({"nom": "x"})

    assert answer.status_code == 422
    assert answer.json() == {"detail": "First: missing."}


async def test_a_route_that_succeeds_answers_as_usual():
    answer = await call({"name": "kete"})

    assert (answer.status_code, answer.json()) == (200, {"made": "kete"})
