"""The one way Tono writes days and moments for people, on both desks and in the family's chat: Babel's CLDR
patterns (the same whatever locale the process runs in), in New Zealand time. "9 February 2027", "Tuesday 9
February 2027", "9 February 2027, 2:30 pm"; in te reo Māori the chat writes "9 Pēpuere 2027".

Here, in the kit both desks share, because it is the one place both sides may import (the chat's own
bot/language/i18n.py takes its days from here too); `tests/deskkit/test_dates.py` holds the three to it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime

ZONE = ZoneInfo("Pacific/Auckland")  # protocol.clock.NZ, where deadlines are counted (deskkit imports no protocol)
DAY = "d MMMM y"
LONG_DAY = "EEEE d MMMM y"
MOMENT = "d MMMM y, h:mm a"  # New Zealand writes the 12-hour clock: 2:30 pm


def a_date(value: date | str | None) -> date | None:
    """A date, also from the ISO text JSON carries ('2026-02-10'); text that is no date raises ValueError."""
    return date.fromisoformat(value) if isinstance(value, str) and value else (value or None)


@dataclass(frozen=True)
class DateWords:
    """Days and moments in one locale (Babel's: en_NZ, mi), by Tono's patterns, in New Zealand time."""

    locale: str = "en_NZ"
    day_pattern: str = DAY
    long_day_pattern: str = LONG_DAY
    moment_pattern: str = MOMENT
    zone: tzinfo = ZONE

    def day(self, value: date | str | None) -> str:
        return format_date(d, self.day_pattern, locale=self.locale) if (d := a_date(value)) else ""

    def long_day(self, value: date | str | None) -> str:
        return format_date(d, self.long_day_pattern, locale=self.locale) if (d := a_date(value)) else ""

    def moment(self, at: datetime | None) -> str:
        """A stored time in New Zealand time; a time stored without a zone is UTC (as both sides store them)."""
        if at is None:
            return ""
        local = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(self.zone)
        return format_datetime(local, self.moment_pattern, locale=self.locale)


DATES = DateWords()  # the desks' English (en_NZ)
