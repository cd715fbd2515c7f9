"""Column letters of a spreadsheet: 0 <-> "A", 25 <-> "Z", 26 <-> "AA" (0-based columns)."""

from __future__ import annotations

import functools

MAX_COLUMNS = 16_384  # Excel's last column is XFD


@functools.lru_cache(maxsize=1024)
def column_letters(col: int) -> str:
    """The letters of a 0-based column: 0 -> "A", 26 -> "AA"."""
    if not 0 <= col < MAX_COLUMNS:
        raise ValueError(f"A column is from 0 to {MAX_COLUMNS - 1}, not {col}.")
    name = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        name = chr(65 + rest) + name
    return name


def column_index(letters: str | bytes) -> int:
    """The 0-based column of its letters, any case: "A" -> 0, "AA" -> 26."""
    text = letters.decode("ascii") if isinstance(letters, bytes) else letters
    index = 0
    for letter in text.upper():
        index = index * 26 + ord(letter) - 64
    return index - 1
