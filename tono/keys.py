"""Signing keys: each organisation signs what it sends with its private key; the agreement carries
the public keys. Private keys never enter the repository: they come from TONO_KEYS_DIR (or, for a
party the agreement marks `demo`, are generated there on first run)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from datetime import date
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from protocol.agreement import DEMO_KEY, Agreement
from protocol.clock import nz_today
from protocol.signing import KeyRing, RotatingSigningKey, generate_keypair, load_private_key, public_key_to_b64

STUDY_NUMBER_KEY_BYTES = 32


class SigningKeyError(ValueError):
    """A key is missing or unusable; the message says which and what to do."""


def key_file(directory: Path, party: str, following: bool = False) -> Path:
    """`<party>.pem`, or while the party changes keys its next one, `<party>.next.pem`."""
    return directory / f"{party}{'.next' if following else ''}.pem"


def generate_key_files(directory: Path, party: str, following: bool = False) -> tuple[Path, str]:
    """Write a new private key for `party` (readable by its owner only); return its path and public key.
    `following`: the party's next key, for changing keys (docs/two-organisations.md, "Changing a key")."""
    path = key_file(directory, party, following)
    if path.exists():
        raise SigningKeyError(f"{path} already exists; move it away first if you really mean to replace the key.")
    private_pem, public_b64 = generate_keypair()
    directory.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(private_pem)
    return path, public_b64


def _private_key(directory: Path, party: str, generate: bool) -> Ed25519PrivateKey | None:
    path = directory / f"{party}.pem"
    if not path.exists():
        if not generate:
            return None
        generate_key_files(directory, party)
    return load_private_key(path.read_bytes())


def load_keys(agreement: Agreement, directory: Path,
              today: Callable[[], date] = nz_today) -> tuple[KeyRing, dict[str, Ed25519PrivateKey]]:
    """The public key ring both sides verify with, and the private keys this machine holds.

    A party whose agreement key is `demo` gets a key generated in `directory` on first run; a party
    with a real public key signs only if its private key is in `directory`, and it must match. A party changing
    keys (`next_key` in the agreement) has both keys in the ring, and signs with `<party>.next.pem` from the
    day its next key takes over.
    """
    public: dict[str, str] = {}
    also: dict[str, str] = {}
    private: dict[str, Ed25519PrivateKey] = {}
    for party_id, party in agreement.parties.items():
        is_demo = party.public_key == DEMO_KEY
        key = _private_key(directory, party_id, generate=is_demo)
        own_public = public_key_to_b64(key.public_key()) if key is not None else None
        if is_demo:
            public[party_id] = own_public
        else:
            if own_public is not None and own_public != party.public_key:
                raise SigningKeyError(f"{directory / (party_id + '.pem')} does not match the public key the "
                                f"agreement gives for {party_id}.")
            public[party_id] = party.public_key
        if party.next_key is not None:
            also[party_id] = party.next_key.public_key
            key = _rotating(directory, party_id, party.next_key, key, today)
        if key is not None:
            private[party_id] = key
    return KeyRing(public, also), private


def _rotating(directory: Path, party: str, next_key, current: Ed25519PrivateKey | None, today):
    """The party's signing key while it changes keys, when this machine holds its current key."""
    if current is None:
        return None  # the other organisation's key: only its public keys are needed here
    path = key_file(directory, party, following=True)
    following = load_private_key(path.read_bytes()) if path.exists() else None
    if following is not None and public_key_to_b64(following.public_key()) != next_key.public_key:
        raise SigningKeyError(f"{path} does not match the next key the agreement gives for {party}.")
    if following is None and today() >= next_key.takes_over:
        raise SigningKeyError(f"The agreement says {party}'s next key took over on {next_key.takes_over:%Y-%m-%d}, "
                              f"but {directory} holds no {path.name}: put the private key made by `tono keys "
                              f"generate {party} --next` there.")
    return RotatingSigningKey(current, following, next_key.takes_over, today)


def study_number_key(agreement: Agreement, directory: Path) -> bytes:
    """The provider's study-number key (bot.reports.pseudonyms): 32 random bytes in
    '<provider>.study-numbers.key' in TONO_KEYS_DIR, readable by its owner only, made there on first use.
    Only the provider holds it; losing it means new study numbers, so keep it with the signing key's backups."""
    path = directory / f"{agreement.provider.id}.study-numbers.key"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it a moment ago: read theirs
            pass
        else:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(secrets.token_bytes(STUDY_NUMBER_KEY_BYTES))
    key = path.read_bytes()
    if len(key) != STUDY_NUMBER_KEY_BYTES:
        raise SigningKeyError(f"{path} should hold {STUDY_NUMBER_KEY_BYTES} random bytes but holds {len(key)}: "
                              "restore it from a backup (a new key would give everyone new study numbers).")
    return key
