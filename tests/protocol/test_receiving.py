"""The receiver's checks: apply, acknowledge a duplicate, reject, or wait for a missing message."""

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.messages import canonical_json, new_message
from protocol.receiving import MAX_MESSAGE_BYTES, Outcome, Verdict, check_incoming, parse_envelope
from protocol.signing import KeyRing, generate_keypair, load_private_key, sign

PROVIDER_PEM, PROVIDER_PUBLIC = generate_keypair()
AGENCY_PEM, AGENCY_PUBLIC = generate_keypair()
KEYRING = KeyRing({"ccss": PROVIDER_PUBLIC, "agency": AGENCY_PUBLIC})
REQUEST = "BFF-2026-000123"
WITHDRAWN = {"withdrawn_on": "2026-03-10", "reason": "Mere and her mum sorted it out with CCSS."}


def signed(sequence=1, body=WITHDRAWN, key=PROVIDER_PEM):
    envelope = new_message("request.withdrawn", "ccss", "agency", REQUEST, sequence, body)
    return sign(envelope, load_private_key(key))


def resigned(data: dict, key=PROVIDER_PEM) -> dict:
    """Sign a hand-made message, as a sender with a different idea of the protocol would."""
    data = {name: value for name, value in data.items() if name != "signature"}
    signature = load_private_key(key).sign(canonical_json(data))
    return data | {"signature": base64.b64encode(signature).decode()}


def receive(raw, last=None, applied=False, **options) -> Verdict:
    return check_incoming(raw, KEYRING, "agency", last, applied, **options)


def assert_rejected(verdict: Verdict, problem: str, *words: str) -> None:
    assert verdict.outcome == Outcome.REJECT, verdict
    assert verdict.problem == problem, verdict.reason
    for word in words:
        assert word in verdict.reason
    assert verdict.reason.endswith(".") and "\n" not in verdict.reason


def test_a_genuine_message_that_is_next_in_its_stream_is_applied():
    message = signed(sequence=3)

    verdict = receive(message.to_json().encode(), last=2)

    assert verdict.outcome == Outcome.APPLY
    assert verdict.envelope == message
    assert verdict.problem is None


def test_the_first_message_of_a_stream_has_sequence_1():
    assert receive(signed(sequence=1).to_json()).outcome == Outcome.APPLY


def test_a_message_reads_the_same_from_bytes_text_or_a_dict():
    message = signed()

    assert parse_envelope(message.to_json().encode()) == parse_envelope(message.to_json()) == \
        parse_envelope(message.to_dict()) == message


def test_a_message_already_applied_is_acknowledged_as_a_duplicate_and_not_applied_again():
    verdict = receive(signed(sequence=1).to_json(), last=7, applied=True)

    assert verdict.outcome == Outcome.DUPLICATE
    assert "not applied again" in verdict.reason


def test_a_message_after_a_gap_is_out_of_order_and_says_which_sequence_was_expected():
    verdict = receive(signed(sequence=5).to_json(), last=2)

    assert verdict.outcome == Outcome.OUT_OF_ORDER
    assert verdict.reason == f"Expected sequence 3 in stream ccss → agency for {REQUEST}, got 5."
    assert verdict.envelope is not None


def test_a_message_reusing_a_number_already_applied_is_out_of_order_and_says_the_sender_was_restored():
    verdict = receive(signed(sequence=2).to_json(), last=2)

    assert verdict.outcome == Outcome.OUT_OF_ORDER
    assert "Sequence 2 in stream" in verdict.reason and "was already used by another message (expected 3)" in (
        verdict.reason)
    assert "restored from an older backup; `tono link repair`" in verdict.reason


def test_a_stream_with_nothing_applied_yet_expects_sequence_1():
    assert "Expected sequence 1" in receive(signed(sequence=2).to_json(), last=None).reason


def test_a_programme_level_stream_is_described_as_the_programme():
    body = {"unit": "evaluation", "kind": "decision", "reports": ["RPT-survey-answers-2026-05"],
            "template": "evaluation-changed-programme", "reported_on": "2026-06-30"}
    unsigned = new_message("outcome.reported", "agency", "ccss", None, 4, body)
    message = sign(unsigned, load_private_key(AGENCY_PEM))

    verdict = check_incoming(message.to_json(), KEYRING, "ccss", 1, False)

    assert verdict.reason == "Expected sequence 2 in stream agency → ccss for the programme, got 4."


def test_a_message_with_a_changed_body_is_rejected():
    data = signed().to_dict()
    data["body"]["reason"] = "Someone else's words."

    assert_rejected(receive(data), "bad_signature", "changed after signing")


def test_a_message_with_a_changed_header_is_rejected():
    data = signed().to_dict()
    data["request"] = "BFF-2026-000999"

    assert_rejected(receive(data), "bad_signature")


def test_a_message_signed_with_the_other_partys_key_is_rejected():
    assert_rejected(receive(signed(key=AGENCY_PEM).to_json()), "bad_signature")


