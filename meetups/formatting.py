"""Dates as people in the library read them: Dutch style in Europe/Amsterdam,
"do 3 dec 2026, 19:30–21:00" (English: "Thu 3 Dec 2026, 19:30–21:00")."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import translation

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

_DAYS = {
    "nl": ["ma", "di", "wo", "do", "vr", "za", "zo"],
    "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
}
_MONTHS = {
    "nl": ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"],
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
}


def _day(value: dt.datetime, language: str) -> str:
    lang = language if language in _DAYS else "nl"
    return f"{_DAYS[lang][value.weekday()]} {value.day} {_MONTHS[lang][value.month - 1]} {value.year}"


def format_when(starts: dt.datetime, ends: dt.datetime | None = None, language: str | None = None) -> str:
    """ "do 3 dec 2026, 19:30–21:00" in Europe/Amsterdam (English: "Thu 3 Dec 2026, 19:30–21:00").
    A meetup that ends on another day shows both days. `language` defaults to the active one."""
    language = language or translation.get_language() or "nl"
    local_start = starts.astimezone(AMSTERDAM)
    text = f"{_day(local_start, language)}, {local_start:%H:%M}"
    if ends is None:
        return text
    local_end = ends.astimezone(AMSTERDAM)
    if local_end.date() == local_start.date():
        return f"{text}–{local_end:%H:%M}"
    return f"{text} – {_day(local_end, language)}, {local_end:%H:%M}"
