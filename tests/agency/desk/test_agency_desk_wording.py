"""How the agency desk words a ground of the Privacy Act: with its section and plain meaning, in the same
words as the provider desk (protocol.grounds), never as its code; and the task page's dates in words."""

from __future__ import annotations

import html
import re

from protocol.grounds import ground_line
from tests.agency.desk.agency_world import HTML, family_plan, outcomes_are_sent, post_form, what_the_agency_has

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
WITHHELD_GROUND = "s 53(b): Releasing it would be an unwarranted disclosure of the affairs of another person"
EXTENSION_GROUND = "s 48: Processing the request raises issues so complex"


def visible(page) -> str:
    """What an officer reads: the page's text without scripts and tags, its spaces as one."""
    text = re.sub(r"<script.*?</script>", " ", page.text, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())


async def test_the_units_answer_says_the_ground_for_a_withheld_record_in_words_with_its_section(world, reporting,
                                                                                                 tmp_path):
    client, csrf = reporting
    await outcomes_are_sent(world.sessions, world.link, world.agreement, tmp_path / "keys")  # brings her plan
    found = await what_the_agency_has(world)
    task, records = found.tasks["service-reporting"], found.records["service-reporting"]
    await post_form(client, f"/agency/tasks/{task.id}/claim", csrf)
    withheld = family_plan(records)  # it tells of her sister's own situation
    decisions = {f"decision-{r.id}": "release" for r in records if r is not withheld}
    decisions |= {f"decision-{withheld.id}": "withhold", f"ground-{withheld.id}": "another_persons_affairs",
                  f"explanation-{withheld.id}": "It is mostly about another family member."}
    answered = await post_form(client, f"/agency/tasks/{task.id}/answer", csrf, **decisions)

    page = visible(await client.get(f"/agency/tasks/{task.id}", headers=HTML))

    assert answered.status_code == 303, answered.text[:1500]
    assert "another_persons_affairs" not in page and "another persons affairs" not in page
    assert f"Withheld: {withheld.title}, under {WITHHELD_GROUND}, living or dead." in page
    assert ground_line("another_persons_affairs") in page  # the provider desk's words, from the one source
    assert ISO_DATE.findall(page) == []


async def test_an_extensions_ground_in_the_history_is_said_with_its_section_and_its_dates_in_words(found,
                                                                                                 evaluation):
    client, csrf = evaluation
    task = found.tasks["evaluation"]

    extended = await post_form(client, f"/agency/tasks/{task.id}/extend", csrf, ground="complexity",
                               new_due="2027-02-17", reasons="The records are complex.")
    page = visible(await client.get(f"/agency/tasks/{task.id}", headers=HTML))
    history = page[page.index("Every step of this request"):]

    assert extended.status_code == 303, extended.text[:1500]
    assert f"Ground: {EXTENSION_GROUND}" in history and "ground: complexity" not in history
    assert "New due date: 17 February 2027" in history
    assert ISO_DATE.findall(page) == []


async def test_the_task_page_says_states_in_words_and_names_the_request_not_a_task_number(world, found, evaluation):
    from tests.agency.desk.agency_world import HTML, post_form

    client, csrf = evaluation
    task = found.tasks["evaluation"]
    await post_form(client, f"/agency/tasks/{task.id}/claim", csrf)
    await post_form(client, f"/agency/tasks/{task.id}/clarify", csrf, question="Which term?")
    page = (await client.get(f"/agency/tasks/{task.id}", headers=HTML)).text

    assert "Request: received → waiting for the family&#39;s answer" in page
    assert "Task: open → claimed" in page
    assert f"› Task {task.id}" not in page and f"› {found.request.provider_ref}" in page
