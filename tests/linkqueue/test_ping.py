"""A signed ping each way: each server checks the other's signature with its own copy of the other's key, and
the two compare the agreement's version and both keys. Nothing about the ping can be forged or replayed."""

from __future__ import annotations

import json

import pytest

from linkqueue.ping import LinkView, PingRefused, answer_ping, make_ping, read_pong
from protocol.signing import KeyRing, generate_keypair, load_private_key

VERSION = "a" * 64


def _party():
    pem, public = generate_keypair()
    return load_private_key(pem), public


@pytest.fixture
def parties():
    return {"ccss": _party(), "agency": _party()}


def _view(parties, me: str, version: str = VERSION, **other_keys: str) -> LinkView:
    keys = KeyRing({party: other_keys.get(party, public) for party, (_private, public) in parties.items()})
    return LinkView(me, version, keys, parties[me][0])


def test_two_servers_that_hold_the_same_agreement_and_keys_agree(parties):
    ping, nonce = make_ping(_view(parties, "ccss"))

    pong = answer_ping(_view(parties, "agency"), ping)

    assert read_pong(_view(parties, "ccss"), pong, nonce, "agency").agrees


def test_a_stale_copy_of_the_callers_key_refuses_the_ping_saying_the_keys_differ(parties):
    ping, _nonce = make_ping(_view(parties, "ccss"))

    with pytest.raises(PingRefused, match="does not match ccss's public key as this server holds it"):
        answer_ping(_view(parties, "agency", ccss=generate_keypair()[1]), ping)


def test_a_stale_copy_of_the_answering_servers_key_is_found_by_the_caller(parties):
    stale = generate_keypair()[1]
    ping, nonce = make_ping(_view(parties, "ccss", agency=stale))

    pong = answer_ping(_view(parties, "agency"), ping)  # the agency checks ccss's signature: right

    with pytest.raises(PingRefused, match="does not match agency's public key"):
        read_pong(_view(parties, "ccss", agency=stale), pong, nonce, "agency")


def test_different_agreement_versions_are_said_on_both_sides(parties):
    ping, nonce = make_ping(_view(parties, "ccss"))

    pong = answer_ping(_view(parties, "agency", version="b" * 64), ping)
    seen = read_pong(_view(parties, "ccss"), pong, nonce, "agency")

    assert not seen.agrees
    assert "agency runs under agreement version bbbbbbbbbbbb…, this server under aaaaaaaaaaaa…" in seen.problems[0]
    assert "The caller runs under agreement version aaaaaaaaaaaa…" in json.loads(pong)["problems"][0]


def test_an_old_pong_played_back_for_a_new_ping_is_refused(parties):
    old_ping, _old = make_ping(_view(parties, "ccss"))
    old_pong = answer_ping(_view(parties, "agency"), old_ping)
    _ping, nonce = make_ping(_view(parties, "ccss"))

    with pytest.raises(PingRefused, match="not agency's answer to this ping"):
        read_pong(_view(parties, "ccss"), old_pong, nonce, "agency")


def test_a_ping_changed_on_the_way_is_refused(parties):
    ping, _nonce = make_ping(_view(parties, "ccss"))
    changed = json.loads(ping) | {"agreement": "c" * 64}

    with pytest.raises(PingRefused, match="signature on the ping does not match"):
        answer_ping(_view(parties, "agency"), json.dumps(changed))


@pytest.mark.parametrize("raw", ["not json", "[]", '{"from": "ccss"}', '{"from": "stranger", "signature": "AA=="}'])
def test_what_is_not_a_ping_is_refused_in_one_sentence(parties, raw):
    with pytest.raises(PingRefused):
        answer_ping(_view(parties, "agency"), raw)
