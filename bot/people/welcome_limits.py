"""How many new web chats and requests to talk to a worker one client may start in an hour (issue 17, item 4).

Without them a script could open web chats without end and fill the staff's queue with words of its choosing.
A person opens a chat or two and asks for a worker once or twice; a family sharing one address (a school, a
library, a marae's wifi) a few more. So, per hour:

- new web chats: 30 per client address;
- asking for a worker: 3 per chat and 6 per client address, and 30 in all from chats not yet linked to a
  person (anyone could have typed those; a linked family's request is never held back by strangers).

The counts are deskkit.throttle.RateLimit's sliding windows in this process's memory, as the chat's own
slow-down (bot/chat/chat_limits.py) keeps them. The `limits` library would count the same way in memory; its
gain is a shared store (Redis, memcached), which Tono does not run, so a second way of counting would only
add a dependency. With several workers each counts its own share, which only makes the limits more generous.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from deskkit.throttle import RateLimit

HOUR = 3600.0


class WelcomeLimits:
    def __init__(self, new_chats: int = 30, contacts_per_chat: int = 3, contacts_per_client: int = 6,
                 unlinked_contacts: int = 30, window: float = HOUR, clock: Callable[[], float] = time.monotonic):
        self.new_chats = RateLimit(new_chats, window, clock=clock)
        self.contacts_per_chat = RateLimit(contacts_per_chat, window, clock=clock)
        self.contacts_per_client = RateLimit(contacts_per_client, window, clock=clock)
        self.unlinked_contacts = RateLimit(unlinked_contacts, window, clock=clock)

    def may_open_chat(self, client: str | None) -> bool:
        """A new chat from `client` (None: a channel whose chats someone else vouches for, like Telegram's)."""
        return client is None or not self.new_chats.hit(client)

    def may_ask_for_a_person(self, chat_link_id: int, client: str | None, linked: bool) -> bool:
        if self.contacts_per_chat.hit(str(chat_link_id)):
            return False
        if client is not None and self.contacts_per_client.hit(client):
            return False
        return linked or not self.unlinked_contacts.hit("unlinked")
