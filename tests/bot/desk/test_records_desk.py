"""The programme's data on the provider desk, as staff use it over HTTP on the seeded demo (SQLite and
PostgreSQL): a person's page shows each holding's rows under its labels, forms add and correct rows and record
consent, a refused form says every problem and keeps what was typed, and a CSV upload is all or nothing."""

from __future__ import annotations

import html
import re

from sqlmodel import func, select

from bot.records.tables import ConsentEvent, ProgrammeCorrection, ProgrammeRecord
from tests.bot.desk.provider_desk_support import HTML, post_form, sign_in

ROW = {"session_date": "2019-03-04", "session": "group session", "attended": "yes"}  # before the demo's dates


def text_of(page) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page.text))


def words(page) -> str:
    return " ".join(text_of(page).split())


async def flash_after(client, response) -> str:
    assert response.status_code == 303, response.text
    return words(await client.get(response.headers["location"].split("#")[0], headers=HTML))


async def count(app, model) -> int:
    async with app.state.sessions() as session:
        return (await session.exec(select(func.count()).select_from(model))).one()


async def test_staff_add_a_row_see_it_under_its_labels_and_the_same_row_again_changes_nothing(app, client):
    csrf = await sign_in(client)
    before = await count(app, ProgrammeRecord)

    added = await post_form(client, "/provider/people/P-0001/records/rows/attendance", csrf, **ROW)
    page = await flash_after(client, added)
    again = await post_form(client, "/provider/people/P-0001/records/rows/attendance", csrf,
                            **{**ROW, "session": "Group Session"})
    again_page = await flash_after(client, again)

    assert "Added a row to attendance." in page
    assert "Date Session Came Recorded" in page and "2019-03-04 group session yes" in page
    assert "That row of attendance already says this; nothing changed." in again_page
    assert await count(app, ProgrammeRecord) == before + 1


async def test_a_change_made_in_the_edit_form_is_a_correction_shown_with_its_reason(app, client):
    csrf = await sign_in(client)
    await post_form(client, "/provider/people/P-0001/records/rows/attendance", csrf, **ROW)
    async with app.state.sessions() as session:
        record = (await session.exec(select(ProgrammeRecord).where(ProgrammeRecord.row_key.contains("2019-03-04"))
                                     )).one()

    corrected = await post_form(client, f"/provider/people/P-0001/records/rows/attendance/{record.id}", csrf,
                                **{**ROW, "attended": "no"}, reason="She rang to say she missed it")
    page = await flash_after(client, corrected)

    assert "Corrected a row of attendance; the old values are kept in its corrections." in page
    assert "Came yes → no" in page and "Why: She rang to say she missed it" in page
    async with app.state.sessions() as session:
        [correction] = list(await session.exec(select(ProgrammeCorrection).where(
            ProgrammeCorrection.record_id == record.id)))
    assert (correction.changed_by, correction.new_values["attended"]) == ("kaimahi", "no")


async def test_a_refused_row_says_every_problem_and_keeps_what_was_typed(app, client):
    csrf = await sign_in(client)
    before = await count(app, ProgrammeRecord)

    refused = await post_form(client, "/provider/people/P-0001/records/rows/questionnaire", csrf,
                              stage="start", taken_on="2019-02-30", routines="four", behaviour="3", support="")

    said = words(refused)
    listed = [html.unescape(item) for item in re.findall(r"<li>([^<]*)</li>", refused.text.split(
        'class="items problems"')[1].split("</ul>")[0])]
    assert refused.status_code == 422
    assert "Nothing was recorded: 3 problems, listed at the form below." in said
    assert listed == ["Date answered: '2019-02-30' is not a date; write dates as YYYY-MM-DD.",
                      "Confidence with routines (1 to 5): 'four' is not a number; write it with digits and at "
                      "most one decimal point, such as 3 or 4.5.",
                      "Support from family and friends (1 to 5): left empty, but it must be filled in."]
    assert 'value="four"' in refused.text and "<details open>" in refused.text
    assert await count(app, ProgrammeRecord) == before


