"""The message contract: every message type, its schema, the envelope and the withholding grounds."""

import copy
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from jsonschema import Draft202012Validator

from protocol.grounds import WITHHOLDING_GROUNDS
from protocol.messages import (
    MESSAGE_TYPES,
    PROTOCOL,
    Envelope,
    InvalidMessage,
    new_message,
    validate_body,
)
from protocol.receiving import parse_envelope
from protocol.signing import KeyRing, generate_keypair, load_private_key, sign, verify

REQUEST = "BFF-2026-000123"
PARTIES = {"provider": "ccss", "agency": "agency"}

RELAYED = {
    "kind": "access",
    "subject": {"participant_id": "BFF-P-0001", "given_name": "Mere", "family_name": "Tūhoe",
                "date_of_birth": "2015-04-02"},
    "requester": {"participant_id": "BFF-P-0002", "relationship": "parent",
                  "authority_checked": "Day-to-day care confirmed with the whānau worker."},
    "scope": "all_in_scope",
    "form": "copy",
    "urgent": False,
    "identity_checked": "known_in_person",
    "relayed_on": "2026-03-02",
}

EXAMPLES = {
    "request.relayed": RELAYED,
    "request.received": {"received_on": "2026-03-03", "decision_due": "2026-03-31",
                         "units": ["service-reporting", "evaluation"]},
    "clarification.asked": {"unit": "evaluation", "question": "Which term of the programme do you mean?"},
    "clarification.answered": {"answer": "The autumn term in 2025.", "unit": "evaluation"},
    "request.extended": {"ground": "consultations", "new_due": "2026-04-28", "notified_on": "2026-03-20",
                         "reasons": "We need to consult the evaluator who wrote the report."},
    "request.transferred": {"to_agency": "Ministry of Education", "transferred_on": "2026-03-05",
                            "reason": "The school attendance records are held there."},
    "unit.answered": {
        "unit": "service-reporting",
        "released": [{"item_id": "SR-2025-0042", "title": "Attendance summary, autumn term",
                      "text": "Mere attended 9 of 10 group sessions.", "record_date": "2025-06-30"}],
        "withheld": [{"item_id": "SR-2025-0043", "title": "Referral note",
                      "ground": "another_persons_affairs",
                      "explanation": "It is mostly about another family member."}],
        "not_held": [{"description": "Home visit notes: CCSS keeps these and does not send them to us."}],
        "corrected": [{"item_id": "SR-2025-0044", "title": "Contact details", "old_text": "Lives in Ōtara.",
                       "new_text": "Lives in Māngere."}],
        "not_corrected": [{"item_id": "SR-2025-0045", "title": "Session notes",
                           "reason": "The note records what the facilitator saw at the time."}],
        "statement_attached": [{"item_id": "SR-2025-0045", "statement": "I was there, but I left early."}],
        "note": "Ask us if anything is unclear.",
        "answered_on": "2026-03-25",
    },
    "correction.statement": {"item_id": "SR-2025-0045", "statement": "I was there, but I left early."},
    "correction.statement_attached": {"item_id": "SR-2025-0045", "attached_on": "2026-04-02"},
    "request.withdrawn": {"withdrawn_on": "2026-03-10", "reason": "We sorted it out with CCSS."},
    "records.opened": {"unit": "evaluation", "opened_on": "2026-03-04"},
    "outcome.reported": {"unit": "service-reporting", "kind": "report", "reports": ["RPT-attendance-2026-05"],
                         "template": "attendance-in-service-report", "reported_on": "2026-06-30"},
    "report.part": {"flow": "attendance", "unit": "service-reporting", "period": "2026-11", "agreement": "ab" * 32,
                    "named": True, "part": 1, "parts": 2, "fields": ["session_date", "session", "attended"],
                    "rows": [["BFF-P-0001", "row-0a1b2c3d4e5f60718293", "2026-11-03", "group session", "yes"],
                             ["BFF-P-0001", "row-1a1b2c3d4e5f60718293", "2026-11-10", "home visit", None]]},
    "report.received": {"unit": "service-reporting", "rows": 120, "received_on": "2026-12-01"},
    "study_part.relayed": {"kind": "access", "unit": "evaluation", "study_number": "S-MFRGGZDFMZTWQ2LK",
                           "scope": "study_numbered", "relayed_on": "2026-03-02"},
}

