"""Values cut to a length a person can read: a table row or a page is not the place for a
request line of a megabyte. Machine formats (CSV, JSON) keep every value whole."""

from __future__ import annotations

# Characters a value keeps where it is shown to people, unless told otherwise (0: all).
MAX_CHARS = 100
ELLIPSIS = "…"


def cut(text: str, max_chars: int = MAX_CHARS) -> str:
    """`text` if it has at most `max_chars` characters (or `max_chars` is 0), else its start
    and an ellipsis, `max_chars` characters in all."""
    if not max_chars or len(text) <= max_chars:
        return text
    return text[: max_chars - 1] + ELLIPSIS
