"""Page links that carry where the next page starts (keyset paging: after the last row's day and id), so a
page far back costs the database what the first one does. Each desk chooses whether rows without a day are
paged too, and how large an id its tables hold; a link it did not make gets one sentence (400), never a 500."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from deskkit.problems import DeskProblem

BAD_LINK = "That page link is not one this desk made; start again from the first page."


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: after the row due on `day` with this `id` (`day` None: among the undated)."""

    day: date | None
    id: int


@dataclass(frozen=True)
class Cursors:
    """How one desk writes its page links. With `undated` the day is optional ("d.2026-12-01.42" or "n.7");
    without it every link has one ("2026-12-01.42")."""

    max_id: int
    undated: bool = False

    def text(self, cursor: Cursor) -> str:
        dated = f"{cursor.day.isoformat()}.{cursor.id}" if cursor.day else f"{cursor.id}"
        if not self.undated:
            return dated
        return f"d.{dated}" if cursor.day else f"n.{dated}"

    def parse(self, text: str | None) -> Cursor | None:
        """The cursor a link carries (None for the first page), or DeskProblem(400) for one no desk made."""
        if not text:
            return None
        # ASCII digits only (\d would take any script's), and no more of them than the largest id has.
        day, number = r"([0-9]{4}-[0-9]{2}-[0-9]{2})", rf"([0-9]{{1,{len(str(self.max_id))}}})"
        shape = rf"(?:d\.{day}\.{number}|n\.{number})" if self.undated else rf"{day}\.{number}()"
        if (found := re.fullmatch(shape, text)) is None:
            raise DeskProblem(400, BAD_LINK)
        try:
            cursor = Cursor(date.fromisoformat(found[1]) if found[1] else None, int(found[2] or found[3]))
        except ValueError:  # a day that does not exist, such as 2026-02-30
            raise DeskProblem(400, BAD_LINK) from None
        if not 1 <= cursor.id <= self.max_id:
            raise DeskProblem(400, BAD_LINK)
        return cursor