MORE_VALID_BODIES = [
    ("request.relayed", RELAYED | {"kind": "correction", "correction": {
        "information": "My address", "should_say": "12 Kōwhai Street, Māngere"}}),
    ("request.relayed", RELAYED | {"urgent": True, "urgency_reason": "A court hearing on 20 March."}),
    ("request.relayed", RELAYED | {"requester": {"participant_id": "BFF-P-0001", "relationship": "self"},
                                   "scope": ["evaluation"], "details": "Only the survey answers."}),
    ("unit.answered", {"unit": "evaluation", "released": [], "withheld": [], "not_held": [],
                       "neither_confirm_nor_deny": {"ground": "safety"}, "answered_on": "2026-03-25"}),
    ("study_part.relayed", {"kind": "correction", "unit": "evaluation", "study_number": "S-MFRGGZDFMZTWQ2LK",
                            "scope": "study_numbered", "relayed_on": "2026-03-02",
                            "correction": {"information": "My answer on routines", "should_say": "Most days"}}),
    ("outcome.reported", {"unit": "service-reporting", "kind": "decision", "subject": "BFF-P-0001",
                          "reports": ["RPT-attendance-2026-05", "RPT-enrolment-2026-03"], "reported_on": "2026-06-30",
                          "summaries": {"en": {"adult": "Funding for a second term.", "child": "More groups."},
                                        "mi": {"adult": "He pūtea mō te wāhanga tuarua.", "child": "He rōpū anō."}}}),
    ("report.part", {"flow": "survey-answers", "unit": "evaluation", "period": "2026-11", "agreement": "ab" * 32,
                     "named": False, "part": 2, "parts": 2, "fields": ["stage", "routines", "suburb"],
                     "rows": [["S-MFRGGZDFMZTWQ2LK", "row-0a1b2c3d4e5f60718293", "start", 3, "Wellington"]],
                     "corrects": "RPT-survey-answers-2026-10", "corrected_on": "2026-11-20"}),
]


def build(message_type: str, body: dict, **header) -> Envelope:
    kind = MESSAGE_TYPES[message_type]
    sender = PARTIES[kind.sent_by]
    recipient = PARTIES["agency" if kind.sent_by == "provider" else "provider"]
    fields = {"sender": sender, "recipient": recipient, "request": REQUEST if kind.about_a_request else None,
              "sequence": 1} | header
    return new_message(message_type, body=body, **fields)


def reason_for(message_type: str, body: dict) -> InvalidMessage:
    with pytest.raises(InvalidMessage) as caught:
        build(message_type, body)
    return caught.value


def test_every_message_type_has_an_example():
    assert set(EXAMPLES) == set(MESSAGE_TYPES)


@pytest.mark.parametrize("message_type", sorted(EXAMPLES))
def test_each_example_passes_its_schema_and_survives_signing_and_verifying(message_type):
    pem, public = generate_keypair()
    envelope = build(message_type, EXAMPLES[message_type])

    signed = sign(envelope, load_private_key(pem))
    received = parse_envelope(signed.to_json().encode())

    verify(received, KeyRing({envelope.sender: public}))
    assert received == signed
    assert received.body == EXAMPLES[message_type]


@pytest.mark.parametrize(("message_type", "body"), MORE_VALID_BODIES)
def test_the_other_valid_forms_of_a_body_pass(message_type, body):
    validate_body(message_type, body)


@pytest.mark.parametrize("message_type", sorted(MESSAGE_TYPES))
def test_every_schema_is_valid_and_describes_its_message_in_one_sentence(message_type):
    kind = MESSAGE_TYPES[message_type]

    Draft202012Validator.check_schema(kind.body)

    assert kind.sent_by in ("provider", "agency")
    assert kind.description.endswith(".") and "\n" not in kind.description


