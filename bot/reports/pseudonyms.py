"""Study numbers and row ids that only the provider can map back to a person or a record.

A flow that does not name people carries a study number instead of a participant id: an HMAC-SHA256 of the
person's own record number at the provider, keyed with 32 random bytes that only the provider holds (a file in
TONO_KEYS_DIR, handed in by tono). It is never built from a name or a date of birth, so someone who knows a
family cannot work out its study number. Each receiving unit gets numbers from a key of its own (derived from
the provider's key and the unit's id), so two units cannot join their data on them, unless the agreement
says the units may link (`reporting.units_may_link`).

The id a unit knows a row by ('row-…') is derived the same way from the provider's record id: a unit can
tell its rows apart, and a correction names the row it replaces, but two units cannot match their rows.
"""

from __future__ import annotations

import base64
import hmac

KEY_BYTES = 32
_ALL_UNITS = "all units"  # the derivation label when the agreement lets units link their data


class StudyNumberKeyError(ValueError):
    """The provider's study-number key is missing or not 32 bytes."""


def unit_key(provider_key: bytes, unit: str, units_may_link: bool) -> bytes:
    """The key that makes one unit's study numbers and row ids (the same for every unit when they may link)."""
    if len(provider_key) != KEY_BYTES:
        raise StudyNumberKeyError(f"The study-number key must be {KEY_BYTES} random bytes; this one has "
                                  f"{len(provider_key)}. Tono makes it in TONO_KEYS_DIR on first use.")
    label = _ALL_UNITS if units_may_link else f"unit {unit}"
    return hmac.digest(provider_key, f"tono study numbers: {label}".encode(), "sha256")


def _code(key: bytes, what: str) -> str:
    # 80 bits in 16 base32 characters: no two of a programme's people or rows meet by chance. hmac.digest is
    # the one-shot form (a report of 80,000 rows makes 80,000 row ids).
    return base64.b32encode(hmac.digest(key, what.encode(), "sha256")[:10]).decode()


def study_number(key: bytes, person_id: int) -> str:
    """The person's study number for the unit whose key this is, e.g. 'S-MFRGGZDFMZTWQ2LK'."""
    return "S-" + _code(key, f"person {person_id}")


def row_id(key: bytes, record_id: int) -> str:
    """The id the unit whose key this is knows a programme record's row by, e.g. 'row-3f9a0c1d2e4b5a6978c1':
    80 bits in hex (a report makes one per row, and hex is quicker to write than base32)."""
    return "row-" + hmac.digest(key, f"record {record_id}".encode(), "sha256")[:10].hex()
