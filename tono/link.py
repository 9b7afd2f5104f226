"""The linked queue as Tono runs it (TONO_ROLE): in the embedded default both organisations' ends live in
one process, each applying the other's signed messages with its own handler; as one organisation, our end
pushes to the other organisation's server over HTTP and serves an inbox for its messages. Either way, a
loop keeps messages moving."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.ext.asyncio import async_sessionmaker

from agency.intake import Intake
from bot.reports.agency_corrections import apply_agency_corrections
from bot.reports.outcomes import apply_outcome
from bot.reports.receipts import apply_report_message
from bot.requests.inbound import apply_agency_message
from linkqueue.http import HttpDeliverer, check_peer, inbox_url
from linkqueue.ping import LinkView
from linkqueue.sql import MAX_BACKOFF, SqlQueueEnd
from protocol.agreement import DEMO_KEY, Agreement
from protocol.clock import nz_today
from protocol.signing import KeyRing
from tono.keys import SigningKeyError, load_keys
from tono.settings import Settings

log = logging.getLogger(__name__)


def provider_handler(agreement: Agreement):
    """The provider's queue handler: what the agency says of reports, and the outcomes it reports against them,
    go to the reports room (which reads the agreement for the units' names); everything else (requests) to the
    requests room."""

    async def apply_to_provider(session, envelope) -> None:
        if envelope.type.startswith("report."):
            await apply_report_message(session, envelope)
        elif envelope.type == "outcome.reported":
            await apply_outcome(session, agreement, envelope)
        else:
            await apply_agency_message(session, envelope)
            if envelope.type == "unit.answered":  # a row the unit corrected is corrected at the provider too
                await apply_agency_corrections(session, agreement, envelope)

    return apply_to_provider


class _Moving:
    """What every link does: step until nothing moves, or step forever."""

    async def step(self) -> int:
        raise NotImplementedError

    async def settle(self, rounds: int = 20) -> None:
        """Step until nothing moves (tests and tools use this to see a journey through)."""
        for _ in range(rounds):
            if not await self.step():
                return

    async def run(self, interval: float = 0.5) -> None:
        try:
            while True:
                try:
                    await self.step()
                except Exception:  # keep the link alive; the failing message stays queued and is retried
                    log.exception("the link between provider and agency failed a step")
                await asyncio.sleep(interval)
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        """Let go of connections to the other organisation (nothing to do in one process)."""


class Link(_Moving):
    """Provider and agency in one process, joined by the queue; `step` moves every waiting message one hop."""

    inbox = None  # nobody outside sends to us: both ends are here

    def __init__(self, sessions: async_sessionmaker, agreement: Agreement, keys_dir: Path,
                 today: Callable[[], date] = nz_today, agency_sessions: async_sessionmaker | None = None, *,
                 max_backoff: timedelta = MAX_BACKOFF):
        keyring, private = load_keys(agreement, keys_dir)
        provider, agency = agreement.provider.id, agreement.agency.id
        self.provider = SqlQueueEnd("provider", provider, sessions, private[provider], keyring,
                                    max_backoff=max_backoff)
        self.agency = SqlQueueEnd("agency", agency, agency_sessions or sessions, private[agency], keyring,
                                  max_backoff=max_backoff)
        self.intake = Intake(agreement, self.agency, today)
        self.apply_to_provider = provider_handler(agreement)

    async def step(self) -> int:
        moved = await self.provider.push(self.agency.accept)
        moved += await self.agency.consume(self.intake)
        moved += await self.agency.push(self.provider.accept)
        moved += await self.provider.consume(self.apply_to_provider)
        await self.provider.tidy()
        await self.agency.tidy()
        return moved


class PeerLink(_Moving):
    """One organisation's end, with the other organisation on its own server: our messages go to its inbox
    over HTTP, and its messages arrive at ours (`inbox`, served at /protocol/inbox)."""

    def __init__(self, side: str, sessions: async_sessionmaker, agreement: Agreement, keys_dir: Path,
                 peer_url: str, today: Callable[[], date] = nz_today, *, max_backoff: timedelta = MAX_BACKOFF,
                 deliverer: HttpDeliverer | None = None):
        party = agreement.provider.id if side == "provider" else agreement.agency.id
        keyring, private_key = keys_for_one_side(agreement, keys_dir, side)
        self.side = side
        self.end = SqlQueueEnd(side, party, sessions, private_key, keyring, max_backoff=max_backoff)
        self.provider = self.end if side == "provider" else None
        self.agency = self.end if side == "agency" else None
        self.inbox = self.end
        self.handler = provider_handler(agreement) if side == "provider" else Intake(agreement, self.end, today)
        self.deliver = deliverer or HttpDeliverer(inbox_url(peer_url))
        self.peer_url = peer_url
        self.peer = agreement.agency.id if side == "provider" else agreement.provider.id
        # This server's view of the link, which a signed ping compares with the other's (linkqueue/ping.py).
        self.view = LinkView(party, agreement.version, keyring, private_key)
        self.end.peer_check = partial(check_peer, peer_url, self.view, self.peer, self.end)

    async def step(self) -> int:
        moved = await self.end.push(self.deliver)
        moved += await self.end.consume(self.handler)
        await self.end.tidy()  # the inbox's counts written, and dead letters past their retention deleted
        return moved

    async def aclose(self) -> None:
        await self.deliver.aclose()


def keys_for_one_side(agreement: Agreement, keys_dir: Path, side: str) -> tuple[KeyRing, Ed25519PrivateKey]:
    """The key ring from the agreement, and our own private key: all one organisation holds.

    A `demo` key is made on whichever machine first runs, so the other organisation could never check it:
    two servers need both parties' real public keys in the agreement.
    """
    party = agreement.provider.id if side == "provider" else agreement.agency.id
    for party_id, entry in agreement.parties.items():
        if entry.public_key == DEMO_KEY:
            raise SigningKeyError(
                f"TONO_ROLE={side} needs each party's real public key in the agreement, but {party_id}'s is "
                f"`demo`: run `tono keys generate {party_id}` on {party_id}'s server and put the public key it "
                "prints in the agreement.")
    keyring, private = load_keys(agreement, keys_dir)
    if party not in private:
        raise SigningKeyError(f"TONO_ROLE={side} signs as {party}, but TONO_KEYS_DIR ({keys_dir}) holds no "
                              f"{party}.pem: put {party}'s private key there (made by `tono keys generate {party}`).")
    for other in set(private) - {party}:
        log.warning("TONO_KEYS_DIR holds %s's private key too: only %s's own server should have it", other, other)
    return keyring, private[party]


def link_for(settings: Settings, agreement: Agreement, sessions: async_sessionmaker) -> Link | PeerLink:
    """The link this Tono runs, as TONO_ROLE says: both organisations here, or one talking to TONO_PEER_URL."""
    max_backoff = timedelta(seconds=settings.link_max_backoff)
    if settings.role == "both":
        return Link(sessions, agreement, settings.keys_dir, max_backoff=max_backoff)
    return PeerLink(settings.role, sessions, agreement, settings.keys_dir, settings.peer_url,
                    max_backoff=max_backoff)
