"""Live mode, the join code and guests (docs/meetups.md, "Live mode, guests, questions").

A host starts live mode: the meetup gets a short join code (and a QR code for `/m/{code}`). Whoever
holds the code joins its conversation: members with their account, visitors as a guest — a `User`
with `is_guest` and a `Guest` pass for that meetup only, valid until the meetup ends plus
GUEST_GRACE_MINUTES.

What a guest may do is decided here and asked for by the other apps (lazily: meetups depends on them):
- `active_guest(user)`: the guest's pass while it is valid, else None (expired: no access at all);
- groups.selectors: a guest sees no group (visible_groups_q) and may post only in its meetup's group
  (can_post), chat.selectors/services narrow that to the meetup's thread;
- chat.consumers: a guest subscribes only to its meetup's group (`access_guest_group_live`) and
  receives only the events `guest_event_visible` lets through;
- backend.permissions: REST views refuse guests unless they opted in.
"""

from __future__ import annotations

import io
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import login
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from rest_framework import status

from accounts.models import User
from backend.exceptions import DomainError, NotFound, PermissionDenied
from groups.models import Group
from groups.selectors import AnyUser

from .models import Guest, Meetup, MeetupStatus, new_join_code
from .selectors import access_hosted_meetup, access_meetup, can_host, is_guest

SIGNUP_URL = "/signup"

# --- errors ----------------------------------------------------------------------------------------


class JoinCodeInvalid(DomainError):
    code = "join_code_invalid"
    status_code = status.HTTP_404_NOT_FOUND
    default_message = _("This join code does not exist. Check the code on the screen and try again.")


class JoinCodeExpired(DomainError):
    code = "join_code_expired"
    status_code = status.HTTP_410_GONE
    default_message = _("This meetup is over: its join code no longer works.")


class JoinRateLimited(DomainError):
    code = "join_rate_limited"
    status_code = status.HTTP_429_TOO_MANY_REQUESTS

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            _("Too many attempts to join. Try again in %(seconds)s seconds.") % {"seconds": retry_after},
            retry_after=retry_after,
        )


class MeetupNotPublished(DomainError):
    code = "meetup_not_published"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("Only a published meetup can go live.")


class MeetupNotLive(DomainError):
    code = "meetup_not_live"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("This meetup is not live: start live mode first.")


# --- guests ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GuestScope:
    """What a valid guest pass opens: one meetup, its group and its conversation, until `expires_at`."""

    meetup_id: int
    group_id: int
    thread_id: int | None
    expires_at: datetime


def active_guest(user: AnyUser) -> GuestScope | None:
    """The guest's scope while its pass is valid; None for non-guests and expired guests."""
    if not is_guest(user):
        return None
    row = (
        Guest.objects.filter(user_id=user.pk, expires_at__gt=timezone.now())
        .values_list("meetup_id", "meetup__group_id", "meetup__thread_id", "expires_at")
        .first()
    )
    return GuestScope(*row) if row else None


def guest_may_post(user: AnyUser, group: Group) -> bool:
    """For groups.selectors.can_post: a valid guest posts only in its meetup's group (and
    chat narrows that to the meetup's thread)."""
    scope = active_guest(user)
    return scope is not None and scope.group_id == group.pk


def ensure_guest_may_write(*, user: User, group: Group, thread_id: int | None, new_message: bool) -> None:
    """For chat.services.ensure_may_send: a guest writes only in its meetup's conversation. A new
    message or question needs that thread; without a thread it would be a new thread: refused.
    Edits and reactions come with a message from access_message, which is already scoped."""
    scope = active_guest(user)
    if scope is None or scope.group_id != group.pk:
        raise PermissionDenied()
    if thread_id is not None and thread_id != scope.thread_id:
        raise PermissionDenied()
    if thread_id is None and new_message:
        raise PermissionDenied()


def guest_thread_q(user: AnyUser, field: str = "pk") -> Q | None:
    """For chat.selectors: None for non-guests; for a guest, the filter on thread `field` that
    leaves only its meetup's thread (nothing once expired)."""
    if not is_guest(user):
        return None
    scope = active_guest(user)
    if scope is None or scope.thread_id is None:
        return Q(pk__in=[])
    return Q(**{field: scope.thread_id})


