"""A record a report brings is titled by its row's dates and choices, never by free text: a title is shown
wherever the record is named, to the family too ("not given to you: …") when it is withheld."""

from __future__ import annotations

from agency.report_rows import RowShape
from protocol.agreement import load_agreement

AGREEMENT = load_agreement()


def test_a_family_plan_goal_written_in_free_text_stays_out_of_the_title_and_in_the_body():
    flow = AGREEMENT.flow("outcomes")
    shape = RowShape.of(AGREEMENT, flow, flow.fields, "2026-11")
    row = ["BFF-P-1001", "row-1", "Reviewed with her sister, who shared her own situation.", "2026-09-10", "partly",
           "2026-11-27"]

    assert shape.title(row) == "Family plan: 27 November 2026"
    assert "her own situation" in shape.body(row)


def test_attendance_is_titled_by_its_date_and_its_session():
    flow = AGREEMENT.flow("attendance")
    shape = RowShape.of(AGREEMENT, flow, flow.fields, "2026-11")

    assert shape.title(["BFF-P-1001", "row-1", "2026-11-03", "group session", "yes"]) == (
        "Attendance: 3 November 2026, group session")
