"""One family's access request, from the chat to the copies, driven as people would after an outage: each
step looks at where things are before acting, and an API call cut off by a dead server is made again once
it is back. A refusal ("already done", "not allowed now") after such a retry means the first call went
through; the step then checks that it did.

The family asks in Telegram (te reo Māori, adult) about both CCSS and the agency; staff approve and relay
through the provider API; each unit's officer claims and answers through the agency API (evaluation
releases all, service delivery reporting releases one record and withholds one on another person's
affairs); staff prepare; a translator writes the te reo Māori versions (straight into the database, as
the prepare pages do); staff deliver; the family presses "send me the copies" and gets the PDF.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx

from tests.crash.chaos import Chaos
from tests.crash.harness import STUDY_PART_OF, RecordingTelegram, Server, Template

CHAT_ID = 4242
LANGUAGE, REGISTER = "mi", "adult"
# The family's presses, by button action, from the first question after /start to "send my request".
FAMILY_PRESSES = ("no", "access", "self", "both", "skip", "copy", "no", "send")
STEP_LIMIT = 120.0  # seconds any one step may wait (restarts and a killed sender's lease included)


class Stuck(AssertionError):
    """A step did not happen in time: the journey is stuck."""


@dataclass
class Effort:
    """What recovering took, for the report."""

    retried_calls: int = 0  # API calls cut off by a kill and made again
    already_done: int = 0  # of those, refused because the first call had gone through
    family_repeats: int = 0  # presses the family made again because their first was lost


def actions_of(message: dict) -> list[str]:
    return [b.get("callback_data", "") for row in message.get("reply_markup", {}).get("inline_keyboard", [])
            for b in row]


class Journey:
    def __init__(self, server: Server, telegram: RecordingTelegram, template: Template, chaos: Chaos | None):
        self.server, self.telegram, self.template, self.chaos = server, telegram, template, chaos
        self.family = telegram.user(CHAT_ID, "Aroha", language_code=LANGUAGE)
        self.effort = Effort()
        self.ref = ""

    def _phase(self, phase: str, key_call: bool = False) -> None:
        if self.chaos is not None:
            self.chaos.phase = phase
            if key_call:
                self.chaos.at(phase)

    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=30) as self.http:
            await self.family_asks()
            await self.staff_relay()
            await self.units_answer()
            await self.staff_deliver()
            await self.family_takes_the_copies()

    # --- looking ------------------------------------------------------------------------------------------

    def _one(self, sql: str, *params) -> object:
        rows = self.server.query(sql, *params)
        return rows[0][0] if rows else None

    def request_state(self) -> str | None:
        return self._one("SELECT state FROM provider_request WHERE ref = ?", self.ref)

    def task_states(self) -> dict[str, str]:
        return dict(self.server.query(
            "SELECT t.unit_id, t.state FROM agency_task t JOIN agency_request r ON r.id = t.request_id "
            "WHERE r.provider_ref = ?", self.ref))

    async def until(self, what: str, check) -> None:
        deadline = time.monotonic() + STEP_LIMIT
        while not check():
            self.server.check_alive()
            if time.monotonic() > deadline:
                raise Stuck(f"{what} never happened (request {self.ref}: {self.request_state()}, tasks "
                            f"{self.task_states()})\n{self.server.log_tail()}")
            await asyncio.sleep(0.1)

    # --- calling the APIs ----------------------------------------------------------------------------------

    async def call(self, method: str, path: str, token: str, body: dict | None = None) -> tuple[httpx.Response, bool]:
        """The response, and whether a kill cut off an earlier try of this call."""
        retried = False
        deadline = time.monotonic() + STEP_LIMIT
        while True:
            try:
                answer = await self.http.request(method, self.server.url + path, json=body,
                                                 headers={"Authorization": f"Bearer {token}"})
            except httpx.TransportError:
                self.server.check_alive()
                if time.monotonic() > deadline:
                    raise Stuck(f"{method} {path} never got through\n{self.server.log_tail()}") from None
                self.effort.retried_calls += not retried
                retried = True
                await asyncio.sleep(0.2)
                continue
            if answer.status_code == 429:
                await asyncio.sleep(float(answer.headers.get("Retry-After", "1")))
                continue
            return answer, retried

    async def act(self, method: str, path: str, token: str, body: dict | None, happened) -> None:
        """Make a call that moves the journey on; a refusal after a retry must mean it had happened."""
        answer, retried = await self.call(method, path, token, body)
        if answer.status_code == 200:
            return
        if retried and answer.status_code == 409 and happened():
            self.effort.already_done += 1
            return
        raise AssertionError(f"{method} {path}: {answer.status_code} {answer.text} (retried: {retried})")

    # --- the family, in Telegram ---------------------------------------------------------------------------

    async def family_asks(self) -> None:
        self._phase("family")
        await self._family_does(lambda: self.family.send_command("/start", self.template.code), "no")
        for action, then in zip(FAMILY_PRESSES, (*FAMILY_PRESSES[1:], None), strict=True):
            await self._family_does(lambda a=action: self._press(a), then)
        await self.until("the request", lambda: self._one("SELECT ref FROM provider_request") is not None)
        self.ref = self._one("SELECT ref FROM provider_request")
        await self.until("the request submitted", lambda: self.request_state() == "submitted")

    async def _press(self, action: str, phase: str = "family") -> dict:
        self._phase(phase, key_call=phase == "family")
        message = next(m for m in reversed(self.family.messages) if any(a.endswith(f":{action}")
                                                                       for a in actions_of(m)))
        token = next(a for a in actions_of(message) if a.endswith(f":{action}"))
        return await self.family.press(message, token)

    async def _family_does(self, act, then: str | None) -> None:
        """Send or press, then wait for the bot's next buttons (`then`); press again if the first was lost."""
        seen = len(self.family.messages)
        await act()
        update = self.telegram.queued[-1]
        deadline = time.monotonic() + STEP_LIMIT
        while not self._arrived(seen, then, update):
            self.server.check_alive()
            if self.chaos is not None and update in self.chaos.lost_updates:
                self.effort.family_repeats += 1  # nothing came back: as anyone would, they try again
                await act()
                update = self.telegram.queued[-1]
            if time.monotonic() > deadline:
                raise Stuck(f"the bot never answered the family's {then!r}\n{self.server.log_tail()}")
            await asyncio.sleep(0.1)

    def _arrived(self, seen: int, then: str | None, update: int) -> bool:
        if then is None:  # the last press: the request is sent when the bot has taken the press
            return bool(self.server.query("SELECT 1 FROM provider_seen_update WHERE key = ?", f"tg:{update}"))
        return any(a.endswith(f":{then}") for m in self.family.messages[seen:] for a in actions_of(m))

    async def family_takes_the_copies(self) -> None:
        self._phase("delivery")
        copies = f"copies:{self.ref}"
        await self.until("the news that the answer is ready",
                         lambda: any(copies in a for m in self.family.messages for a in actions_of(m)))
        await self._family_does(lambda: self._press(copies, "delivery"), None)
        await self.until("the copies", lambda: any(m.get("document") for m in self.family.messages))

    # --- staff, through the provider API -------------------------------------------------------------------

    async def staff_step(self, step: str, source: str, body: dict | None = None) -> None:
        if self.request_state() != source:
            return  # done already (before a kill, or by a retried call)
        await self.act("POST", f"/provider/api/requests/{self.ref}/{step}", self.template.staff_token, body,
                       lambda: self.request_state() != source)

    async def staff_relay(self) -> None:
        self._phase("relay")
        await self.staff_step("approve", "submitted", {"identity_checked": "known_in_person"})
        self._phase("relay", key_call=True)
        await self.staff_step("relay", "approved")
        await self.until("both units' tasks", lambda: len(self.task_states()) == 2)

    async def staff_deliver(self) -> None:
        await self.until("the request answered", lambda: self.request_state() in ("answered", "preparing",
                                                                                  "delivered"))
        self._phase("delivery")
        await self.staff_step("prepare", "answered")
        await self.translator_writes()
        self._phase("delivery", key_call=True)
        await self.staff_step("deliver", "preparing")

    async def translator_writes(self) -> None:
        """The te reo Māori version of every item the family gets, written once, as the prepare pages do."""
        from sqlmodel import select

        from bot.copies.items import answer_items, missing, versions
        from bot.models import ItemVersion, Request
        from tono.database import make_engine, make_sessionmaker

        engine = make_engine(self.server.database_url)
        try:
            async with make_sessionmaker(engine).begin() as session:
                request = (await session.exec(select(Request).where(Request.ref == self.ref))).one()
                items = await answer_items(session, request)
                for item in missing(items, LANGUAGE, REGISTER, await versions(session, request)):
                    session.add(ItemVersion(request_id=request.id, item_key=item.key, language=LANGUAGE,
                                            audience=REGISTER, title=f"{item.title} (reo Māori)",
                                            text=f"Ko tēnei te tuhinga: {item.text}", written_by="kaiwhakamāori"))
        finally:
            await engine.dispose()

    # --- officers, through the agency API ------------------------------------------------------------------

    async def units_answer(self) -> None:
        # Always in the same order: the explanation lists the units in the order they answered.
        self._phase("answer")
        units = sorted(key for key in self.template.officer_tokens if not key.startswith(STUDY_PART_OF))
        killed_at = self.chaos.rng.choice(units) if self.chaos is not None else None
        for unit in units:
            await self.unit_answers(unit, key_call=unit == killed_at)
        for key in sorted(key for key in self.template.officer_tokens if key.startswith(STUDY_PART_OF)):
            await self.study_part_answered(key.removeprefix(STUDY_PART_OF), self.template.officer_tokens[key])

    async def study_part_answered(self, unit: str, token: str) -> None:
        """The unit's evaluator answers the request's study part (its own reference, only a study number)."""
        part = self._one("SELECT p.ref FROM provider_study_part p JOIN provider_request r ON r.id = p.request_id "
                         "WHERE r.ref = ? AND p.unit = ?", self.ref, unit)
        if part is None:
            return
        task = "SELECT t.id FROM agency_task t JOIN agency_request r ON r.id = t.request_id WHERE r.provider_ref = ?"
        await self.until("the study part received", lambda: self._one(task, part) is not None)
        task_id = self._one(task, part)
        state = lambda: self._one("SELECT state FROM agency_task WHERE id = ?", task_id)  # noqa: E731
        if state() == "open":
            await self.act("POST", f"/agency/api/tasks/{task_id}/claim", token, None, lambda: state() != "open")
        if state() == "claimed":
            await self.act("POST", f"/agency/api/tasks/{task_id}/answer", token, {"release": [
                r for (r,) in self.server.query(
                    "SELECT rec.id FROM agency_record rec JOIN agency_request req ON req.participant_id = "
                    "rec.participant_id JOIN agency_task t ON t.request_id = req.id WHERE t.id = ? AND rec.unit_id = ? "
                    "AND rec.study_numbered ORDER BY rec.record_date, rec.id", task_id, unit)]},
                lambda: state() == "answered")

    async def unit_answers(self, unit: str, key_call: bool) -> None:
        token = self.template.officer_tokens[unit]
        task_id = self._one("SELECT t.id FROM agency_task t JOIN agency_request r ON r.id = t.request_id "
                            "WHERE r.provider_ref = ? AND t.unit_id = ?", self.ref, unit)
        state = lambda: self.task_states()[unit]  # noqa: E731
        if state() == "open":
            await self.act("POST", f"/agency/api/tasks/{task_id}/claim", token, None, lambda: state() != "open")
        if state() == "claimed":
            self._phase("answer", key_call=key_call)
            await self.act("POST", f"/agency/api/tasks/{task_id}/answer", token, self.answer_of(unit, task_id),
                           lambda: state() == "answered")

    def answer_of(self, unit: str, task_id: int) -> dict:
        """The case system knows its own records (read here, not through the API, which records each look)."""
        records = [r for (r,) in self.server.query(
            "SELECT rec.id FROM agency_record rec JOIN agency_request req ON req.participant_id = rec.participant_id "
            "JOIN agency_task t ON t.request_id = req.id WHERE t.id = ? AND rec.unit_id = ? "
            "ORDER BY rec.record_date, rec.id", task_id, unit)]
        if unit != "service-reporting":
            return {"release": records}
        return {"release": records[:-1], "withhold": [{
            "record_id": records[-1], "ground": "another_persons_affairs",
            "explanation": "It is mostly about another member of your family."}]}
