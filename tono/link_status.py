"""`tono link status` and `tono link resend`, the link as an operator sees it at three in the morning: this
server's role, the other server's address, whether it answers and agrees on the agreement and both keys (a
signed ping, linkqueue/ping.py), and the queue's facts on each side this server runs (linkqueue/health.py).
The same facts feed /healthz's counts and the desks' link pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from deskkit.link_page import age
from linkqueue.health import PeerCheck, QueueFacts, Reasons, queue_counts, queue_facts
from linkqueue.tables import QUEUE_TABLES
from protocol.agreement import Agreement
from protocol.clock import utcnow


@dataclass(frozen=True)
class LinkStatus:
    role: str
    sides: dict[str, QueueFacts]  # "provider", "agency": the queue ends this server runs
    peer: PeerCheck | None  # None when both organisations run here

    @property
    def healthy(self) -> bool:
        return all(facts.healthy for facts in self.sides.values()) and (self.peer is None or self.peer.healthy)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


async def link_counts(engine: AsyncEngine, role: str) -> dict:
    """/healthz's figures: each side's queue counts, and whether nothing is refused on either side."""
    sides = ("provider", "agency") if role == "both" else (role,)
    async with engine.connect() as connection:
        counts = {side: await queue_counts(connection, QUEUE_TABLES[side]) for side in sides}
    healthy = all(c["refused"] == 0 and c["dead_letters"] == 0 for c in counts.values())
    return {"healthy_here": healthy, **{side: c | {"oldest_waiting": _iso(c["oldest_waiting"])}
                                        for side, c in counts.items()}}


async def queue_sides(engine: AsyncEngine, sides: tuple[str, ...]) -> dict[str, QueueFacts]:
    async with engine.connect() as connection:
        return {side: await queue_facts(connection, QUEUE_TABLES[side]) for side in sides}


async def link_status(engine: AsyncEngine, link, role: str, *, ping: bool = True) -> LinkStatus:
    sides = ("provider", "agency") if role == "both" else (role,)
    peer_check = getattr(getattr(link, "end", None), "peer_check", None)
    return LinkStatus(role, await queue_sides(engine, sides), await peer_check() if ping and peer_check else None)


def _reasons(title: str, found: list[Reasons], now: datetime, fix: str) -> list[str]:
    if not found:
        return []
    lines = [f"  {title}: {sum(r.count for r in found)} ({fix})"]
    lines += [f"    {r.count} × {r.reason} (oldest {age(r.oldest, now)} ago)" for r in found]
    return lines


def status_lines(status: LinkStatus, agreement: Agreement) -> list[str]:
    """The report `tono link status` prints, healthy or not, ending with the verdict."""
    now = utcnow()
    lines = [f"This server runs as {'both organisations' if status.role == 'both' else 'the ' + status.role} "
             f"(TONO_ROLE={status.role}), under agreement version {agreement.version[:12]}…"]
    if status.peer is not None:
        peer = status.peer
        verdict = ("answers and agrees on the agreement and both keys" if peer.healthy
                   else "answers, but" if peer.answers else "does not answer")
        lines.append(f"The other organisation's server {peer.url} {verdict}.")
        lines += [f"  {problem}" for problem in peer.problems]
    for side, facts in status.sides.items():
        party = agreement.provider if side == "provider" else agreement.agency
        oldest = f", the oldest {age(facts.oldest_waiting, now)} old" if facts.oldest_waiting else ""
        lines.append(f"{party.names.en.short} ({side}): {facts.waiting} message(s) waiting to go{oldest}; "
                     f"{facts.unapplied} received and not yet applied.")
        lines += _reasons("failing to go", facts.failing, now, "tried again by itself, with back-off")
        lines += _reasons("refused by the other side", facts.refused, now,
                          "fix the cause, then `tono link resend`")
        lines += _reasons("refused here (dead letters)", facts.dead_letters, now,
                          "the other side must fix the cause and send again")
    lines.append("The link is healthy." if status.healthy else "The link is NOT healthy: see above.")
    return lines
