"""CSV downloads that librarians open in a spreadsheet."""

from __future__ import annotations

from typing import Any


def spreadsheet_cell(value: Any) -> Any:
    """Spreadsheets run a text cell that starts with = + - @ (or tab, CR) as a formula
    (`=HYPERLINK(...)` from a display name or a message): such text gets a leading apostrophe, which
    makes it plain text. Numbers and empty values are left as they are."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
