"""The inbox's refusals on the desks ([hardening-2] item 2: "report the rate on the desk"): each desk shows
its organisation's inbox, how much junk it refused and turned away in the last hour and day, and what it
keeps; in the embedded default both ends are here, so both desks show theirs."""

from __future__ import annotations

import re

import pytest

from tests.security.hostile_support import HTML

pytestmark = pytest.mark.asyncio(loop_scope="module")


def _said(page: str, label: str) -> str:
    found = re.search(rf"<dt>{label}</dt>\s*<dd>([^<]*)</dd>", page)
    assert found, f"no {label!r} on the page"
    return " ".join(found.group(1).split())


@pytest.mark.parametrize(("side", "page"), [("provider", "/provider/report"), ("agency", "/agency/")])
async def test_each_desk_shows_the_junk_its_inbox_refused_in_the_last_hour_and_day(tono, desks, side, page):
    end = getattr(tono.state.link, side)
    before = (await end.inbox_watch()).last_hour.total
    for n in range(3):
        await end.accept(f'{{"junk": {n}}}', "192.0.2.7")
    end.guard.turned_away()

    shown = (await desks[side].client.get(page, headers=HTML)).text

    assert "The protocol inbox" in shown
    assert _said(shown, "Last hour") == f"{before + 4} refused, 1 of them turned away unread"
    assert _said(shown, "Last 24 hours").startswith(f"{before + 4} refused")
    assert "each deleted after 30 days" in shown
