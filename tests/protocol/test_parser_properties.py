"""Properties of the message parser: whatever arrives, reading it either gives a message or refuses it
with InvalidMessage (one sentence, a field path), never any other error; and a refusal never repeats what a
family wrote. tests/protocol/test_receiving.py holds the receiver's own properties (any bytes, any JSON,
any field replaced, any byte flipped)."""

from __future__ import annotations

import copy
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.messages import MESSAGE_TYPES, Envelope, InvalidMessage, new_message, validate_body
from protocol.receiving import Outcome, check_incoming, parse_envelope
from tests.protocol.test_messages import EXAMPLES
from tests.protocol.test_receiving import KEYRING, resigned, signed

ODD_TEXT = ["", "\x00", "\ud800", "\udfff", "\u202e", "NaN", "Infinity", "-0", "1e999", "'; DROP TABLE x; --",
            "<script>x</script>", "../../etc/passwd", "2026-02-30", "2026-11-25T12:00:00+13:00"]
scalars = (st.none() | st.booleans() | st.integers() | st.floats() | st.sampled_from(ODD_TEXT)
           | st.text(max_size=20) | st.integers(min_value=2**53, max_value=2**70))
json_like = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                         | st.dictionaries(st.text(max_size=8) | st.sampled_from(ODD_TEXT), inner, max_size=3),
                         max_leaves=12)
types = st.sampled_from(sorted(MESSAGE_TYPES))


def _paths(value, prefix=()):
    """Every place in a JSON value, as a path of keys and indexes (the root is ())."""
    yield prefix
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _paths(inner, (*prefix, index))


def _replaced(value, path, new):
    if not path:
        return new
    changed = copy.deepcopy(value)
    place = changed
    for step in path[:-1]:
        place = place[step]
    place[path[-1]] = new
    return changed


def _reads_or_refuses(read, *args, **options):
    try:
        return read(*args, **options)
    except InvalidMessage as refused:
        assert refused.reason.endswith(".") and "\n" not in refused.reason
        return refused


@settings(max_examples=150)
@given(types, json_like)
def test_any_body_for_any_type_is_checked_or_refused_with_a_sentence(message_type, body):
    _reads_or_refuses(validate_body, message_type, body)


@settings(max_examples=150)
@given(types, st.data(), json_like)
def test_a_real_body_with_any_part_replaced_is_checked_or_refused_with_a_sentence(message_type, data, new):
    body = EXAMPLES[message_type]
    path = data.draw(st.sampled_from(list(_paths(body))))

    _reads_or_refuses(validate_body, message_type, _replaced(body, path, new))


@settings(max_examples=150)
@given(st.text(max_size=200) | st.sampled_from(ODD_TEXT) | json_like.map(json.dumps))
def test_stored_text_of_any_kind_reads_back_as_a_message_or_is_refused(raw):
    assert isinstance(_reads_or_refuses(Envelope.from_json, raw), Envelope | InvalidMessage)
    assert isinstance(_reads_or_refuses(parse_envelope, raw), Envelope | InvalidMessage)


@settings(max_examples=100)
@given(types | st.sampled_from(ODD_TEXT), st.sampled_from(["ccss", "agency"]) | st.sampled_from(ODD_TEXT),
       st.sampled_from(["ccss", "agency"]), st.none() | st.sampled_from(["BFF-2026-000001", *ODD_TEXT]),
       st.integers(-2, 2**60), json_like)
def test_building_a_message_from_anything_gives_a_checked_message_or_a_sentence(kind, sender, recipient, request,
                                                                                sequence, body):
    built = _reads_or_refuses(new_message, kind, sender, recipient, request, sequence, body)

    if isinstance(built, Envelope):
        assert Envelope.from_json(built.to_json()) == built


# What a family might write, spelled so that no field name or code of the protocol could contain it.
WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=12, max_size=30).map(lambda w: f"zqx{w}")


@settings(max_examples=100)
@given(types, st.data(), WORDS, st.sampled_from(["{}", "{} !", "{}" * 400, "{}\x00"]))
def test_a_refusal_never_quotes_what_was_written_in_a_body(message_type, data, secret, shape):
    body = EXAMPLES[message_type]
    texts = [p for p in _paths(body) if p and isinstance(_at(body, p), str)]
    path = data.draw(st.sampled_from(texts))
    written = _replaced(body, path, shape.replace("{}", secret))  # fits, breaks a code's pattern, or is too long

    verdict = check_incoming(resigned(signed().to_dict() | {"type": message_type, "body": written}), KEYRING,
                             "agency", None, False)

    assert verdict.outcome in (Outcome.REJECT, Outcome.APPLY)
    assert secret not in verdict.reason


def _at(value, path):
    for step in path:
        value = value[step]
    return value


KEYS = st.text(max_size=8) | st.sampled_from(["\n", "\r\nSet-Cookie: x", "\u2028", "k" * 5000, *ODD_TEXT])


@settings(max_examples=100)
@given(KEYS, json_like, st.booleans())
def test_a_reason_stays_one_short_line_whatever_field_names_arrive(key, value, in_the_body):
    data = signed().to_dict()
    if in_the_body:
        data["body"] = data["body"] | {key: value}
    else:
        data[key] = value

    try:
        arriving = resigned(data)
    except UnicodeEncodeError:  # a lone surrogate cannot be signed; it can still arrive, written as an escape
        arriving = json.dumps(data)
    verdict = check_incoming(arriving, KEYRING, "agency", None, False)

    assert "\n" not in verdict.reason and "\r" not in verdict.reason
    assert len(verdict.reason) <= 400
