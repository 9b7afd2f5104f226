"""The agency desk's pages: the unit's queue (its own tasks only, earliest due first, overdue ones said in
words, a page at a time), a task page that shows only the unit's records and is recorded as opened, and
outcomes of information use."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from sqlmodel import select

from agency.models import AgencyEvent, InformationUse
from tests.agency.desk.agency_world import HTML, TODAY, more_tasks, post_form

ROW_DUE = re.compile(r'<tr( class="overdue")?>\s*<td>([^<]+)')
NEXT_LINK = re.compile(r'href="([^"]+)" rel="next"')


async def test_the_queue_shows_only_the_units_tasks_earliest_due_first_with_overdue_ones_said(world, found,
                                                                                            evaluation, reporting):
    await more_tasks(world, "evaluation", [TODAY + timedelta(days=d) for d in (9, -3, 2, -10)])
    await more_tasks(world, "service-reporting", [TODAY - timedelta(days=40)])
    client, _csrf = evaluation

    page = await client.get("/agency/", headers=HTML)

    rows = ROW_DUE.findall(page.text)
    assert [due.strip() for _, due in rows] == ["15 November 2026", "22 November 2026", "27 November 2026",
                                                "4 December 2026", "23 December 2026"]
    assert [bool(overdue) for overdue, _ in rows] == [True, True, False, False, False]
    assert page.text.count('<span class="tag overdue">Overdue</span>') == 2
    assert "OLD-serv" not in page.text and f"/agency/tasks/{found.tasks['service-reporting'].id}\"" not in page.text
    other = await reporting[0].get("/agency/", headers=HTML)
    assert "OLD-eval" not in other.text and other.text.count("Overdue</span>") == 1


async def test_the_queue_comes_a_page_at_a_time_each_next_page_starting_after_the_last_task_shown(world, evaluation):
    await more_tasks(world, "evaluation", [TODAY + timedelta(days=d) for d in range(30)])
    client, _csrf = evaluation

    first = await client.get("/agency/", headers=HTML)
    onward = NEXT_LINK.search(first.text)
    second = await client.get(html.unescape(onward[1]), headers=HTML)
    nonsense = await client.get("/agency/?page=lots&show=everything", headers=HTML)

    assert len(ROW_DUE.findall(first.text)) == 25 and len(ROW_DUE.findall(second.text)) == 6
    assert "31 tasks, earliest due date first" in first.text and "Page 1 of" not in first.text
    assert onward[1].startswith("/agency/?show=todo&amp;after=") and "Next 25 →" in first.text
    assert "First page" not in first.text
    assert 'href="/agency/?show=todo">← First page</a>' in second.text and 'rel="next"' not in second.text
    assert nonsense.status_code == 200 and NEXT_LINK.search(nonsense.text)[1] == onward[1]


async def test_finished_tasks_are_kept_apart_from_the_ones_to_do(world, found, evaluation):
    client, csrf = evaluation
    task, records = found.tasks["evaluation"], found.records["evaluation"]
    await post_form(client, f"/agency/tasks/{task.id}/claim", csrf)
    await post_form(client, f"/agency/tasks/{task.id}/answer", csrf, **{f"decision-{r.id}": "release" for r in records})

    to_do = await client.get("/agency/", headers=HTML)
    finished = await client.get("/agency/?show=finished", headers=HTML)

    assert "Nothing to do" in to_do.text
    assert f"/agency/tasks/{task.id}\"" in finished.text and "Answered" in finished.text


async def test_the_task_page_shows_the_units_records_only_and_its_opening_is_recorded(world, found, evaluation,
                                                                                      reporting):
    await post_form(reporting[0], f"/agency/tasks/{found.tasks['service-reporting'].id}/claim", reporting[1])
    client, _csrf = evaluation
    task = found.tasks["evaluation"]

    page = await client.get(f"/agency/tasks/{task.id}", headers=HTML)

    for record in found.records["evaluation"]:
        assert record.body in page.text
    for record in found.records["service-reporting"]:
        assert record.body.replace("'", "&#39;") not in page.text
    assert "Aroha Parata" in page.text and "BFF-P-1001" in page.text and "23 December 2026" in page.text
    assert "officer-service-reporting" not in page.text  # the other unit's claim is not this unit's history
    async with world.sessions() as session:
        opened = (await session.exec(select(AgencyEvent).where(AgencyEvent.trigger == "opened"))).all()
    assert [(e.task_id, e.actor_role, e.actor_label) for e in opened] == [(task.id, "officer", "officer-evaluation")]
    assert "Opened the request and the unit&#39;s records." in page.text


async def test_a_missing_task_is_a_plain_not_found_page(world, evaluation):
    client, _csrf = evaluation

    missing = await client.get("/agency/tasks/999999", headers=HTML)

    assert missing.status_code == 404
    assert "There is no such task in your unit&#39;s queue." in missing.text


async def test_the_task_page_offers_only_what_the_lifecycles_allow_now(world, found, evaluation):
    client, csrf = evaluation
    task = found.tasks["evaluation"]

    open_ = await client.get(f"/agency/tasks/{task.id}", headers=HTML)
    await post_form(client, f"/agency/tasks/{task.id}/claim", csrf)
    claimed = await client.get(f"/agency/tasks/{task.id}", headers=HTML)
    await post_form(client, f"/agency/tasks/{task.id}/clarify", csrf, question="Which term?")
    clarifying = await client.get(f"/agency/tasks/{task.id}", headers=HTML)

    def offered(page) -> list[str]:
        return re.findall(rf'action="/agency/tasks/{task.id}/(\w+)"', page.text)

    assert offered(open_) == ["claim", "clarify", "extend", "transfer"]
    # Two answer forms: neither confirm nor deny (the whole answer, s 47), and a decision for each record.
    assert offered(claimed) == ["unclaim", "answer", "answer", "clarify", "extend", "transfer"]
    assert offered(clarifying) == ["unclaim", "answer", "answer"]
    assert '<option value="does_not_exist"' not in claimed.text
    assert "s 53(b): Releasing it would be an unwarranted disclosure" in claimed.text


async def test_an_outcome_is_recorded_against_the_units_reports_with_a_template_or_four_versions(world, found,
                                                                                                 evaluation):
    client, csrf = evaluation
    consent, survey = sorted(found.reports["evaluation"])  # the consent forms (named); the survey (study numbers)

    form = await client.get("/agency/outcomes?participant=BFF-P-1001", headers=HTML)
    for_aroha = await post_form(client, "/agency/outcomes", csrf, kind="decision", report=consent, about="participant",
                                participant_id="BFF-P-1001", wording="template",
                                template="evaluation-changed-programme")
    for_all = await post_form(client, "/agency/outcomes", csrf, kind="report", report=survey, about="everyone",
                              wording="written", summary_en_adult="Evaluation report, term 1.",
                              summary_en_child="We wrote about the groups.", summary_mi_adult="Te pūrongo aromatawai.",
                              summary_mi_child="He pūrongo mō ngā rōpū.")
    listed = await client.get("/agency/outcomes", headers=HTML)

    assert 'value="BFF-P-1001"' in form.text
    assert f'value="{consent}"' in form.text and f'value="{survey}"' in form.text
    assert not any(f'value="{ref}"' in form.text for ref in found.reports["service-reporting"])  # not this unit's
    assert (for_aroha.status_code, for_all.status_code) == (303, 303)
    assert "Evaluation team used what the evaluation found to make changes" in html.unescape(listed.text)
    assert "Evaluation report, term 1." in listed.text and "Te pūrongo aromatawai." in listed.text
    async with world.sessions() as session:
        uses = [(u.unit_id, u.participant_id, u.kind, u.reports, u.template) for u in await session.exec(
            select(InformationUse).where(InformationUse.officer_id == found.officers["evaluation"].id,
                                         InformationUse.reported_on == TODAY).order_by(InformationUse.id))]
    assert uses == [("evaluation", "BFF-P-1001", "decision", [consent], "evaluation-changed-programme"),
                    ("evaluation", None, "report", [survey], None)]
