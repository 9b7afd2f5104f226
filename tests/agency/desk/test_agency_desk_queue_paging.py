"""The unit's queue at any depth: a count that stops at a cap and says so ("1000+"), and pages that each start
after the last task shown (its due date and id), so a page far back costs what the first does; page links the
desk did not make are refused in a sentence, by the pages and the API alike."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from agency.desk import store
from tests.agency.desk.agency_world import HTML, TODAY, browser, more_tasks

TASK_IN_ROW = re.compile(r'<td><a href="/agency/tasks/(\d+)">')
NEXT_LINK = re.compile(r'href="([^"]+)" rel="next"')
BAD_LINK = "That page link is not one this desk made; start again from the first page."


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


async def finished_tasks(world, count: int) -> list[int]:
    """`count` finished tasks of the evaluation unit, three to a due date and half of them withdrawn, so pages
    end inside a day and both states are merged; their ids in the finished view's order (latest due first)."""
    dues = [TODAY - timedelta(days=n // 3) for n in range(count)]
    answered = await more_tasks(world, "evaluation", dues[0::2], state="answered")
    withdrawn = await more_tasks(world, "evaluation", dues[1::2], state="withdrawn")
    keyed = zip([*dues[0::2], *dues[1::2]], [*answered, *withdrawn], strict=True)
    return [task_id for _, task_id in sorted(keyed, reverse=True)]


async def test_the_finished_tasks_come_page_after_page_in_order_with_none_missed_or_repeated(world, evaluation):
    expected = await finished_tasks(world, 60)
    client, _csrf = evaluation

    pages, address = [], "/agency/?show=finished"
    while address:
        page = await client.get(address, headers=HTML)
        assert page.status_code == 200
        pages.append(page)
        onward = NEXT_LINK.search(page.text)
        address = html.unescape(onward[1]) if onward else None

    assert [len(TASK_IN_ROW.findall(p.text)) for p in pages] == [25, 25, 10]
    assert [int(i) for p in pages for i in TASK_IN_ROW.findall(p.text)] == expected
    assert "60 tasks, latest due date first" in pages[0].text and "First page" not in pages[0].text
    assert all('href="/agency/?show=finished">← First page</a>' in p.text for p in pages[1:])


async def test_the_to_do_tasks_page_on_earliest_due_first_through_the_api(world, found, tokens):
    dues = [TODAY + timedelta(days=n // 4 - 3) for n in range(40)]
    made = await more_tasks(world, "evaluation", dues)
    expected = [i for _, i in sorted([*zip(dues, made, strict=True), (found.tasks["evaluation"].due_on,
                                                                         found.tasks["evaluation"].id)])]

    seen, after = [], ""
    async with browser(world.app) as system:
        while True:
            page = (await system.get("/agency/api/tasks", params={"after": after} if after else {},
                                     headers=bearer(tokens["evaluation"]))).json()
            seen += [t["id"] for t in page["tasks"]]
            if page["next_after"] is None:
                break
            after = page["next_after"]

    assert seen == expected


async def test_a_count_past_the_cap_says_at_least_on_the_page_and_in_the_api(world, evaluation, tokens,
                                                                            monkeypatch):
    await finished_tasks(world, 7)
    client, _csrf = evaluation
    monkeypatch.setattr(store, "COUNT_CAP", 5)

    capped = await client.get("/agency/?show=finished", headers=HTML)
    under = await client.get("/agency/", headers=HTML)
    async with browser(world.app) as system:
        capped_api = (await system.get("/agency/api/tasks?show=finished", headers=bearer(tokens["evaluation"]))).json()
        under_api = (await system.get("/agency/api/tasks", headers=bearer(tokens["evaluation"]))).json()

    assert "<caption>5+ tasks, latest due date first</caption>" in capped.text
    assert len(TASK_IN_ROW.findall(capped.text)) == 7  # the cap bounds the count, never the list
    assert "<caption>1 task, earliest due date first" in under.text
    assert (capped_api["total"], capped_api["total_is_lower_bound"], len(capped_api["tasks"])) == (5, True, 7)
    assert (under_api["total"], under_api["total_is_lower_bound"]) == (1, False)


async def test_a_page_link_the_desk_did_not_make_is_refused_in_a_sentence(world, evaluation, tokens):
    client, _csrf = evaluation
    made_up = ["yesterday", "2026-02-30.5", "2026-11-25.0", "2026-11-25.99999999999", "2026-11-25.2147483648",
               "2026-11-25.5 ", "２０２６-11-25.5", "d.2026-11-25.5", "2026-11-25.5' OR '1'='1"]

    async with browser(world.app) as system:
        pages = [await client.get("/agency/", params={"show": "finished", "after": a}, headers=HTML) for a in made_up]
        calls = [await system.get("/agency/api/tasks", params={"after": a}, headers=bearer(tokens["evaluation"]))
                 for a in made_up]

    for page in pages:
        assert page.status_code == 400 and BAD_LINK in page.text and "That page could not be shown" in page.text
    assert [(c.status_code, c.json()) for c in calls] == [(400, {"detail": BAD_LINK})] * len(made_up)


async def test_a_page_link_past_the_last_task_shows_an_empty_page_that_leads_back_to_the_first(world, evaluation):
    client, _csrf = evaluation

    page = await client.get("/agency/?show=finished&after=2000-01-01.1", headers=HTML)

    assert page.status_code == 200 and "No more tasks after the ones you saw." in page.text
    assert 'href="/agency/?show=finished">← First page</a>' in page.text


async def test_api_pages_by_number_reach_only_as_far_as_the_count_and_never_with_a_cursor(world, found, tokens):
    async with browser(world.app) as system:
        last = await system.get(f"/agency/api/tasks?page={store.NUMBERED_PAGES}", headers=bearer(tokens["evaluation"]))
        beyond = await system.get(f"/agency/api/tasks?page={store.NUMBERED_PAGES + 1}",
                                  headers=bearer(tokens["evaluation"]))
        both = await system.get("/agency/api/tasks?page=2&after=2026-11-25.5", headers=bearer(tokens["evaluation"]))
        first = await system.get("/agency/api/tasks?page=1&after=2000-01-01.1", headers=bearer(tokens["evaluation"]))

    assert last.status_code == 200 and last.json()["tasks"] == []
    assert beyond.status_code == 422
    assert beyond.json() == {"detail": f"'page' goes up to {store.NUMBERED_PAGES}; for later tasks, send 'after' "
                                       "with the 'next_after' of the page before."}
    assert both.status_code == 422 and "not both" in both.json()["detail"]
    assert first.status_code == 200 and [t["id"] for t in first.json()["tasks"]] == [found.tasks["evaluation"].id]


async def test_the_openapi_description_says_the_total_may_be_a_lower_bound(world):
    async with browser(world.app) as client:
        described = (await client.get("/openapi.json")).json()

    listed = described["paths"]["/agency/api/tasks"]["get"]
    fields = described["components"]["schemas"]["QueueOut"]["properties"]
    assert "at least this many" in fields["total"]["description"]
    assert fields["total_is_lower_bound"]["type"] == "boolean"
    assert {p["name"] for p in listed["parameters"]} == {"show", "after", "page"}
    assert "400" in listed["responses"]
