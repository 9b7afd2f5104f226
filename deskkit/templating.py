"""A desk's Jinja environment: which templates win, and what every page may call. It knows nothing of the
desk that uses it (deskkit.desk hands it what pages show) nor of either side: a side adds its own filters,
such as how a ground of the Privacy Act is said."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from deskkit import csrf

TEMPLATES = Path(__file__).parent / "templates"


def desk_templates(dirs: Iterable[str | Path], *, names: Mapping[str, Any],
                   csrf_token_of: Callable[[Request], str | None],
                   signed_in_label_of: Callable[[Request], str | None]) -> Jinja2Templates:
    """The side's own templates first, then deskkit's. "deskkit/base.html" always names ours, so a side that
    overrides base.html can still extend the original. Undefined names fail loudly: a desk page that
    silently drops a due date or a name is worse than an error in the tests.

    `names` are the desk's own globals (its title and paths); `csrf_token_of` and `signed_in_label_of`
    read the request's session for the form token and the header's "signed in as"."""
    ours = jinja2.FileSystemLoader(TEMPLATES)
    loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader([str(d) for d in dirs]), ours,
                                  jinja2.PrefixLoader({"deskkit": ours})])
    env = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined)

    @jinja2.pass_context
    def csrf_token(context: Any) -> str:
        token = csrf_token_of(context["request"])
        if token is None:
            raise RuntimeError("csrf_field() is for pages behind desk.current_account, or the login page.")
        return token

    @jinja2.pass_context
    def csrf_field(context: Any) -> Markup:
        return csrf.hidden_field(csrf_token(context))

    @jinja2.pass_context
    def signed_in_as(context: Any) -> str | None:
        """The signed-in account's name for the header, or None on pages outside a session."""
        return signed_in_label_of(context["request"])

    env.globals.update(names, csrf_token=csrf_token, csrf_field=csrf_field, signed_in_as=signed_in_as)
    return Jinja2Templates(env=env)
