"""The web chat's security headers (OWASP ASVS 14.4): what a browser may load into the page, that no other
site may frame it, that no address leaks to other sites, and that nothing a chat says is kept in a cache.

The page's one script and one style sheet are inline, so the policy allows exactly those, by a nonce drawn
afresh for every page: an injected <script> or style attribute has no nonce and does not run."""

from __future__ import annotations

import secrets

from starlette.responses import Response

# Everything else is refused: the page talks only to its own origin (turns, updates, copies, pictures).
POLICY = ("default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; img-src 'self'; "
          "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
ALWAYS = {
    "Referrer-Policy": "no-referrer",  # a chat's address may carry an enrolment code (?start=…)
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # frame-ancestors, for browsers too old to read it
}


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def guard(response: Response, nonce: str | None = None) -> Response:
    """Set the headers every /chat/ answer carries; the page's policy needs the nonce its template used."""
    response.headers.update(ALWAYS)
    response.headers["Cache-Control"] = "no-store"  # a family's words and copies never sit in a shared cache
    policy = POLICY.format(nonce=nonce) if nonce else POLICY.format(nonce="none").replace(" 'nonce-none'", " 'none'")
    response.headers["Content-Security-Policy"] = policy
    return response
