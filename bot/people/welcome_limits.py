"""How many new web chats and requests to talk to a worker one client may start in an hour (issue 17, item 4).

Without them a script could open web chats without end and fill the staff's queue with words of its choosing.
A person opens a chat or two and asks for a worker once or twice; a family sharing one address (a school, a
library, a marae's wifi) a few more. So, per hour:

- new web chats: 30 per client address (an IPv6 address counts by its /64, which one household holds);
- asking for a worker: 3 per chat and 6 per client address, and 30 in all from chats not yet linked to a
  person (anyone could have typed those; a linked family's request is never held back by strangers).

The counts are moving windows of the `limits` package in this process's memory, as the inbox's junk limit
(linkqueue/guard.py) keeps them. With several workers each counts its own share, which only makes the limits
more generous; `limits` can keep them in Redis or memcached instead, if Tono ever runs such a store.
"""

from __future__ import annotations

import ipaddress

from limits import RateLimitItemPerHour
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


def client_key(host: str | None) -> str:
    """The client a limit counts: its address, an IPv6 one by its /64."""
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return (host or "unknown")[:64]
    if address.version == 4:
        return str(address)
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(ipaddress.ip_network(f"{address}/64", strict=False))


class WelcomeLimits:
    def __init__(self, new_chats: int = 30, contacts_per_chat: int = 3, contacts_per_client: int = 6,
                 unlinked_contacts: int = 30):
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self.new_chats = RateLimitItemPerHour(new_chats)
        self.contacts_per_chat = RateLimitItemPerHour(contacts_per_chat)
        self.contacts_per_client = RateLimitItemPerHour(contacts_per_client)
        self.unlinked_contacts = RateLimitItemPerHour(unlinked_contacts)

    def may_open_chat(self, client: str | None) -> bool:
        """A new chat from `client` (None: a channel whose chats someone else vouches for, like Telegram's)."""
        return client is None or self._limiter.hit(self.new_chats, "new chat", client_key(client))

    def may_ask_for_a_person(self, chat_link_id: int, client: str | None, linked: bool) -> bool:
        hit = self._limiter.hit
        if not hit(self.contacts_per_chat, "contact by chat", str(chat_link_id)):
            return False
        if client is not None and not hit(self.contacts_per_client, "contact by client", client_key(client)):
            return False
        return linked or hit(self.unlinked_contacts, "unlinked contact")
