"""The Notification payload and its text, rendered in the reader's language from `kind` + `data`.

`data` is what the caller of `notifications.services.notify` stored (docs/meetups.md):
- meetup.* kinds: `meetup` (id), `title`, optionally `starts_at`, `ends_at` (ISO 8601), `reason`
  (cancellation);
- support.decided: `meetup`, `title`, `state` ("approved" | "declined"), optionally `note`.
Unknown kinds get a generic text; nothing here raises on missing keys.
"""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext

from .models import Notification


def _iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def _when(data: dict[str, Any], language: str) -> str:
    from meetups.formatting import format_when

    starts = parse_datetime(str(data.get("starts_at") or ""))
    ends = parse_datetime(str(data.get("ends_at") or "")) if data.get("ends_at") else None
    if starts is None:
        return ""
    return format_when(starts, ends, language)


def notification_url(kind: str, data: dict[str, Any]) -> str:
    if data.get("url"):
        return str(data["url"])
    if data.get("meetup"):
        return f"/bijeenkomsten/{data['meetup']}"
    return "/meldingen"


def notification_text(kind: str, data: dict[str, Any], language: str) -> str:
    title = str(data.get("title") or "")
    with translation.override(language or "nl"):
        when = _when(data, language or "nl")
        if kind == "meetup.cancelled":
            return gettext("The meetup “%(title)s” has been cancelled.") % {"title": title}
        if kind == "meetup.promoted":
            return gettext("A seat freed up: you are now going to “%(title)s”.") % {"title": title}
        if kind == "meetup.reminder":
            if when:
                return gettext("Reminder: “%(title)s” starts %(when)s.") % {"title": title, "when": when}
            return gettext("Reminder: “%(title)s” starts soon.") % {"title": title}
        if kind == "meetup.changed":
            if when:
                return gettext("The meetup “%(title)s” has changed: now %(when)s.") % {
                    "title": title,
                    "when": when,
                }
            return gettext("The time or place of the meetup “%(title)s” has changed.") % {"title": title}
        if kind == "support.decided":
            if data.get("state") == "approved":
                return gettext("The library approved your request for “%(title)s”.") % {"title": title}
            return gettext("The library declined your request for “%(title)s”.") % {"title": title}
        return gettext("You have a new notification.")


def notification_payload(notification: Notification, *, language: str) -> dict[str, Any]:
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "text": notification_text(notification.kind, notification.data, language),
        "url": notification_url(notification.kind, notification.data),
        "data": notification.data,
        "created_at": _iso(notification.created_at),
        "read": notification.read_at is not None,
    }
