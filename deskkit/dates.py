"""How a desk writes days and moments for people, through Babel (CLDR's patterns, the same whatever locale
the process runs in). Each desk names its own patterns and time zone: the provider desk writes "7 Dec 2026",
the agency desk "7 December 2026", as each did before the two shared this; choosing one is another change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

from babel.dates import format_date, format_datetime


def a_date(value: date | str | None) -> date | None:
    """A date, also from the ISO text JSON carries ('2026-02-10'); text that is no date raises ValueError."""
    return date.fromisoformat(value) if isinstance(value, str) and value else (value or None)


@dataclass(frozen=True)
class DateWords:
    """One desk's way of writing dates: Babel patterns for a day, a long day and a moment, in `zone`."""

    day_pattern: str
    moment_pattern: str
    zone: tzinfo
    long_day_pattern: str = "EEEE d MMMM y"
    locale: str = "en_NZ"

    def day(self, value: date | str | None) -> str:
        return format_date(d, self.day_pattern, locale=self.locale) if (d := a_date(value)) else ""

    def long_day(self, value: date | str | None) -> str:
        return format_date(d, self.long_day_pattern, locale=self.locale) if (d := a_date(value)) else ""

    def moment(self, at: datetime | None) -> str:
        """A stored time in the desk's zone; a time stored without a zone is UTC (as both desks store them)."""
        if at is None:
            return ""
        local = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(self.zone)
        return format_datetime(local, self.moment_pattern, locale=self.locale)