def access_guest_group_live(*, user: User, slug: str) -> tuple[Group, GuestScope]:
    """The group a guest may follow live: its meetup's group, while the pass is valid."""
    scope = active_guest(user)
    group = Group.objects.filter(slug=slug).first()
    if scope is None or group is None or group.pk != scope.group_id:
        raise NotFound()
    return group, scope


def guest_event_visible(event: dict[str, Any], scope: GuestScope) -> bool:
    """Whether a group event is about the guest's meetup or its conversation. Everything else
    (other threads, other meetups, group settings) is withheld."""
    meetup = event.get("meetup")
    if meetup is not None:
        return meetup == scope.meetup_id or (isinstance(meetup, dict) and meetup.get("id") == scope.meetup_id)
    message = event.get("message")
    if isinstance(message, dict):
        return scope.thread_id is not None and message.get("thread") == scope.thread_id
    thread = event.get("thread")
    if thread is not None:
        thread_id = thread.get("id") if isinstance(thread, dict) else thread
        return scope.thread_id is not None and thread_id == scope.thread_id
    return event.get("type") == "presence"


def guest_create(*, meetup: Meetup, display_name: str) -> User:
    """A guest account for this meetup only, with no e-mail address or password of its own."""
    language = translation.get_language() or "nl"
    user = User.objects.create_user(
        email=f"guest-{uuid.uuid4()}@guest.invalid",
        password=None,  # unusable
        display_name=display_name,
        is_guest=True,
        language=language if language in {"nl", "en"} else "nl",
    )
    grace = timedelta(minutes=settings.KENNISCLOUD["GUEST_GRACE_MINUTES"])
    Guest.objects.create(user=user, meetup=meetup, expires_at=meetup.ends_at + grace)
    return user


# --- the join code ---------------------------------------------------------------------------------


def join_rate_check(address: str) -> None:
    """Every attempt to use a join code (right or wrong, GET or POST) counts against the client
    address: at most JOIN_RATE_PER_MINUTE per minute (a fixed window in the shared cache)."""
    limit = settings.KENNISCLOUD["JOIN_RATE_PER_MINUTE"]
    window, into = divmod(time.time(), 60)
    key = f"joinrate:{address}:{int(window)}"
    cache.add(key, 0, timeout=61)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=61)
        count = 1
    if count > limit:
        raise JoinRateLimited(max(1, int(60 - into) + 1))


def _code_expired(meetup: Meetup) -> bool:
    grace = timedelta(minutes=settings.KENNISCLOUD["GUEST_GRACE_MINUTES"])
    return (
        meetup.status != MeetupStatus.PUBLISHED
        or meetup.live_started_at is None
        or meetup.live_ended_at is not None
        or timezone.now() > meetup.ends_at + grace
    )


def meetup_for_code(*, code: str) -> Meetup:
    """The meetup a join code opens: 404 `join_code_invalid` for a code that never existed,
    410 `join_code_expired` once live mode ended or the meetup is over."""
    code = (code or "").strip().upper()
    meetup = Meetup.objects.select_related("group").filter(join_code=code).first() if code else None
    if meetup is None:
        raise JoinCodeInvalid()
    if _code_expired(meetup):
        raise JoinCodeExpired()
    return meetup


def join_brief(meetup: Meetup) -> dict[str, Any]:
    from .payloads import is_live

    return {
        "meetup": {
            "id": meetup.pk,
            "title": meetup.title,
            "starts_at": meetup.starts_at.isoformat().replace("+00:00", "Z"),
            "ends_at": meetup.ends_at.isoformat().replace("+00:00", "Z"),
            "group": {"slug": meetup.group.slug, "name": meetup.group.name},
        },
        "live": is_live(meetup),
    }


@dataclass(frozen=True)
class JoinResult:
    meetup: Meetup
    user: AnyUser
    guest: bool
    can_post: bool


def join(*, request: HttpRequest, code: str, display_name: str) -> JoinResult:
    """Join a live meetup by its code. Anonymous visitors (and guests of another meetup) get a guest
    account for this meetup and are logged in with a session; a guest of this meetup stays itself;
    a member is let in as they are — nothing is made."""
    meetup = meetup_for_code(code=code)
    user = request.user
    if user.is_authenticated and not is_guest(user):
        return JoinResult(meetup, user, guest=False, can_post=_member_can_post(user, meetup))
    scope = active_guest(user) if user.is_authenticated else None
    if scope is None or scope.meetup_id != meetup.pk:
        with transaction.atomic():
            user = guest_create(meetup=meetup, display_name=display_name)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return JoinResult(meetup, user, guest=True, can_post=meetup.thread_id is not None)


