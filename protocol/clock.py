"""Time as both organisations record it: UTC moments in storage, New Zealand dates for deadlines."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

NZ = ZoneInfo("Pacific/Auckland")


def utcnow() -> datetime:
    """Now, in UTC, with the zone attached (storage keeps every moment in UTC)."""
    return datetime.now(UTC)


def nz_today(now: datetime | None = None) -> date:
    """Today's date in New Zealand, the date the Privacy Act's working days are counted in."""
    return (now or utcnow()).astimezone(NZ).date()
