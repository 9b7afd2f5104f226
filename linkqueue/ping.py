"""A signed ping each way: whether the two organisations' servers agree on the agreement and on both keys.

The caller signs a ping naming the agreement version it runs under and both parties' public keys as it holds
them. The other server checks the signature with its copy of the caller's key (so it holds the right one),
compares the version and the keys, and answers with a pong it signs itself, which the caller checks with its
copy of the other's key. One exchange so proves both directions, without storing anything: a ping is not a
protocol message and never enters a stream, so checking the link cannot disturb it.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from protocol.messages import canonical_json
from protocol.signing import candidate_keys, public_key_to_b64, verifies

PING_PATH = "/protocol/ping"
PING_LIMIT = 16 * 1024  # a ping is a few hundred bytes


class PingRefused(ValueError):
    """A ping or pong that cannot be taken: the sentence says why."""


@dataclass(frozen=True)
class LinkView:
    """What one server holds of the link: its party, the agreement's version, and both parties' public keys."""

    party: str
    version: str
    keys: Mapping[str, Ed25519PublicKey]
    private_key: Ed25519PrivateKey

    def key_texts(self) -> dict[str, str]:
        return {party: public_key_to_b64(key) for party, key in sorted(self.keys.items())}


@dataclass(frozen=True)
class Comparison:
    """What the other server found when it compared its view with ours: empty `problems` means they agree."""

    peer: str
    problems: list[str] = field(default_factory=list)

    @property
    def agrees(self) -> bool:
        return not self.problems


def signed_json(view: LinkView, body: dict) -> str:
    """`body` as JSON with this server's signature over its canonical form."""
    signature = view.private_key.sign(canonical_json(body))
    return json.dumps(body | {"signature": base64.b64encode(signature).decode()})


def read_signed(raw: str | bytes, keys: Mapping[str, Ed25519PublicKey], kind: str) -> dict:
    """The body of a signed JSON (without its signature), once its sender's signature checks out."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise PingRefused(f"The {kind} is not JSON.") from None
    if not isinstance(data, dict) or not isinstance(data.get("from"), str) or not isinstance(
            data.get("signature"), str):
        raise PingRefused(f"The {kind} does not say who sent it, or is not signed.")
    candidates = candidate_keys(keys, data["from"])  # while a party changes keys, either key verifies
    if not candidates:
        raise PingRefused(f"The {kind} comes from {data['from']!r}, a party this server holds no public key for.")
    body = {name: value for name, value in data.items() if name != "signature"}
    try:
        signature = base64.b64decode(data["signature"], validate=True)
    except ValueError:
        signature = b""
    if not verifies(candidates, signature, canonical_json(body)):
        raise PingRefused(f"The signature on the {kind} does not match {data['from']}'s public key as this server "
                          "holds it: the two agreements' keys differ.")
    return body


def _differences(view: LinkView, version: object, keys: object, other: str) -> list[str]:
    problems = []
    if version != view.version:
        problems.append(f"{other} runs under agreement version {str(version)[:12]}…, this server under "
                        f"{view.version[:12]}…: both need the same agreement file.")
    mine = view.key_texts()
    theirs = keys if isinstance(keys, dict) else {}
    for party in sorted(set(mine) | set(theirs)):
        if mine.get(party) != theirs.get(party):
            problems.append(f"{other} holds a different public key for {party} than this server does: put the "
                            "same key in both agreements.")
    return problems


def make_ping(view: LinkView) -> tuple[str, str]:
    """A signed ping, and its nonce (the pong must carry it back)."""
    nonce = str(uuid.uuid4())
    return signed_json(view, {"kind": "ping", "from": view.party, "nonce": nonce, "agreement": view.version,
                          "keys": view.key_texts()}), nonce


def answer_ping(view: LinkView, raw: str | bytes) -> str:
    """The signed pong to a ping: what differs between the caller's view and ours. Raises PingRefused when the
    ping is not one (the caller is then told why, unsigned: it could not be trusted to read more)."""
    ping = read_signed(raw, view.keys, "ping")
    if ping.get("kind") != "ping" or not isinstance(ping.get("nonce"), str):
        raise PingRefused("The ping is not a ping.")
    problems = _differences(view, ping.get("agreement"), ping.get("keys"), "The caller")
    return signed_json(view, {"kind": "pong", "from": view.party, "nonce": ping["nonce"], "agreement": view.version,
                          "keys": view.key_texts(), "problems": problems})


def read_pong(view: LinkView, raw: str | bytes, nonce: str, peer: str) -> Comparison:
    """Check the pong came from the peer, answers our ping, and say what differs, as either side sees it."""
    pong = read_signed(raw, view.keys, "answer")
    if pong.get("from") != peer or pong.get("kind") != "pong" or pong.get("nonce") != nonce:
        raise PingRefused(f"The answer is not {peer}'s answer to this ping.")
    theirs = [str(problem) for problem in pong.get("problems") or []]
    ours = _differences(view, pong.get("agreement"), pong.get("keys"), peer)
    # Each side finds the same differences; say each once, as this server sees them.
    return Comparison(peer, ours or theirs)