def test_a_message_without_a_signature_is_rejected():
    data = signed().to_dict()

    assert_rejected(receive(data | {"signature": None}), "unsigned")
    assert_rejected(receive({k: v for k, v in data.items() if k != "signature"}), "unsigned")


def test_a_message_from_a_party_with_no_key_is_rejected():
    verdict = check_incoming(signed().to_json(), KeyRing({"agency": AGENCY_PUBLIC}), "agency", None, False)

    assert_rejected(verdict, "unknown_sender", "ccss")


def test_a_message_of_an_unknown_type_is_rejected():
    data = resigned(signed().to_dict() | {"type": "request.forgotten"})

    assert_rejected(receive(data), "unknown_type", "request.forgotten")


def test_a_message_of_an_unknown_version_is_rejected():
    data = resigned(signed().to_dict() | {"version": 2})

    assert_rejected(receive(data), "unknown_version", "Version 2 of request.withdrawn")


def test_a_message_of_another_protocol_is_rejected():
    assert_rejected(receive(resigned(signed().to_dict() | {"protocol": "tono/2"})), "unknown_protocol")


def test_a_body_that_breaks_its_schema_is_rejected_naming_the_field():
    data = resigned(signed().to_dict() | {"body": {"withdrawn_on": "last Tuesday"}})

    assert_rejected(receive(data), "bad_body", "body.withdrawn_on")


def test_a_body_with_too_long_a_text_is_rejected():
    data = resigned(signed().to_dict() | {"body": WITHDRAWN | {"reason": "x" * 5001}})

    assert_rejected(receive(data), "bad_body", "body.reason", "5000")


def test_a_message_for_someone_else_is_rejected():
    verdict = check_incoming(signed().to_json(), KEYRING, "another-agency", None, False)

    assert_rejected(verdict, "wrong_recipient", "another-agency")


def test_a_message_type_only_the_other_side_receives_is_rejected():
    verdict = receive(signed().to_json(), receiving_as="provider")

    assert_rejected(verdict, "wrong_direction", "request.withdrawn")


def test_a_message_missing_a_field_is_rejected_naming_it():
    data = {k: v for k, v in signed().to_dict().items() if k != "sequence"}

    assert_rejected(receive(data), "missing_field", "sequence")


@pytest.mark.parametrize(("raw", "problem"), [
    (b'{"protocol": "tono/1",', "malformed"), (b"\xff\xfe", "malformed"), ("", "malformed"),
    ('{"id": 1, "id": 2}', "malformed"), ("[1, 2]", "not_an_object"), ("NaN", "malformed"),
])
def test_something_that_is_not_a_json_object_is_rejected(raw, problem):
    verdict = receive(raw)

    assert_rejected(verdict, problem)
    assert verdict.envelope is None


def test_a_message_nested_too_deeply_or_too_large_is_rejected_not_crashed_on():
    nested: dict = {}
    for _ in range(100_000):
        nested = {"a": nested}

    assert_rejected(receive("[" * 100_000), "malformed", "nested too deeply")
    assert_rejected(receive(signed().to_dict() | {"body": nested}), "malformed")
    assert_rejected(receive(b" " * (MAX_MESSAGE_BYTES + 1)), "malformed", "larger than")


def test_a_rejection_keeps_the_readable_message_for_the_dead_letters():
    data = signed().to_dict()
    data["body"]["reason"] = "Changed."

    assert receive(data).envelope.id == data["id"]


def test_a_rejection_never_repeats_what_the_family_wrote():
    data = resigned(signed().to_dict() | {"body": WITHDRAWN | {"reason": "Mere's dad " * 600}})

    assert "Mere" not in receive(data).reason


# --- Whatever arrives, the receiver answers with a verdict ----------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20)


@given(st.binary(max_size=300))
def test_arbitrary_bytes_always_get_a_verdict(raw):
    verdict = receive(raw)

    assert isinstance(verdict, Verdict)
    assert verdict.outcome == Outcome.REJECT


@given(json_values)
def test_arbitrary_json_always_gets_a_verdict(value):
    assert isinstance(receive(json.dumps(value)), Verdict)
    if isinstance(value, dict):
        assert isinstance(receive(value), Verdict)


@given(st.sampled_from(sorted(signed().to_dict())), json_values)
def test_a_message_with_any_field_replaced_by_any_json_always_gets_a_verdict(field, value):
    data = signed().to_dict() | {field: value}

    assert isinstance(receive(data), Verdict)
    assert isinstance(receive(resigned(data)), Verdict)


SIGNED_BYTES = signed().to_json().encode()


@settings(max_examples=500)
@given(st.integers(0, len(SIGNED_BYTES) - 1), st.integers(1, 255))
def test_any_single_byte_changed_in_a_signed_message_is_rejected(position, flip):
    changed = bytearray(SIGNED_BYTES)
    changed[position] ^= flip

    assert receive(bytes(changed)).outcome == Outcome.REJECT
