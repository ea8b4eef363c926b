"""Reads of a member's own notifications. Guests have no inbox."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from backend.exceptions import NotAuthenticated, PermissionDenied
from groups.selectors import AnyUser

from .models import Notification

PAGE = 50


def ensure_inbox_user(user: AnyUser) -> User:
    if not user.is_authenticated:
        raise NotAuthenticated()
    if getattr(user, "is_guest", False):
        raise PermissionDenied()
    return user  # type: ignore[return-value]


def unread_count(*, user_id: int) -> int:
    return Notification.objects.filter(user_id=user_id, read_at__isnull=True).count()


def notification_list(*, user: AnyUser) -> QuerySet[Notification]:
    member = ensure_inbox_user(user)
    return Notification.objects.filter(user=member).order_by("-created_at", "-pk")[:PAGE]
