"""The `tono link` commands, for an operator and an operator's monitor:

- `tono link status`: this server's role, the other server and whether it answers and agrees on the agreement
  and both keys, messages waiting (and the oldest), refused, failing and dead letters by reason. Exit status 0
  when the link is healthy, 1 when it is not.
- `tono link resend`: send again every message the other side refused, and apply again every message received
  that could not be applied, once the cause is fixed.
- `tono link check`: compare every stream's sequence numbers with the other server (after a restore from an
  older backup they disagree); exit 1 when something must be settled.
- `tono link repair`: settle them, on both servers (linkqueue/streams.py).
"""

from __future__ import annotations

import argparse
import asyncio

from tono.settings import load_settings


def add_link_commands(commands: argparse._SubParsersAction) -> None:
    link = commands.add_parser("link", help="the link between the two organisations' servers").add_subparsers(
        dest="link", required=True, metavar="COMMAND")
    status = link.add_parser("status", help="whether the link is healthy, and what is wrong if not (exit 1)")
    status.add_argument("--no-ping", action="store_true", help="only this server's queue; do not call the other")
    status.set_defaults(handler=_status)
    link.add_parser("resend", help="send again the messages the other side refused, once the cause is fixed"
                    ).set_defaults(handler=_resend)
    link.add_parser("check", help="compare each request's messages with the other server after a restore (exit 1)"
                    ).set_defaults(handler=_check)
    link.add_parser("repair", help="settle what `tono link check` found, on both servers").set_defaults(
        handler=_repair)


def _ready():
    from tono.first_hour import agreement_from
    from tono.startup import check_migrated, check_signing_keys

    settings = load_settings()
    agreement = agreement_from(settings)
    asyncio.run(check_migrated(settings))
    if settings.role != "both":
        check_signing_keys(settings, agreement)
    return settings, agreement


async def _with_link(settings, agreement, work):
    from tono.database import make_engine, make_sessionmaker
    from tono.link import link_for

    engine = make_engine(settings.database_url)
    link = None
    try:
        link = link_for(settings, agreement, make_sessionmaker(engine))
        return await work(engine, link)
    finally:
        if link is not None and hasattr(link, "aclose"):
            await link.aclose()
        await engine.dispose()


def _status(args: argparse.Namespace) -> int:
    from tono.link_status import link_status, status_lines

    settings, agreement = _ready()
    status = asyncio.run(_with_link(settings, agreement, lambda engine, link: link_status(
        engine, link, settings.role, ping=not args.no_ping)))
    for line in status_lines(status, agreement):
        print(line)
    return 0 if status.healthy else 1


def _resend(args: argparse.Namespace) -> int:
    settings, agreement = _ready()

    async def work(engine, link):
        ends = [end for end in (link.provider, link.agency) if end is not None]
        return (sum([await end.resend_refused() for end in ends]),
                sum([await end.apply_failed_again() for end in ends]))

    sent, applying = asyncio.run(_with_link(settings, agreement, work))
    if sent == 0 and applying == 0:
        print("No message was refused: nothing to send again.")
    if sent:
        print(f"{sent} refused message(s) will be sent again, each in its turn, while `tono run` runs "
              "(`tono link status` shows whether they arrive).")
    if applying:
        print(f"{applying} received message(s) that could not be applied will be applied again, each once, while "
              "`tono run` runs.")
    return 0


def _streams(repair: bool) -> int:
    from linkqueue.http import PeerUnavailable, compare_streams
    from linkqueue.ping import PingRefused
    from tono.startup import StartupError

    settings, agreement = _ready()
    if settings.role == "both":
        print("Both organisations run in this one Tono, on one database: there is no other server to compare with.")
        return 0

    async def work(engine, link):
        return await compare_streams(link.peer_url, link.view, link.peer, link.end, repair=repair)

    try:
        theirs, ours = asyncio.run(_with_link(settings, agreement, work))
    except PeerUnavailable as failure:
        raise StartupError(f"The other organisation's server does not answer ({failure.reason}): start it, or "
                           "check TONO_PEER_URL, then try again.") from None
    except PingRefused as refused:
        raise StartupError(f"{refused} Run `tono link status` to see why.") from None
    other = "the other server"
    for title, found in ((f"On this server{'' if repair else ', to settle'}:", ours),
                         (f"On {other}{'' if repair else ', to settle'}:", theirs)):
        if found:
            print(title)
            for sentence in found:
                print(f"  {sentence}")
    if not (theirs or ours):
        print("Every stream agrees: both servers have the same messages in the same order.")
        return 0
    if repair:
        print("Settled: the messages put back go again while `tono run` runs on both servers; "
              "`tono link check` should then find nothing.")
        return 0
    print("Run `tono link repair` to settle these, on both servers at once.")
    return 1


def _check(args: argparse.Namespace) -> int:
    return _streams(repair=False)


def _repair(args: argparse.Namespace) -> int:
    return _streams(repair=True)
