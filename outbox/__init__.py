"""One leased outbox's timing, shared by the linked queue (linkqueue/sql.py) and the family notifier
(bot/outbound/notifier.py): who may take a waiting row now, for how long, and how long to wait after a failure.
Imports only the standard library and SQLAlchemy Core: neither side, nor protocol, linkqueue or tono."""

from outbox.backoff import Backoff
from outbox.lease import Leased, Leasing

__all__ = ["Backoff", "Leased", "Leasing"]
