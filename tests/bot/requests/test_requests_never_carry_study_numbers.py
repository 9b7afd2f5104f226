"""A request never hands a unit both a name and a study number of the same person: over every person of the
demo whose information a unit holds under a study number, and every kind of request, the relayed message names
the person and carries none of the study numbers any unit holds (the demo's reports put them there)."""

from __future__ import annotations

import json

from sqlmodel import select

from agency.models import AgencyRecord
from bot.models import Authority, Person, Request
from bot.requests.staff import relayed_body
from tests.bot.chat_driver import TODAY


async def test_no_relayed_request_carries_a_study_number_any_unit_holds(sessions):
    async with sessions() as session:
        study_numbers = set((await session.exec(select(AgencyRecord.participant_id).where(
            AgencyRecord.study_numbered.is_(True)))).all())
        people = list(await session.exec(select(Person).where(Person.participant_id.is_not(None))))
        parents = {a.subject_id: a.actor_id for a in await session.exec(select(Authority))}
    assert len(study_numbers) >= 25  # the demo's survey answers reached the evaluators under study numbers

    bodies = []
    async with sessions() as session:
        for person in people:
            for kind in ("access", "correction"):
                request = Request(ref=f"R-{person.ref}-{kind}", kind=kind, subject_id=person.id,
                                  requester_id=parents.get(person.id, person.id), chat_link_id=None, scope="both",
                                  identity_checked="id_seen", correction_what="My answers",
                                  correction_should_say="Other answers")
                bodies.append((person, await relayed_body(session, request, TODAY)))

    for person, body in bodies:
        carried = json.dumps(body)
        assert body["subject"]["participant_id"] == person.participant_id  # named...
        assert not any(number in carried for number in study_numbers)  # ...so never a study number
        assert "S-" not in carried.replace(person.participant_id, "")
