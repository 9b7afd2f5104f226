"""Page links: each desk's cursors read back as written, and a link no desk made is a 400 with one sentence."""

from __future__ import annotations

from datetime import date

import pytest

from deskkit.paging import BAD_LINK, Cursor, Cursors
from deskkit.problems import DeskProblem

WITH_UNDATED = Cursors(max_id=2**63 - 1, undated=True)
DATED = Cursors(max_id=2**31 - 1)


@pytest.mark.parametrize("cursors", [WITH_UNDATED, DATED])
def test_a_dated_cursor_reads_back_as_written(cursors):
    cursor = Cursor(date(2026, 12, 7), 42)

    assert cursors.parse(cursors.text(cursor)) == cursor


def test_links_look_as_each_desk_has_always_written_them():
    assert WITH_UNDATED.text(Cursor(date(2026, 12, 1), 42)) == "d.2026-12-01.42"
    assert WITH_UNDATED.text(Cursor(None, 7)) == "n.7"
    assert DATED.text(Cursor(date(2026, 12, 1), 42)) == "2026-12-01.42"


def test_an_undated_cursor_reads_back_where_undated_rows_are_paged():
    assert WITH_UNDATED.parse("n.7") == Cursor(None, 7)


def test_no_link_means_the_first_page():
    assert DATED.parse("") is None and WITH_UNDATED.parse(None) is None


@pytest.mark.parametrize("cursors, link", [
    (DATED, "yesterday"), (DATED, "2026-02-30.5"), (DATED, "2026-11-25.0"), (DATED, "2026-11-25.2147483648"),
    (DATED, "2026-11-25.99999999999"), (DATED, "n.5"), (DATED, "d.2026-11-25.5"),
    (WITH_UNDATED, "d.2026-13-40.1"), (WITH_UNDATED, "x.1"), (WITH_UNDATED, "n.-1"), (WITH_UNDATED, "n.1;DROP"),
    (WITH_UNDATED, "2026-11-25.5"), (WITH_UNDATED, f"n.{2**63}"),
])
def test_a_link_no_desk_made_is_refused_with_one_sentence(cursors, link):
    with pytest.raises(DeskProblem) as refused:
        cursors.parse(link)

    assert (refused.value.status, refused.value.sentence) == (400, BAD_LINK)
