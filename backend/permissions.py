"""Guests (`User.is_guest`, meetups.Guest) may use only a handful of REST endpoints: the ones about
their own meetup and its conversation. Everything else answers 403 `guest_not_allowed`.

Refusal is the default, enforced twice so that no view can forget it:
- `RefuseGuests` is the default DRF permission (views without their own permission_classes);
- the authentication classes in REST_FRAMEWORK refuse a guest on any view that has not opted in,
  whatever permission_classes the view sets.

A view opts in with `guest_access = True` (new views), or by being listed in GUEST_VIEWS (existing
views of other apps; one list to review). Opting in only lets the guest reach the view: what it may
see and do there is still decided by the selectors (access_thread, access_message, access_meetup
scope a guest to its meetup and its conversation).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import BasePermission

from accounts.authentication import BearerTokenAuthentication
from backend.exceptions import DomainError

# Existing views (module.Class) a guest may reach; the selectors scope them to its meetup.
GUEST_VIEWS = frozenset(
    {
        "accounts.views.MeView",
        "chat.views.ThreadDetailView",
        "chat.views.ThreadMessagesView",
        "chat.views.ThreadReadView",
        "chat.views.MessageDetailView",
        "chat.views.ReactionsView",
        "chat.views.ReactionDetailView",
        "meetups.views.MeetupDetailView",  # GET; editing needs a host
        "meetups.qa_views.MeetupQuestionsView",
        "meetups.qa_views.QuestionVoteView",
        "meetups.qa_views.QuestionDetailView",  # hiding its own question
    }
)


class GuestNotAllowed(DomainError):
    code = "guest_not_allowed"
    status_code = status.HTTP_403_FORBIDDEN
    default_message = _("Guests can only take part in the meetup they joined. Become a member to do more.")


def guests_allowed(view: Any) -> bool:
    cls = view if isinstance(view, type) else type(view)
    return bool(getattr(cls, "guest_access", False)) or f"{cls.__module__}.{cls.__qualname__}" in GUEST_VIEWS


def _is_guest(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and getattr(user, "is_guest", False))


def ensure_guest_allowed(user: Any, view: Any) -> None:
    if _is_guest(user) and (view is None or not guests_allowed(view)):
        raise GuestNotAllowed()


class RefuseGuests(BasePermission):
    """The default permission: everyone may pass (views check more themselves), except guests on a
    view that did not opt in."""

    def has_permission(self, request, view) -> bool:
        ensure_guest_allowed(request.user, view)
        return True


class _GuestGuard:
    def authenticate(self, request):  # type: ignore[no-untyped-def]
        result = super().authenticate(request)  # type: ignore[misc]
        if result is not None:
            view = (getattr(request, "parser_context", None) or {}).get("view")
            ensure_guest_allowed(result[0], view)
        return result


class GuestGuardSessionAuthentication(_GuestGuard, SessionAuthentication):
    pass


class GuestGuardBearerTokenAuthentication(_GuestGuard, BearerTokenAuthentication):
    pass
