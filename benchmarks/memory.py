"""Memory: the resident memory of one bot process (Tono on aiogram, long polling, SQLite) once N families
are each part-way through a conversation (started, language asked, the request begun), measured in the
bot's own process while every conversation is still open. The families and the fake Bot API server run
in another process, so their memory is not counted.

    python -m benchmarks.memory --conversations 10000 --json
"""

from __future__ import annotations

from benchmarks.chat_load import resident_mb, run_from_command_line, tono

STEPS_EACH = 3  # /start, "Not now", /language: each family is mid-way when the run ends


async def measure(conversations: int, database: str) -> dict:
    before = resident_mb()
    # Every family waits its turn behind thousands of others here: minutes, not the chat benchmark's 30 s.
    figures = await tono(conversations, conversations * STEPS_EACH, database, timeout=1800)
    return {"conversations": conversations, "rss_mb": figures["rss_mb"], "rss_before_mb": before,
            "updates": figures["updates"], "failed_chats": figures["failed_chats"], "database": database}


def main() -> None:
    run_from_command_line(__doc__, "conversations", 10_000, measure)


if __name__ == "__main__":
    main()
