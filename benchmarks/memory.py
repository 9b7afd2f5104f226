"""Memory: the resident memory of one bot process (Tono on aiogram, long polling, SQLite) once N families
are each part-way through a conversation (started, language asked, the request begun), measured in the
bot's own process while every conversation is still open. The families and the fake Bot API server run
in another process, so their memory is not counted.

    python -m benchmarks.memory --conversations 10000 --json
"""

from __future__ import annotations

import argparse
import asyncio
import json

from benchmarks.chat_load import resident_mb, tono

STEPS_EACH = 3  # /start, "Not now", /language: each family is mid-way when the run ends


async def measure(conversations: int, database: str) -> dict:
    before = resident_mb()
    figures = await tono(conversations, conversations * STEPS_EACH, database)
    return {"conversations": conversations, "rss_mb": figures["rss_mb"], "rss_before_mb": before,
            "updates": figures["updates"], "failed_chats": figures["failed_chats"], "database": database}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(measure(args.conversations, args.database))
    print(json.dumps(result) if args.json else "\n".join(f"{k:>16}: {v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
