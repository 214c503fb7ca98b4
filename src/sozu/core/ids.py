"""Database ids from outside (JSON, CSV, URLs): bounded integers written with ASCII digits."""

from __future__ import annotations

import re

#: Ids are BigAutoField primary keys.
MAX_ID = 2**63 - 1
ASCII_ID = re.compile(r"[0-9]{1,19}")


def parse_id(value: object) -> int | None:
    """A positive integer that fits in a 64-bit id column, written with ASCII digits ("²" and
    Arabic-Indic digits are digits to Python, not to us); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and ASCII_ID.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        return None
    return number if 1 <= number <= MAX_ID else None
