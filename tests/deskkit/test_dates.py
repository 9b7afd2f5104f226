"""Each desk's way of writing dates, through Babel: the same words the desks wrote before they shared it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from deskkit.dates import DateWords

NZ = ZoneInfo("Pacific/Auckland")
PROVIDER = DateWords(day_pattern="d MMM y", moment_pattern="d MMM y, h:mm a", zone=NZ)
AGENCY = DateWords(day_pattern="d MMMM y", moment_pattern="d MMMM y, HH:mm", zone=NZ)
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


def test_the_provider_desk_writes_short_months():
    assert PROVIDER.day(date(2026, 12, 7)) == "7 Dec 2026"
    assert PROVIDER.long_day(date(2026, 12, 7)) == "Monday 7 December 2026"


def test_the_agency_desk_writes_whole_months_as_its_hand_written_list_did():
    for offset in range(0, 800, 7):
        day = date(2026, 1, 1) + timedelta(days=offset)

        assert AGENCY.day(day) == f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def test_a_moment_is_new_zealand_time_and_a_stored_time_without_a_zone_is_utc():
    at = datetime(2026, 11, 24, 21, 15, tzinfo=UTC)  # 10:15 on the 25th in Auckland (NZDT)

    assert AGENCY.moment(at) == "25 November 2026, 10:15"
    assert AGENCY.moment(at.replace(tzinfo=None)) == "25 November 2026, 10:15"
    assert PROVIDER.moment(at).replace("\u202f", " ") == "25 Nov 2026, 10:15 am"


@pytest.mark.parametrize("nothing", [None, ""])
def test_no_date_is_written_as_nothing(nothing):
    assert PROVIDER.day(nothing) == "" and AGENCY.long_day(nothing) == "" and AGENCY.moment(None) == ""


def test_a_date_from_json_text_is_written_like_any_other():
    assert PROVIDER.day("2026-02-10") == "10 Feb 2026"
    with pytest.raises(ValueError):
        PROVIDER.day("not a date")