async def test_an_unknown_holding_or_person_is_not_found(app, client):
    csrf = await sign_in(client)

    holding = await post_form(client, "/provider/people/P-0001/records/rows/homework", csrf, **ROW)
    person = await post_form(client, "/provider/people/P-9999/records/rows/attendance", csrf, **ROW)

    assert (holding.status_code, person.status_code) == (404, 404)
    assert "No holding has the id 'homework'" in words(holding)
    assert "There is no person 'P-9999'." in words(person)


async def test_a_form_without_its_security_token_changes_nothing(app, client):
    await sign_in(client)
    before = await count(app, ProgrammeRecord)

    refused = await client.post("/provider/people/P-0001/records/rows/attendance", headers=HTML, data=ROW)

    assert refused.status_code == 403 and await count(app, ProgrammeRecord) == before


async def test_a_parent_with_authority_gives_a_childs_consent_and_a_later_withdrawal_is_what_counts(app, client):
    csrf = await sign_in(client)  # the demo's Aroha (P-0001) may act for Mere (P-0003)

    given = await post_form(client, "/provider/people/P-0003/records/consent", csrf, consent="evaluation",
                            given="yes", on="2026-02-01", how="form", by="P-0001")
    given_page = await flash_after(client, given)
    withdrawn = await post_form(client, "/provider/people/P-0003/records/consent", csrf, consent="evaluation",
                                given="no", on="2026-03-01", how="phone")
    page = await flash_after(client, withdrawn)

    assert "Recorded: consent to evaluation given on 2026-02-01." in given_page
    assert "Given on 1 February 2026 (form), by Aroha Parata (P-0001)" in given_page
    assert "Withdrawn on Sunday 1 March 2026." in page
    async with app.state.sessions() as session:
        events = list(await session.exec(select(ConsentEvent).order_by(ConsentEvent.id)))
    assert [(e.given, e.recorded_by) for e in events][-2:] == [(True, "kaimahi"), (False, "kaimahi")]


async def test_someone_without_authority_cannot_give_a_childs_consent(app, client):
    csrf = await sign_in(client)
    before = await count(app, ConsentEvent)

    refused = await post_form(client, "/provider/people/P-0002/records/consent", csrf, consent="evaluation",
                              given="yes", on="2026-02-01", how="form", by="P-0004")

    assert refused.status_code == 422
    assert ("Grace Smith (P-0004) has no recorded authority to act for Nikau Parata (P-0002): record the "
            "authority first, or leave who gave it empty.") in words(refused)
    assert await count(app, ConsentEvent) == before


async def test_a_csv_upload_imports_its_rows_and_a_bad_one_imports_nothing_and_lists_its_lines(app, client):
    csrf = await sign_in(client)
    good = b"\xef\xbb\xbfperson,session_date,session,attended\nP-0001,2019-04-01,home visit,yes\n"
    bad = (b"person,session_date,session,attended\nP-0001,2019-04-08,home visit,yes\n"
           b"P-0042,2019-04-08,home visit,yes\nP-0002,2019-04-31,home visit,yes\n")
    before = await count(app, ProgrammeRecord)

    imported = await client.post("/provider/records/import", headers=HTML, data={"csrf": csrf, "holding": "attendance"},
                                 files={"file": ("april.csv", good, "text/csv")})
    page = await flash_after(client, imported)
    refused = await client.post("/provider/records/import", headers=HTML, data={"csrf": csrf, "holding": "attendance"},
                                files={"file": ("april-2.csv", bad, "text/csv")})

    assert "attendance: 1 row added, 0 corrected, 0 unchanged (from april.csv)." in page
    assert refused.status_code == 422
    said = words(refused)
    assert "Nothing was imported: 2 problems" in said
    assert "line 3: there is no person 'P-0042'." in said
    assert "line 4: Date: '2019-04-31' is not a date; write dates as YYYY-MM-DD." in said
    assert await count(app, ProgrammeRecord) == before + 1


async def test_the_import_page_shows_each_holdings_header(app, client):
    await sign_in(client)

    page = words(await client.get("/provider/records/import", headers=HTML))

    assert "person,session_date,session,attended" in page
    assert "Required: person, stage, taken_on, routines, behaviour, support." in page
