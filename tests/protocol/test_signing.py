"""Signing: only the sender's key makes a signature that verifies, and any change breaks it."""

import base64
import json
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from protocol.messages import new_message
from protocol.signing import (
    BadSignature,
    InvalidKey,
    KeyRing,
    generate_keypair,
    load_private_key,
    public_key_from_b64,
    public_key_to_b64,
    sign,
    verify,
)

PROVIDER_PEM, PROVIDER_PUBLIC = generate_keypair()
AGENCY_PEM, AGENCY_PUBLIC = generate_keypair()
KEYRING = KeyRing({"ccss": PROVIDER_PUBLIC, "agency": AGENCY_PUBLIC})


def a_message(**body_changes):
    body = {"item_id": "SR-2025-0045", "statement": "I was there, but I left early. — Mere"} | body_changes
    return new_message("correction.statement", "ccss", "agency", "BFF-2026-000123", 4, body)


def signed_by_provider(envelope=None):
    return sign(envelope or a_message(), load_private_key(PROVIDER_PEM))


def problem_with(envelope) -> BadSignature:
    with pytest.raises(BadSignature) as caught:
        verify(envelope, KEYRING)
    return caught.value


def test_a_new_key_pair_is_a_pem_private_key_and_a_32_byte_public_key_in_base64():
    pem, public = generate_keypair()

    key = load_private_key(pem)

    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert len(base64.b64decode(public)) == 32
    assert public_key_to_b64(key.public_key()) == public


def test_a_message_signed_by_its_sender_verifies():
    verify(signed_by_provider(), KEYRING)


def test_signing_leaves_the_unsigned_message_as_it_was():
    unsigned = a_message()

    signed_by_provider(unsigned)

    assert unsigned.signature is None


def test_the_signature_covers_the_canonical_json_of_everything_but_the_signature():
    signed = signed_by_provider()
    everything_else = {key: value for key, value in signed.to_dict().items() if key != "signature"}
    canonical = json.dumps(everything_else, sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False).encode()

    public = public_key_from_b64(PROVIDER_PUBLIC)

    public.verify(base64.b64decode(signed.signature), canonical)  # raises if it does not match
    assert "— Mere".encode() in canonical  # text is kept as UTF-8, not escaped


def test_a_changed_body_fails_verification():
    signed = signed_by_provider()

    error = problem_with(replace(signed, body=signed.body | {"statement": "Something else."}))

    assert error.problem == "bad_signature"
    assert "changed after signing" in error.reason


@pytest.mark.parametrize("header", [
    {"sequence": 5}, {"request": "BFF-2026-000999"}, {"recipient": "other"},
    {"sent_at": "2026-01-01T00:00:00Z"}, {"type": "correction.statement_attached"}])
def test_a_changed_header_fails_verification(header):
    error = problem_with(replace(signed_by_provider(), **header))

    assert error.problem == "bad_signature"


def test_a_message_signed_with_the_other_partys_key_fails_verification():
    forged = sign(a_message(), load_private_key(AGENCY_PEM))  # claims to come from ccss

    assert problem_with(forged).problem == "bad_signature"


def test_an_unsigned_message_fails_verification():
    assert problem_with(a_message()).problem == "unsigned"
    assert problem_with(replace(a_message(), signature="")).problem == "unsigned"


def test_a_sender_with_no_key_in_the_ring_fails_verification():
    stranger = replace(signed_by_provider(), sender="stranger")

    error = problem_with(stranger)

    assert error.problem == "unknown_sender"
    assert "stranger" in error.reason


@pytest.mark.parametrize("signature", ["not base64!", base64.b64encode(b"short").decode(), "QUJD\n"])
def test_a_signature_that_is_not_64_bytes_of_base64_fails_verification(signature):
    assert problem_with(replace(signed_by_provider(), signature=signature)).problem == "bad_signature"


def test_a_signature_spelled_another_way_in_base64_fails_verification():
    signed = signed_by_provider()
    # 64 bytes in base64 end in 'x==', and 4 bits of that x are unused: lenient decoders ignore them.
    last = signed.signature[-3]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    twin = alphabet[alphabet.index(last) ^ 1]
    respelled = signed.signature[:-3] + twin + "=="

    assert base64.b64decode(respelled) == base64.b64decode(signed.signature)
    assert problem_with(replace(signed, signature=respelled)).problem == "bad_signature"


def test_an_already_signed_message_is_not_signed_again():
    with pytest.raises(ValueError, match="already signed"):
        sign(signed_by_provider(), load_private_key(AGENCY_PEM))


@pytest.mark.parametrize(("text", "words"), [("not base64!", "not valid base64"),
                                              (base64.b64encode(b"x" * 31).decode(), "32 bytes"),
                                              ("demo", "32 bytes")])
def test_a_bad_public_key_is_refused_with_a_clear_reason(text, words):
    with pytest.raises(InvalidKey, match=words):
        public_key_from_b64(text)


def test_a_private_key_that_is_not_pem_is_refused():
    with pytest.raises(InvalidKey, match="could not be read"):
        load_private_key(b"hello")


def test_a_private_key_of_another_kind_is_refused():
    other = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())

    with pytest.raises(InvalidKey, match="not an Ed25519 key"):
        load_private_key(other)


def test_a_key_ring_maps_party_ids_to_public_keys_and_shows_no_key_material():
    ring = KeyRing({"ccss": PROVIDER_PUBLIC, "agency": public_key_from_b64(AGENCY_PUBLIC)})

    assert sorted(ring) == ["agency", "ccss"] and len(ring) == 2
    assert public_key_to_b64(ring["ccss"]) == PROVIDER_PUBLIC
    assert ring.get("nobody") is None
    assert PROVIDER_PUBLIC not in repr(ring)
