"""A desk's Jinja environment: which templates win, and what every page may call (and how it says a ground of
the Privacy Act: both desks show the same words, from protocol.grounds)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from deskkit import csrf
from protocol.grounds import ground_line

if TYPE_CHECKING:
    from deskkit.desk import Desk

TEMPLATES = Path(__file__).parent / "templates"


def desk_templates(desk: Desk, dirs: Iterable[str | Path]) -> Jinja2Templates:
    """The side's own templates first, then deskkit's. "deskkit/base.html" always names ours, so a side that
    overrides base.html can still extend the original. Undefined names fail loudly: a desk page that
    silently drops a due date or a name is worse than an error in the tests."""
    ours = jinja2.FileSystemLoader(TEMPLATES)
    loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader([str(d) for d in dirs]), ours,
                                  jinja2.PrefixLoader({"deskkit": ours})])
    env = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined)

    @jinja2.pass_context
    def csrf_token(context: Any) -> str:
        token = desk.visit(context["request"]).csrf_token
        if token is None:
            raise RuntimeError("csrf_field() is for pages behind desk.current_account, or the login page.")
        return token

    @jinja2.pass_context
    def csrf_field(context: Any) -> Markup:
        return csrf.hidden_field(csrf_token(context))

    @jinja2.pass_context
    def signed_in_as(context: Any) -> str | None:
        """The signed-in account's name for the header, or None on pages outside a session."""
        account = desk.visit(context["request"]).account
        return None if account is None else desk.account_label(account)

    env.globals.update(desk_title=desk.title, desk_prefix=desk.prefix, desk_static=desk.static_path,
                       login_path=desk.login_path, logout_path=desk.logout_path,
                       csrf_token=csrf_token, csrf_field=csrf_field, signed_in_as=signed_in_as)
    # A ground's code ('another_persons_affairs') means nothing to a reader: `{{ code | ground }}` gives its
    # section and meaning, and `{{ code | ground(kind) }}` the section of an extension for a correction too.
    env.filters["ground"] = ground_line
    return Jinja2Templates(env=env)
