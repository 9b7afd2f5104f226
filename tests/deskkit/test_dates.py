"""One way of writing dates and times for people, through Babel in New Zealand time: both desks and the family's
chat write the same day the same way."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from agency.desk import views as agency_views
from bot.desk import views as provider_views
from bot.language.i18n import format_day
from deskkit.dates import DATES, ZONE
from protocol.clock import NZ

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


def test_both_desks_and_the_chat_write_a_day_the_same_way():
    for offset in range(0, 800, 7):
        day = date(2026, 1, 1) + timedelta(days=offset)

        written = f"{day.day} {MONTHS[day.month - 1]} {day.year}"
        assert provider_views.day(day) == agency_views.day(day) == format_day(day, "en") == written


def test_both_desks_write_a_moment_the_same_way_in_new_zealand_time():
    at = datetime(2026, 11, 24, 21, 15, tzinfo=UTC)  # 10:15 on the 25th in Auckland (NZDT)

    assert provider_views.moment(at) == agency_views.DATES.moment(at)
    assert provider_views.moment(at).replace("\u202f", " ") == "25 November 2026, 10:15 am"
    assert DATES.moment(at.replace(tzinfo=None)) == DATES.moment(at)  # a time stored without a zone is UTC


def test_the_zone_is_the_one_deadlines_are_counted_in():
    assert ZONE.key == NZ.key == "Pacific/Auckland"


def test_a_long_day_names_the_weekday():
    assert provider_views.long_day(date(2026, 12, 7)) == "Monday 7 December 2026"


def test_the_chat_writes_te_reo_maori_months_in_the_same_pattern():
    assert format_day(date(2027, 2, 9), "mi") == "9 Pēpuere 2027"


@pytest.mark.parametrize("nothing", [None, ""])
def test_no_date_is_written_as_nothing(nothing):
    assert DATES.day(nothing) == "" and DATES.long_day(nothing) == "" and DATES.moment(None) == ""


def test_a_date_from_json_text_is_written_like_any_other():
    assert DATES.day("2026-02-10") == "10 February 2026"
    with pytest.raises(ValueError):
        DATES.day("not a date")
