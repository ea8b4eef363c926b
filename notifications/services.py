"""Writes of the in-app inbox. `notify` is what other apps call (meetups: cancelled, promoted,
reminder, changed, support decided); each new notification is pushed to the reader's open sockets as
a `notification` user event after commit."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from backend import realtime
from backend.exceptions import ValidationFailed
from groups.selectors import AnyUser

from .models import Notification
from .payloads import notification_payload
from .selectors import ensure_inbox_user, unread_count

KINDS = ("meetup.cancelled", "meetup.promoted", "meetup.reminder", "meetup.changed", "support.decided")


@transaction.atomic
def notify(*, user_ids: list[int], kind: str, data: dict[str, Any]) -> None:
    """Give each (active, non-guest) user a notification and push it to their sockets after commit."""
    ids = sorted({int(pk) for pk in user_ids if pk is not None})
    if not ids:
        return
    readers = list(User.objects.filter(pk__in=ids, is_active=True, is_guest=False).only("pk", "language"))
    created = Notification.objects.bulk_create(
        [Notification(user_id=reader.pk, kind=kind, data=data) for reader in readers]
    )
    for reader, notification in zip(readers, created, strict=True):
        if notification.pk is None:  # pragma: no cover - PostgreSQL returns primary keys
            continue
        _push_on_commit(reader, notification)


def _push_on_commit(reader: User, notification: Notification) -> None:
    def push() -> None:
        realtime.notify_user_on_commit(
            reader.pk,
            {
                "type": "notification",
                "notification": notification_payload(notification, language=reader.language),
                "unread": unread_count(user_id=reader.pk),
            },
        )

    # The unread count is read after commit, so it includes every notification of this transaction.
    transaction.on_commit(push)


@transaction.atomic
def notifications_mark_read(*, actor: AnyUser, ids: list[int] | None = None, all: bool = False) -> int:
    """Mark the actor's own notifications read (the given ids, or all); returns the unread count.
    Ids of other people's notifications are ignored."""
    member = ensure_inbox_user(actor)
    if not all and ids is None:
        raise ValidationFailed(fields={"ids": [str(ValidationFailed.default_message)]})
    qs = Notification.objects.filter(user=member, read_at__isnull=True)
    if not all:
        qs = qs.filter(pk__in=ids or [])
    qs.update(read_at=timezone.now())
    return unread_count(user_id=member.pk)
