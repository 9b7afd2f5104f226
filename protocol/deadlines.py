"""When an agency must answer a request: working days and deadlines under the Privacy Act 2020 (NZ).

The rules, in plain words:

- Decision. An agency must decide on a request to see personal information (s 44) or to correct it
  (s 63) as soon as reasonably practicable, and no later than 20 working days after the day it
  receives the request.
- Transfer. If another agency holds the information, the request must be passed on within 10 working
  days (s 43), and the requester told.
- Extension. The agency may extend the 20 working days for a reasonable period on one of three grounds:
  a large quantity of information, necessary consultations, or complexity. It must tell the requester
  (the period, the reasons, and their right to complain) within the original 20 working days (s 48 for
  access, s 65 for corrections).
- Urgency. A requester may ask for urgency and must give reasons (s 41). Urgency asks the agency to
  decide sooner; it does not change the 20 working day limit.
- Working day (s 7(1)). Every day except: Saturdays and Sundays; Waitangi Day, Good Friday, Easter
  Monday, Anzac Day, the Sovereign's birthday, Matariki and Labour Day; the Monday after Waitangi Day
  or Anzac Day when either falls on a weekend; and every day from 25 December to 15 January.
- Counting. The day the request arrives is not counted: the first working day after it is day 1, and
  the 20th working day is the last day for the decision.
- Overdue. Whether a request is overdue is worked out from its due date and today's date whenever it
  is asked; it is never written down, so it can never be out of date.

Only the Act's own list counts. Regional anniversary days (such as Auckland's or Wellington's) and
one-off public holidays (such as the Queen Elizabeth II memorial day of 26 September 2022) are working
days under the Act, even though they are public holidays in some or all of the country.
"""

from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays

from protocol.grounds import ExtensionGround

DECISION_WORKING_DAYS = 20  # s 44 (access) and s 63 (correction)
TRANSFER_WORKING_DAYS = 10  # s 43

_SATURDAY = 5
_MATARIKI_FIRST_YEAR = 2022  # Te Kāhui o Matariki Public Holiday Act 2022


class DeadlineError(ValueError):
    """A date or deadline that the Privacy Act rules do not allow; the message is one plain sentence."""


# Spelled out here rather than taken from strftime, whose day and month names follow the process locale.
_DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_MONTH_NAMES = ["January", "February", "March", "April", "May", "June"]
_MONTH_NAMES += ["July", "August", "September", "October", "November", "December"]


def _say(d: date) -> str:
    """A date as people write it, e.g. 'Tuesday 9 February 2027'."""
    return f"{_DAY_NAMES[d.weekday()]} {d.day} {_MONTH_NAMES[d.month - 1]} {d.year}"


def _a_day(d: date) -> date:
    # A date and time has no single New Zealand calendar day until someone says which time zone;
    # the caller must decide the day (protocol.clock.nz_today gives today), so we refuse to guess.
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(f"Deadlines are counted in whole days: give a date, not {d!r}.")
    return d


# ---- Which days are working days (s 7(1)) ----


def _nth_monday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(-first.weekday()) % 7, weeks=n - 1)


def _and_monday_after_a_weekend(day: date) -> set[date]:
    # Waitangi Day and Anzac Day on a Saturday or Sunday also take the following Monday (s 7(1)).
    if day.weekday() >= _SATURDAY:
        return {day, day + timedelta(days=7 - day.weekday())}
    return {day}


def _national_dates_by_name(year: int) -> dict[str, date]:
    found: dict[str, date] = {}
    for day, names in holidays.country_holidays("NZ", years=year).items():
        # Two holidays on one day come back as one name joined by "; " (Anzac Day and Easter Monday
        # were both on 25 April 2011).
        for name in names.split("; "):
            found[name] = day
    return found


@lru_cache(maxsize=256)
def _named_days_off(year: int) -> frozenset[date]:
    """The days of `year` that s 7(1) names, apart from weekends and the summer closure."""
    # `holidays` supplies only the dates that move: Easter (by the church calendar) and Matariki (set
    # year by year in a schedule to the Matariki Act). Everything else follows the Act's own wording.
    by_name = _national_dates_by_name(year)
    if "Good Friday" not in by_name or "Easter Monday" not in by_name:
        raise DeadlineError(f"Tono cannot count working days in {year}: the Easter dates are not known.")
    days = {
        by_name["Good Friday"],
        by_name["Easter Monday"],
        _nth_monday(year, 6, 1),  # the Sovereign's birthday: first Monday in June
        _nth_monday(year, 10, 4),  # Labour Day: fourth Monday in October
    }
    days |= _and_monday_after_a_weekend(date(year, 2, 6))  # Waitangi Day
    days |= _and_monday_after_a_weekend(date(year, 4, 25))  # Anzac Day
    if year >= _MATARIKI_FIRST_YEAR:
        # The law sets Matariki dates only as far ahead as its schedule goes (2052 at present); counting
        # past that without one would give due dates a day early, so we stop instead.
        if "Matariki" not in by_name:
            raise DeadlineError(f"Tono cannot count working days in {year}: the Matariki date is not known.")
        days.add(by_name["Matariki"])
    return frozenset(days)


