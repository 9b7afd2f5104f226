"""Where a run ended, read once its server has stopped, in terms that do not depend on when things
happened: states, histories (steps in order, without times or ids), answers, the queue's counts, the
family's messages. Two runs that did the same things have equal `comparable()` parts.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from bot.language.i18n import from_json, say
from tests.crash.harness import RecordingTelegram, Server

SENDS = ("sendMessage", "sendDocument")


def _json(value) -> object:
    return json.loads(value) if isinstance(value, str) else value


def family_messages(telegram: RecordingTelegram, chat_id: int) -> list[tuple]:
    """What the family received, in order: (method, text or caption, file name, button labels)."""
    got = []
    for method, params in telegram.requests:
        if method in SENDS and params.get("chat_id") == chat_id:
            markup = params.get("reply_markup") or {}
            labels = tuple(b["text"] for row in markup.get("inline_keyboard", []) for b in row)
            document = params.get("document")
            got.append((method, params.get("text") or params.get("caption") or "",
                        getattr(document, "filename", None), labels))
    return got


@dataclass
class EndState:
    """One run's end, as plain values."""

    requests: list = field(default_factory=list)
    provider_events: dict = field(default_factory=dict)
    unit_answers: dict = field(default_factory=dict)
    agency_requests: list = field(default_factory=list)
    tasks: list = field(default_factory=list)
    agency_events: dict = field(default_factory=dict)
    notifications: list = field(default_factory=list)
    queue: dict = field(default_factory=dict)
    # Not compared: how the run got there.
    in_doubt: dict = field(default_factory=dict)  # what a notification sent again says -> times sent again
    unsent_notifications: int = 0
    broken_chains: list = field(default_factory=list)

    def comparable(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in ("in_doubt", "unsent_notifications",
                                                                     "broken_chains")}


def _ref(ref: str) -> str:
    """A study part's reference is random in every run (bot/requests/study_parts.py): compared as what it is."""
    return "SP-(a study part's own random reference)" if ref.startswith("SP-") else ref


def read_end_state(server: Server) -> EndState:
    q = server.query
    state = EndState()
    state.requests = q("SELECT ref, kind, state, scope, units, form FROM provider_request ORDER BY ref")
    for (ref,) in q("SELECT ref FROM provider_request ORDER BY ref"):
        state.provider_events[ref] = q(
            "SELECT e.trigger, e.from_state, e.to_state, e.actor_role FROM provider_request_event e "
            "JOIN provider_request r ON r.id = e.request_id WHERE r.ref = ? ORDER BY e.seq", ref)
        state.unit_answers[ref] = {unit: _json(body) for unit, body in q(
            "SELECT a.unit, a.body FROM provider_unit_answer a JOIN provider_request r ON r.id = a.request_id "
            "WHERE r.ref = ? ORDER BY a.unit", ref)}
    state.agency_requests = [(_ref(ref), *rest) for ref, *rest in q(
        "SELECT provider_ref, kind, state, participant_id FROM agency_request ORDER BY provider_ref")]
    state.tasks = [(_ref(ref), unit, task_state, _json(answer)) for ref, unit, task_state, answer in q(
        "SELECT r.provider_ref, t.unit_id, t.state, t.answer FROM agency_task t "
        "JOIN agency_request r ON r.id = t.request_id ORDER BY r.provider_ref, t.unit_id")]
    for (ref,) in q("SELECT provider_ref FROM agency_request ORDER BY provider_ref"):
        # Per unit (the request's own steps under ""): the units work side by side, in either order.
        events: dict[str, list] = {}
        for unit, *step in q(
                "SELECT coalesce(t.unit_id, ''), e.trigger, e.from_state, e.to_state, e.actor_role FROM agency_event e "
                "JOIN agency_request r ON r.id = e.request_id LEFT JOIN agency_task t ON t.id = e.task_id "
                "WHERE r.provider_ref = ? ORDER BY e.seq", ref):
            events.setdefault(unit, []).append(tuple(step))
        state.agency_events[_ref(ref)] = dict(sorted(events.items()))
    rows = q("SELECT n.text, n.buttons, n.screen, n.language, n.audience, n.document_name, n.sent_at IS NOT NULL, "
             "n.in_doubt, c.language, c.audience FROM provider_notification n "
             "JOIN provider_chat_link c ON c.id = n.chat_link_id ORDER BY n.id")
    state.notifications = [(_json(text), _json(buttons), screen, language, audience, name)
                           for text, buttons, screen, language, audience, name, *_ in rows]
    for text, _b, _s, language, audience, name, _sent, doubt, chat_language, chat_audience in rows:
        if doubt:
            said = say(from_json(_json(text)), language or chat_language, audience or chat_audience)
            key = said[:1024] if name else said
            state.in_doubt[key] = state.in_doubt.get(key, 0) + doubt
    state.unsent_notifications = sum(1 for *_, sent, _doubt, _l, _a in rows if not sent)
    for side in ("provider", "agency"):
        state.queue[side] = {
            "sent": dict(Counter(t for (t,) in q(f"SELECT type FROM {side}_outbox"))),
            "undelivered": q(f"SELECT count(*) FROM {side}_outbox WHERE delivered_at IS NULL")[0][0],
            "applied": dict(Counter(t for (t,) in q(f"SELECT type FROM {side}_inbox WHERE applied_at IS NOT NULL"))),
            "unapplied": q(f"SELECT count(*) FROM {side}_inbox WHERE applied_at IS NULL")[0][0],
            "dead_letters": q(f"SELECT count(*) FROM {side}_dead_letter")[0][0],
        }
    return state


def quiet(server: Server) -> bool:
    """Nothing left to move: every queue message delivered and applied, every family message sent."""
    waiting = server.query(
        "SELECT (SELECT count(*) FROM provider_outbox WHERE delivered_at IS NULL AND rejected_at IS NULL)"
        " + (SELECT count(*) FROM agency_outbox WHERE delivered_at IS NULL AND rejected_at IS NULL)"
        " + (SELECT count(*) FROM provider_inbox WHERE applied_at IS NULL)"
        " + (SELECT count(*) FROM agency_inbox WHERE applied_at IS NULL)"
        " + (SELECT count(*) FROM provider_notification WHERE sent_at IS NULL AND failed_at IS NULL)")
    return waiting[0][0] == 0


@dataclass
class Difference:
    lost: Counter  # messages of the reference run the family never got
    extra: Counter  # messages the family got more often than in the reference run
    out_of_order: bool


def compare_messages(reference: list[tuple], got: list[tuple]) -> Difference:
    """Lost and repeated messages, and whether what arrived came in the reference's order. A repeat may come
    some messages after its first send (a turn's replies are marked sent together, so a crash repeats them
    together); anything else out of place means the order broke."""
    matched, extra = 0, Counter()
    for message in got:
        if matched < len(reference) and message == reference[matched]:
            matched += 1
        elif message in reference[:matched]:
            extra[message] += 1
        else:
            return Difference(Counter(reference) - Counter(got), Counter(got) - Counter(reference), True)
    return Difference(Counter(reference[matched:]), extra, False)
