"""The access log without what some addresses carry: a family's enrolment code (`/chat/?start=…`, a key to
their records until used) and the names staff search for (`/provider/people?q=…`). The path stays, so the
log still says what was asked for; the value becomes `[redacted]`."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, urlencode

# Query parameters whose values are secrets or personal: enrolment codes, people-search words, tokens.
SECRET_PARAMETERS = frozenset({"start", "code", "q", "token", "name"})
REDACTED = "[redacted]"


def redact(path: str) -> str:
    """`path` (with its query string) with the values of SECRET_PARAMETERS replaced."""
    where, sep, query = path.partition("?")
    if not sep:
        return path
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(key in SECRET_PARAMETERS for key, _ in pairs):
        return path
    kept = [(key, REDACTED if key in SECRET_PARAMETERS else value) for key, value in pairs]
    return f"{where}?{urlencode(kept, safe='[]')}"


class RedactSecrets(logging.Filter):
    """For uvicorn's access logger, whose records carry (client, method, path with query, version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) >= 3 and isinstance(record.args[2], str):
            record.args = (*record.args[:2], redact(record.args[2]), *record.args[3:])
        return True


def install() -> None:
    """Redact uvicorn's access log from now on (call after uvicorn.Config, which configures its loggers)."""
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactSecrets) for f in logger.filters):
        logger.addFilter(RedactSecrets())
