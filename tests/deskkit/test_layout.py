"""The shared layout: a side's templates first, deskkit's behind; the stylesheet; safe response headers."""

from __future__ import annotations

import pytest
from fastapi import FastAPI, Request

from deskkit.desk import Desk, Message
from tests.deskkit.desk_app import HTML, SECRET, browser, sign_in


async def test_a_queue_page_uses_the_sides_template_inside_deskkits_layout(client):
    await sign_in(client)

    page = await client.get("/provider/", headers=HTML)

    assert '<html lang="en-NZ">' in page.text
    assert '<meta charset="utf-8">' in page.text
    assert '<link rel="stylesheet" href="/provider/static/deskkit/desk.css">' in page.text
    assert '<tr class="overdue">' in page.text
    assert '<span class="tag overdue">Overdue</span>' in page.text
    assert '<label for="note">Note</label>' in page.text


async def test_the_stylesheet_is_served_under_the_desks_prefix(client):
    css = await client.get("/provider/static/deskkit/desk.css")

    assert css.status_code == 200
    assert "table.queue" in css.text
    assert ":focus-visible" in css.text


async def test_the_login_page_labels_every_input(client):
    page = await client.get("/provider/login", headers=HTML)

    assert '<label for="login">Login</label>' in page.text
    assert '<label for="password">Password</label>' in page.text
    assert 'autocomplete="current-password"' in page.text
    assert "<title>Sign in · CCSS provider desk</title>" in page.text


async def test_desk_pages_are_not_cached_framed_or_open_to_inline_script(client):
    page = await client.get("/provider/login", headers=HTML)

    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


async def test_a_sides_own_base_can_extend_deskkits_base(tmp_path):
    (tmp_path / "base.html").write_text(
        '{% extends "deskkit/base.html" %}{% block nav %}<nav aria-label="Desk">Tasks</nav>{% endblock %}',
        encoding="utf-8")
    desk = Desk(prefix="/agency", title="Agency desk", cookie="tono_agency", secret=SECRET,
                load_account=_nobody, generation_of=_nothing,
                end_sessions=_end_nothing, templates_dirs=[tmp_path])
    app = FastAPI()
    desk.install(app)

    @app.get("/agency/about")
    async def about(request: Request):
        return desk.render(request, "base.html", {"messages": [Message("Kia ora."), "Plain words."]})

    async with browser(app) as client:
        page = await client.get("/agency/about", headers=HTML)

    assert '<nav aria-label="Desk">Tasks</nav>' in page.text
    assert 'role="status">Kia ora.</p>' in page.text
    assert 'role="status">Plain words.</p>' in page.text
    assert "Signed in as" not in page.text


async def test_csrf_field_on_a_page_without_a_session_says_what_is_missing(tmp_path):
    (tmp_path / "form.html").write_text("{{ csrf_field() }}", encoding="utf-8")
    desk = Desk(prefix="/agency", title="Agency desk", cookie="tono_agency", secret=SECRET,
                load_account=_nobody, generation_of=_nothing,
                end_sessions=_end_nothing, templates_dirs=[tmp_path])
    app = FastAPI()

    @app.get("/agency/form")
    async def form(request: Request):
        return desk.render(request, "form.html")

    async with browser(app) as client:
        with pytest.raises(RuntimeError, match="desk.current_account"):
            await client.get("/agency/form")


def test_a_desk_prefix_must_be_a_plain_path():
    with pytest.raises(ValueError, match="starts with /"):
        Desk(prefix="/agency/", title="Agency desk", cookie="tono_agency", secret=SECRET, load_account=_nobody,
             generation_of=_nothing, end_sessions=_end_nothing)


async def _nobody(kind, account_id):
    return None


def _nothing(account) -> int:
    return 0


async def _end_nothing(kind, account_id, generation) -> None:
    return None