def _in_summer_closure(d: date) -> bool:
    # 25 December to 15 January inclusive (s 7(1)); this also covers Christmas, Boxing Day,
    # New Year's Day, 2 January and any day they are moved to.
    return (d.month == 12 and d.day >= 25) or (d.month == 1 and d.day <= 15)


def is_working_day(d: date) -> bool:
    """Whether `d` is a working day as the Privacy Act 2020 defines it (s 7(1))."""
    d = _a_day(d)
    if d.weekday() >= _SATURDAY or _in_summer_closure(d):
        return False
    return d not in _named_days_off(d.year)


# ---- Counting working days ----


def add_working_days(d: date, n: int) -> date:
    """The n-th working day after `d`, not counting `d` itself; `d` when n is 0."""
    d = _a_day(d)
    if n < 0:
        raise DeadlineError(f"The number of working days to add must be zero or more, not {n}.")
    while n > 0:
        d += timedelta(days=1)
        if is_working_day(d):
            n -= 1
    return d


def working_days_between(start: date, end: date) -> int:
    """How many working days come after `start`, up to and including `end` (0 when end <= start)."""
    start, end = _a_day(start), _a_day(end)
    return sum(is_working_day(start + timedelta(days=k)) for k in range(1, (end - start).days + 1))


def decision_due(received: date) -> date:
    """The last day to decide on an access (s 44) or correction (s 63) request: 20 working days."""
    return add_working_days(received, DECISION_WORKING_DAYS)


def transfer_due(received: date) -> date:
    """The last day to transfer a request to another agency (s 43): 10 working days."""
    return add_working_days(received, TRANSFER_WORKING_DAYS)


def is_overdue(due: date, today: date) -> bool:
    """Whether the due date has passed; computed each time, never stored."""
    return _a_day(today) > _a_day(due)


def working_days_left(due: date, today: date) -> int:
    """Working days after today up to the due date: 0 on the due date and once overdue."""
    return working_days_between(today, due)


# ---- Extending the time limit (s 48 for access, s 65 for corrections) ----


def check_extension(received: date, notified_on: date, new_due: date, ground: str) -> date:
    """Check an extension against the Act and return the new due date, or raise DeadlineError."""
    # Whether the new period is *reasonable* is a judgement for the agency (and, on a complaint, the
    # Privacy Commissioner), so it is not checked here; nor is the wording of the notice.
    received, notified_on, new_due = _a_day(received), _a_day(notified_on), _a_day(new_due)
    if ground not in set(ExtensionGround):
        *others, last = (g.value for g in ExtensionGround)
        raise DeadlineError(
            f"'{ground}' is not a ground for extending the time limit; "
            f"the Act allows only {', '.join(others)} or {last}."
        )
    original_due = decision_due(received)
    if notified_on < received:
        raise DeadlineError(
            f"The extension notice ({_say(notified_on)}) cannot come before the request was received "
            f"({_say(received)})."
        )
    if notified_on > original_due:
        raise DeadlineError(
            f"Notice of an extension had to be given by {_say(original_due)}, within the original "
            f"20 working days, but it was given on {_say(notified_on)}."
        )
    if new_due <= original_due:
        raise DeadlineError(
            f"An extended due date must be after the original due date of {_say(original_due)}, "
            f"and {_say(new_due)} is not."
        )
    # A due date that is not a working day would give the requester one date and the agency's own count
    # another; keeping every due date on a working day keeps the two the same.
    if not is_working_day(new_due):
        raise DeadlineError(
            f"An extended due date must be a working day, and {_say(new_due)} is not; "
            f"the next working day is {_say(add_working_days(new_due, 1))}."
        )
    return new_due


# ---- Urgency (s 41) ----


def check_urgency(urgent: bool, reason: str | None) -> None:
    """A request for urgency must give its reasons (s 41); raise DeadlineError when it does not."""
    # Urgency does not shorten the 20 working days: it asks the agency to decide sooner if it can,
    # and the reasons are what the agency weighs.
    if urgent and not (reason and reason.strip()):
        raise DeadlineError("A request for urgency must say why the request is urgent.")
