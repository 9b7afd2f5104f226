"""The demo's programme data: what CCSS records about the demo whānau and about a cohort of synthetic
participants, enough for every flow of the agreement to have something to send, and for the evaluation's
survey answers to pass the small-group check with one group held back (so the desk shows both).

Everything here is invented. The synthetic participants are called "Cohort Member 01" and so on, with
participant ids from BFF-P-2001; nothing about them is real. The data is the same on every run (no randomness),
so `tono seed-demo` can be run again and adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

# The cohort's programme ran from September to November 2026: every flow has a complete month to report.
COHORT_START = date(2026, 9, 1)
FINISHED_ON = date(2026, 11, 27)
GROUP_SESSIONS = [date(2026, 9, 8) + timedelta(weeks=2 * n) for n in range(6)]  # fortnightly Tuesdays
HOME_VISITS = [date(2026, 9, 17), date(2026, 10, 15), date(2026, 11, 12)]


@dataclass(frozen=True)
class Participant:
    """One person's programme data, as the demo records it."""

    ref: str
    suburb: str
    age_group: str | None  # None: a child (no questionnaire)
    ethnicity: str
    referred_by: str
    evaluation: bool  # consented to take part in the evaluation
    finished: bool
    goal: str
    goal_met: str = "yes"
    routines: int = 3


# The demo whānau of tono/demo.py. Aroha and Grace take part in the evaluation; Grace's survey group (Porirua,
# 45 and over, Asian) is smaller than five after Porirua's suburbs are joined, so it is held back.
WHANAU = [
    Participant("P-0001", "Newtown", "35 to 44", "Māori", "school", True, True,
                "A calm bedtime routine. Reviewed with Aroha and her sister, who shared details of her own "
                "situation.", "partly", 2),
    Participant("P-0002", "Newtown", None, "Māori", "school", False, True, "Join a weekend sports team."),
    Participant("P-0003", "Newtown", None, "Māori", "school", False, True, "Feel settled at the new school."),
    Participant("P-0004", "Ranui", "45 and over", "Asian", "health", True, False,
                "Regular family meals together.", routines=3),
    Participant("P-0005", "Ranui", None, "Asian", "health", False, False, "Sleep through the night."),
    Participant("P-0006", "Naenae", "25 to 34", "Pacific peoples", "self", False, True,
                "A regular morning routine.", "yes", 4),
    Participant("P-0007", "Naenae", None, "Pacific peoples", "self", False, True, "Start kindergarten."),
]

# (count, suburbs they live in, age group, ethnicity): the synthetic cohort's survey groups once suburbs are
# joined into cities. Every group has at least five people except the one Grace joins, which stays at four.
SYNTHETIC_GROUPS = [
    (7, ("Newtown", "Berhampore", "Island Bay"), "35 to 44", "Māori"),
    (7, ("Kilbirnie", "Miramar", "Te Aro"), "35 to 44", "European"),
    (8, ("Cannons Creek", "Waitangirua", "Ranui"), "25 to 34", "Pacific peoples"),
    (6, ("Naenae", "Taitā", "Wainuiomata"), "35 to 44", "Māori"),
    (3, ("Cannons Creek", "Waitangirua"), "45 and over", "Asian"),
]
GOALS = ["Calmer mornings before school.", "More time outdoors together.", "A bedtime routine that sticks.",
         "Less screen time at dinner.", "Reading together most nights."]
REFERRED_BY = ["school", "health", "family or friends", "self", "other agency"]


@dataclass(frozen=True)
class SyntheticPerson:
    ref: str
    participant_id: str
    given_name: str
    family_name: str
    birth_date: date
    data: Participant


def synthetic_people() -> list[SyntheticPerson]:
    """The synthetic cohort: invented parents, one per family, with their programme data."""
    people = []
    number = 0
    for count, suburbs, age_group, ethnicity in SYNTHETIC_GROUPS:
        for i in range(count):
            number += 1
            age = {"25 to 34": 30, "35 to 44": 40, "45 and over": 50}[age_group] + i % 4
            data = Participant(
                f"P-{100 + number:04d}", suburbs[i % len(suburbs)], age_group, ethnicity,
                REFERRED_BY[number % len(REFERRED_BY)], evaluation=True, finished=number % 3 == 0,
                goal=GOALS[number % len(GOALS)], goal_met=("yes", "partly", "no")[number % 3], routines=1 + number % 5)
            # Named as what they are, so no one mistakes them for a family (and no search in the tests meets them).
            people.append(SyntheticPerson(data.ref, f"BFF-P-{2000 + number}", "Cohort", f"Member {number:02d}",
                                          date(2026 - age, 1 + number % 12, 1 + number % 28), data))
    return people


def rows_for(person, data: Participant) -> dict[str, list[dict]]:
    """Each holding's rows for one person, as staff would type them (values as text)."""
    start = COHORT_START + timedelta(days=int(data.ref[-2:]) % 9)
    rows: dict[str, list[dict]] = {
        "enrolment": [{"given_name": person.given_name, "family_name": person.family_name,
                       "date_of_birth": person.birth_date.isoformat(), "suburb": data.suburb,
                       "referred_by": data.referred_by, "start_date": start.isoformat(),
                       "finish_date": FINISHED_ON.isoformat() if data.finished else ""}],
        "attendance": [{"session_date": day.isoformat(), "session": "group session",
                        "attended": "no" if (n + int(data.ref[-1])) % 5 == 0 else "yes"}
                       for n, day in enumerate(GROUP_SESSIONS) if day >= start]
        + [{"session_date": day.isoformat(), "session": "home visit", "attended": "yes"} for day in HOME_VISITS],
        "family-plan": [{"goal": data.goal, "set_on": (start + timedelta(days=7)).isoformat(),
                         "met": data.goal_met if data.finished else "",
                         "reviewed_on": FINISHED_ON.isoformat() if data.finished else ""}],
    }
    if data.evaluation and data.age_group is not None:
        agreed = start + timedelta(days=2)
        rows["evaluation-consent"] = [{"given_name": person.given_name, "family_name": person.family_name,
                                       "contact": f"{person.given_name}.{person.family_name}@example.com"
                                                  .lower().replace(" ", ""),
                                       "agreed_on": agreed.isoformat()}]
        rows["questionnaire"] = [{"stage": "start", "taken_on": (agreed + timedelta(days=5)).isoformat(),
                                  "routines": str(data.routines), "behaviour": str(1 + (data.routines + 1) % 5),
                                  "support": str(1 + (data.routines + 2) % 5), "suburb": data.suburb,
                                  "age_group": data.age_group, "ethnicity": data.ethnicity}]
    return rows


def consent_day(data: Participant) -> date:
    """The day the person agreed to take part in the evaluation (the consent form's date)."""
    return COHORT_START + timedelta(days=int(data.ref[-2:]) % 9 + 2)