def _walk(schema):
    if isinstance(schema, dict):
        yield schema
        for value in schema.values():
            yield from _walk(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _walk(value)


@pytest.mark.parametrize("message_type", sorted(MESSAGE_TYPES))
def test_every_object_forbids_unknown_fields_and_every_text_and_list_has_a_limit(message_type):
    for part in _walk(MESSAGE_TYPES[message_type].body):
        kinds = part.get("type")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if "object" in kinds:
            assert part["additionalProperties"] is False
        if "string" in kinds:
            assert "maxLength" in part or "pattern" in part or "format" in part
        if "array" in kinds:
            assert "maxItems" in part


def test_a_correction_request_must_say_what_to_correct_and_an_access_request_must_not():
    missing = reason_for("request.relayed", RELAYED | {"kind": "correction"})
    extra = reason_for("request.relayed", RELAYED | {"correction": {"information": "a", "should_say": "b"}})

    assert missing.path == "body.correction" and "missing" in missing.reason
    assert extra.path == "body.correction" and "not allowed" in extra.reason


def test_someone_acting_for_another_person_must_say_how_their_authority_was_checked():
    error = reason_for("request.relayed", RELAYED | {"requester": {"participant_id": "BFF-P-0002",
                                                                   "relationship": "caregiver"}})

    assert error.path == "body.requester.authority_checked"
    assert "authority" in error.reason


def test_an_urgent_request_must_give_its_reasons():
    error = reason_for("request.relayed", RELAYED | {"urgent": True})

    assert error.path == "body.urgency_reason"


@pytest.mark.parametrize(("change", "path"), [
    ({"kind": "complaint"}, "body.kind"),
    ({"form": "email"}, "body.form"),
    ({"identity_checked": "trusted"}, "body.identity_checked"),
    ({"relayed_on": "2026-02-30"}, "body.relayed_on"),
    ({"relayed_on": "2 March 2026"}, "body.relayed_on"),
    ({"scope": []}, "body.scope"),
    ({"urgent": "no"}, "body.urgent"),
    ({"details": ""}, "body.details"),
    ({"colour": "blue"}, "body.colour"),
])
def test_a_body_that_breaks_its_schema_is_refused_naming_the_field(change, path):
    error = reason_for("request.relayed", RELAYED | change)

    assert error.path == path
    assert error.problem == "bad_body"
    assert path in error.reason


def test_a_field_deep_in_a_list_is_named_with_its_position():
    body = copy.deepcopy(EXAMPLES["unit.answered"])
    body["withheld"][0]["ground"] = "embarrassing"

    error = reason_for("unit.answered", body)

    assert error.path == "body.withheld[0].ground"


def test_free_text_longer_than_5000_characters_is_refused():
    error = reason_for("clarification.asked", {"unit": "evaluation", "question": "?" * 5001})

    assert error.path == "body.question"
    assert "longer than 5000 characters" in error.reason


def test_a_refusal_never_repeats_what_the_family_wrote():
    secret = "Mere was upset about her father " * 200
    body = copy.deepcopy(RELAYED)
    body["subject"]["given_name"] = secret

    error = reason_for("request.relayed", body)

    assert error.path == "body.subject.given_name"
    assert "upset" not in error.reason


def test_an_item_that_was_not_found_is_reported_as_not_held_not_withheld():
    body = copy.deepcopy(EXAMPLES["unit.answered"])
    body["withheld"][0]["ground"] = "does_not_exist"

    assert reason_for("unit.answered", body).path == "body.withheld[0].ground"


def test_neither_confirm_nor_deny_is_allowed_only_on_the_grounds_section_47_lists():
    allowed = {code for code, ground in WITHHOLDING_GROUNDS.items() if ground.neither_confirm_nor_deny}
    body = EXAMPLES["unit.answered"] | {"neither_confirm_nor_deny": {"ground": "harassment"}}

    assert allowed == {"safety", "custody_or_rehabilitation", "security_defence_international",
                       "trade_secret", "maintenance_of_law"}
    assert reason_for("unit.answered", body).path == "body.neither_confirm_nor_deny.ground"


def test_every_withholding_ground_cites_sections_49_to_53_and_explains_itself_plainly():
    for code, ground in WITHHOLDING_GROUNDS.items():
        section = int(ground.section.split()[1].split("(")[0])

        assert 49 <= section <= 53, code
        assert ground.description.endswith(".") and len(ground.description) < 300, code


def test_an_unknown_message_type_cannot_be_built():
    with pytest.raises(InvalidMessage) as caught:
        new_message("request.lost", "ccss", "agency", REQUEST, 1, {})

    assert caught.value.problem == "unknown_type"


def test_a_request_message_must_name_its_request_and_a_programme_message_must_not():
    with pytest.raises(InvalidMessage) as no_request:
        build("request.relayed", RELAYED, request=None)
    with pytest.raises(InvalidMessage) as with_request:
        build("outcome.reported", EXAMPLES["outcome.reported"], request=REQUEST)

    assert no_request.value.path == "request"
    assert with_request.value.path == "request"


@pytest.mark.parametrize(("header", "path"), [
    ({"sequence": 0}, "sequence"), ({"sequence": True}, "sequence"), ({"sender": "c c s s"}, "sender"),
    ({"recipient": "ccss"}, "recipient"), ({"sent_at": "2026-03-02 09:15"}, "sent_at"),
    ({"request": "BFF-2026-000123\n"}, "request"),
])
def test_a_bad_header_is_refused_naming_the_field(header, path):
    with pytest.raises(InvalidMessage) as caught:
        build("request.relayed", RELAYED, **header)

    assert caught.value.path == path
    assert caught.value.problem == "bad_header"


def test_the_time_sent_is_written_in_utc():
    nz_daylight_time = timezone(timedelta(hours=13))

    envelope = build("request.relayed", RELAYED,
                     sent_at=datetime(2026, 3, 2, 22, 15, tzinfo=nz_daylight_time))

    assert envelope.sent_at == "2026-03-02T09:15:00Z"
    assert build("request.relayed", RELAYED).sent_at.endswith("Z")


def test_a_time_without_a_time_zone_is_refused():
    with pytest.raises(InvalidMessage):
        build("request.relayed", RELAYED, sent_at=datetime(2026, 3, 2, 9, 15))


def test_each_message_gets_a_fresh_random_id():
    first, second = build("request.withdrawn", EXAMPLES["request.withdrawn"]), \
        build("request.withdrawn", EXAMPLES["request.withdrawn"])

    assert first.id != second.id


def test_the_envelope_carries_every_agreed_field_in_canonical_json():
    envelope = build("request.withdrawn", EXAMPLES["request.withdrawn"], sent_at=datetime.now(UTC))

    data = json.loads(envelope.to_json())

    assert set(data) == {"protocol", "id", "type", "version", "request", "sender", "recipient", "sequence",
                         "sent_at", "body", "signature"}
    assert data["protocol"] == PROTOCOL and data["version"] == 1
    assert envelope.to_json() == json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert Envelope.from_dict(data) == envelope


def test_changing_the_dict_a_message_was_built_from_does_not_change_the_message():
    body = copy.deepcopy(RELAYED)
    envelope = build("request.relayed", body)

    body["subject"]["given_name"] = "Someone else"

    assert envelope.body["subject"]["given_name"] == "Mere"


def test_a_stored_message_reads_back_from_json_as_it_was():
    envelope = build("request.withdrawn", EXAMPLES["request.withdrawn"])

    assert Envelope.from_json(envelope.to_json()) == envelope
    assert Envelope.from_json(envelope.to_json().encode()) == envelope


def test_stored_json_that_breaks_the_contract_does_not_read_back():
    data = build("request.withdrawn", EXAMPLES["request.withdrawn"]).to_dict()

    with pytest.raises(InvalidMessage):
        Envelope.from_json("{not json")
    with pytest.raises(InvalidMessage):
        Envelope.from_json(json.dumps(data | {"body": {"withdrawn_on": "soon"}}))



def test_free_text_with_a_nul_is_refused_in_plain_words_but_line_breaks_and_tabs_are_kept():
    error = reason_for("clarification.asked", {"unit": "evaluation", "question": "Which term?\x00"})
    validate_body("clarification.asked", {"unit": "evaluation", "question": "Which term?\nTerm 1\tor 2"})

    assert error.path == "body.question"
    assert "control character (such as NUL)" in error.reason


REPORT_PART = EXAMPLES["report.part"]


@pytest.mark.parametrize(("rows", "sentence"), [
    ([["BFF-P-0001", "row-1", "2026-11-03", "group session"]],
     "The field body.rows[0] has 4 entries; a row has a subject, a row id and one value for each of the 3 fields."),
    ([["Aroha Parata", "row-1", "2026-11-03", "group session", "yes"]],
     "The field body.rows[0][0] must be a code of letters, digits and . _ : - only, starting with a letter or digit."),
    ([["BFF-P-0001", "row-1", "2026-11-03", "group session", True]],
     "The field body.rows[0][4] must be null, a number, or text of 1 to 2000 characters without control characters."),
    ([["BFF-P-0001", "row-1", "2026-11-03", "group\x00session", "yes"]],
     "The field body.rows[0][3] must be null, a number, or text of 1 to 2000 characters without control characters."),
    ([["BFF-P-0001", "row-1", "2026-11-03", "", "yes"]],
     "The field body.rows[0][3] must be null, a number, or text of 1 to 2000 characters without control characters."),
    (["BFF-P-0001"], "The field body.rows[0] must be of type array."),
])
def test_a_report_row_that_breaks_the_contract_is_refused_naming_its_cell(rows, sentence):
    assert str(reason_for("report.part", REPORT_PART | {"rows": rows})) == sentence


def test_a_report_part_numbered_past_its_parts_is_refused():
    assert str(reason_for("report.part", REPORT_PART | {"part": 3})) == "The field body.part is larger than body.parts."


def test_a_correction_report_must_say_when_the_rows_were_corrected():
    refused = reason_for("report.part", REPORT_PART | {"corrects": "RPT-attendance-2026-10"})

    assert refused.path == "body.corrected_on"
