"""Signatures: how each organisation proves that a message comes from it and was not changed on the way.

Each organisation has a key pair (Ed25519). It keeps the private key secret, outside the repository, and
signs every message it sends with it. The public keys are written in the agreement, so the other side can
check each signature. A signature covers everything in the message except the signature itself, in the one
agreed byte form (canonical JSON), so changing a single character anywhere makes it fail.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

if TYPE_CHECKING:
    from protocol.messages import Envelope

PUBLIC_KEY_BYTES = 32
SIGNATURE_BYTES = 64


class BadSignature(Exception):
    """A message's signature cannot be trusted; `reason` says why in one sentence."""

    def __init__(self, reason: str, problem: str = "bad_signature"):
        super().__init__(reason)
        self.reason, self.problem = reason, problem


class InvalidKey(ValueError):
    """A key given to us is not a usable Ed25519 key."""


def _strict_b64(text: object) -> bytes | None:
    """Decode standard base64, accepting only the one exact spelling of each byte string.

    Lenient decoders ignore stray characters and unused bits, so two different texts could carry the
    same signature; insisting on the exact spelling keeps "any change is detected" true.
    """
    if not isinstance(text, str):
        return None
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if base64.b64encode(raw).decode() == text else None


def public_key_to_b64(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def generate_keypair() -> tuple[bytes, str]:
    """A new key pair: the private key as PEM (keep it secret) and the public key as base64 (publish it)."""
    key = Ed25519PrivateKey.generate()
    # Unencrypted PKCS#8: it lives in the environment or a secrets store, which is where protection belongs.
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return pem, public_key_to_b64(key.public_key())


def load_private_key(pem: bytes, password: bytes | None = None) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=password)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise InvalidKey(f"The private key could not be read as PEM: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidKey(f"The private key is a {type(key).__name__}, not an Ed25519 key.")
    return key


def public_key_from_b64(text: str) -> Ed25519PublicKey:
    raw = _strict_b64(text)
    if raw is None:
        raise InvalidKey("The public key is not valid base64.")
    if len(raw) != PUBLIC_KEY_BYTES:
        raise InvalidKey(f"An Ed25519 public key is {PUBLIC_KEY_BYTES} bytes, but this one is "
                         f"{len(raw)} bytes.")
    return Ed25519PublicKey.from_public_bytes(raw)


def _public(key: Ed25519PublicKey | str) -> Ed25519PublicKey:
    return key if isinstance(key, Ed25519PublicKey) else public_key_from_b64(key)


class KeyRing(Mapping[str, Ed25519PublicKey]):
    """The public keys we trust, by party id (as listed in the agreement); while a party changes keys, its next
    key (`also`) verifies too."""

    def __init__(self, keys: Mapping[str, Ed25519PublicKey | str] | None = None,
                 also: Mapping[str, Ed25519PublicKey | str] | None = None):
        self._keys = {party: _public(key) for party, key in (keys or {}).items()}
        self._also = {party: _public(key) for party, key in (also or {}).items()}

    def candidates(self, party: str) -> list[Ed25519PublicKey]:
        """Every key a message from `party` may be signed with: its key, then its next key if it is changing."""
        return [key for key in (self._keys.get(party), self._also.get(party)) if key is not None]

    def __getitem__(self, party: str) -> Ed25519PublicKey:
        return self._keys[party]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"KeyRing({sorted(self._keys)})"


def sign(envelope: Envelope, private_key: Ed25519PrivateKey) -> Envelope:
    """Return a copy of an unsigned message with the sender's signature added."""
    if envelope.signature is not None:
        raise ValueError("This message is already signed; sign the unsigned message instead.")
    signature = private_key.sign(envelope.signed_bytes())
    return replace(envelope, signature=base64.b64encode(signature).decode())


def verify(envelope: Envelope, keyring: Mapping[str, Ed25519PublicKey]) -> None:
    """Check the message was signed with its sender's key and not changed since; raise BadSignature if not."""
    if envelope.signature is None or envelope.signature == "":
        raise BadSignature("The message is not signed.", "unsigned")
    keys = candidate_keys(keyring, envelope.sender) if isinstance(envelope.sender, str) else []
    if not keys:
        raise BadSignature(f"The sender {envelope.sender} is not a party we hold a public key for.",
                           "unknown_sender")
    raw = _strict_b64(envelope.signature)
    if raw is None:
        raise BadSignature("The signature is not valid base64.")
    if len(raw) != SIGNATURE_BYTES:
        raise BadSignature(f"An Ed25519 signature is {SIGNATURE_BYTES} bytes, but this one is "
                           f"{len(raw)} bytes.")
    if not verifies(keys, raw, envelope.signed_bytes()):
        raise BadSignature(f"The signature does not match: the message was changed after signing, or was not "
                           f"signed with {envelope.sender}'s key.")


def candidate_keys(keyring: Mapping[str, Ed25519PublicKey], party: str) -> list[Ed25519PublicKey]:
    """The keys that may have signed for `party`: a KeyRing's candidates, or a plain mapping's one key."""
    if isinstance(keyring, KeyRing):
        return keyring.candidates(party)
    key = keyring.get(party)
    return [key] if key is not None else []


def verifies(keys: list[Ed25519PublicKey], signature: bytes, data: bytes) -> bool:
    """Whether any of `keys` made `signature` over `data`."""
    for key in keys:
        try:
            key.verify(signature, data)
        except InvalidSignature:
            continue
        return True
    return False


class RotatingSigningKey:
    """A party's signing key while it changes keys: the current private key until `takes_over` (a day, in the
    agreement's time zone as `today` gives it), the next one from then. Signs as Ed25519PrivateKey does."""

    def __init__(self, current: Ed25519PrivateKey, following: Ed25519PrivateKey | None, takes_over, today):
        self.current, self.following, self.takes_over, self.today = current, following, takes_over, today

    def _now(self) -> Ed25519PrivateKey:
        if self.following is not None and self.today() >= self.takes_over:
            return self.following
        return self.current

    def sign(self, data: bytes) -> bytes:
        return self._now().sign(data)

    def public_key(self) -> Ed25519PublicKey:
        return self._now().public_key()