def _member_can_post(user: User, meetup: Meetup) -> bool:
    from groups.selectors import can_post

    return meetup.thread_id is not None and can_post(user, meetup.group)


# --- live mode -------------------------------------------------------------------------------------


def _broadcast(meetup: Meetup) -> None:
    from .services import meetup_broadcast  # meetups.services uses this module's live_end

    meetup_broadcast(meetup)


def _assign_join_code(meetup: Meetup) -> None:
    for _attempt in range(10):
        meetup.join_code = new_join_code()
        try:
            with transaction.atomic():
                meetup.save(update_fields=["join_code"])
            return
        except IntegrityError:  # taken by another meetup: draw again
            continue
    raise IntegrityError("no free join code after 10 attempts")


@transaction.atomic
def live_start(*, actor: User, meetup_id: int) -> Meetup:
    """A host starts live mode (again): the meetup keeps its join code, or gets one."""
    meetup = access_hosted_meetup(user=actor, meetup_id=meetup_id)
    Meetup.objects.select_for_update().filter(pk=meetup.pk).first()
    meetup.refresh_from_db(fields=["status", "live_started_at", "live_ended_at", "join_code"])
    if meetup.status != MeetupStatus.PUBLISHED:
        raise MeetupNotPublished()
    if meetup.live_started_at is not None and meetup.live_ended_at is None and meetup.join_code:
        return meetup  # already live
    if not meetup.join_code:
        _assign_join_code(meetup)
    meetup.live_started_at = timezone.now()
    meetup.live_ended_at = None
    meetup.save(update_fields=["live_started_at", "live_ended_at"])
    _broadcast(meetup)
    return meetup


def live_end(meetup: Meetup) -> Meetup:
    """End live mode: the code stops working for new guests (guests already in keep their pass).
    Also called by the finish service; precondition: the caller checked the actor hosts it."""
    if meetup.live_started_at is None or meetup.live_ended_at is not None:
        return meetup
    with transaction.atomic():
        meetup.live_ended_at = timezone.now()
        meetup.save(update_fields=["live_ended_at"])
        _broadcast(meetup)
    return meetup


def live_end_by(*, actor: User, meetup_id: int) -> Meetup:
    return live_end(access_hosted_meetup(user=actor, meetup_id=meetup_id))


# --- what the live views show ----------------------------------------------------------------------


def access_qr_meetup(*, user: AnyUser, meetup_id: int) -> Meetup:
    """Hosts, and whoever may see the meetup, while it is live."""
    from .payloads import is_live

    meetup = access_meetup(user=user, meetup_id=meetup_id)
    if not is_live(meetup) or not meetup.join_code:
        if can_host(user, meetup):
            raise MeetupNotLive()
        raise NotFound()
    return meetup


def qr_svg(*, url: str) -> bytes:
    import segno

    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=8, border=2, dark="#000", light="#fff", title=url)
    return out.getvalue()


def participant_count(meetup: Meetup) -> int:
    """Distinct people who wrote in the conversation, plus the guests who joined."""
    people = Q(guest_pass__meetup=meetup)
    if meetup.thread_id is not None:
        people |= Q(messages__thread_id=meetup.thread_id)
    return User.objects.filter(people).distinct().count()


def live_snapshot(*, user: AnyUser, meetup_id: int) -> dict[str, Any]:
    from .payloads import meetup_payload
    from .questions import question_list, spotlight_payload

    meetup = access_meetup(user=user, meetup_id=meetup_id)
    return {
        "meetup": meetup_payload(meetup, viewer=user),
        "questions": question_list(meetup=meetup, viewer=user),
        "spotlight": spotlight_payload(meetup=meetup, viewer=user),
        "participants": participant_count(meetup),
    }


def guest_group_seqs(*, user: AnyUser, group_ids: list[int]) -> dict[int, int]:
    """chat.selectors.visible_group_seqs for a guest: of these groups, its meetup's group while the
    pass is valid, with its current last seq."""
    scope = active_guest(user)
    if scope is None or scope.group_id not in group_ids:
        return {}
    return dict(Group.objects.filter(pk=scope.group_id).values_list("pk", "last_seq"))
