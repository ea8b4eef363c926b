"""Reads and access checks for meetups. `access_*` fetch AND authorise: a meetup the user may not see
(its group is closed to them, or it is a draft they do not host) raises NotFound, like a missing one.

Who may do what (docs/meetups.md):
- see a meetup: whoever can see its group, once it is published, cancelled or finished; drafts and
  requested meetups only its hosts;
- host a meetup (edit, publish, cancel, live mode, spotlight, summary): its creator, its co-hosts, and
  whoever manages the group (group hosts, the library's librarians, staff);
- guests (`User.is_guest`) see only the meetup they joined, and nothing else.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import User
from backend.exceptions import NotFound, PermissionDenied
from groups.models import Group, Librarian, Membership, MembershipState, Role
from groups.selectors import AnyUser, is_librarian_of, visible_groups_q

from .models import Meetup, MeetupStatus

PUBLIC_STATUSES = (MeetupStatus.PUBLISHED, MeetupStatus.CANCELLED, MeetupStatus.FINISHED)


def is_guest(user: AnyUser) -> bool:
    return bool(user.is_authenticated and getattr(user, "is_guest", False))


def managed_meetups_q(user: AnyUser) -> Q:
    """Meetups the user hosts: created, co-hosted, or in a group they manage."""
    if not user.is_authenticated or is_guest(user):
        return Q(pk__in=[])
    if user.is_staff:
        return Q(pk__isnull=False)
    group_manager = Exists(
        Membership.objects.filter(
            group=OuterRef("group"),
            user=user,
            state=MembershipState.ACTIVE,
            role__in=[Role.HOST, Role.LIBRARIAN],
        )
    )
    librarian = Exists(Librarian.objects.filter(library=OuterRef("group__library"), user=user))
    cohost = Exists(Meetup.cohosts.through.objects.filter(meetup=OuterRef("pk"), user=user))
    return Q(created_by=user) | group_manager | librarian | cohost


def visible_meetups_q(user: AnyUser) -> Q:
    if is_guest(user):
        guest_meetup = guest_meetup_id(user)
        return Q(pk=guest_meetup) if guest_meetup else Q(pk__in=[])
    in_visible_group = Q(group__in=Group.objects.filter(visible_groups_q(user)))
    return in_visible_group & (Q(status__in=PUBLIC_STATUSES) | managed_meetups_q(user))


def meetup_queryset() -> QuerySet[Meetup]:
    return Meetup.objects.select_related(
        "group", "group__library", "room", "room__branch", "created_by", "thread"
    ).prefetch_related("cohosts")


def access_meetup(*, user: AnyUser, meetup_id: int) -> Meetup:
    meetup = meetup_queryset().filter(visible_meetups_q(user), pk=meetup_id).first()
    if meetup is None:
        raise NotFound()
    return meetup


def can_host(user: AnyUser, meetup: Meetup) -> bool:
    if not user.is_authenticated or is_guest(user):
        return False
    if user.is_staff or meetup.created_by_id == user.pk:
        return True
    if is_librarian_of(user, meetup.group.library_id):
        return True
    if any(c.pk == user.pk for c in meetup.cohosts.all()):
        return True
    return Membership.objects.filter(
        user=user,
        group_id=meetup.group_id,
        state=MembershipState.ACTIVE,
        role__in=[Role.HOST, Role.LIBRARIAN],
    ).exists()


def ensure_can_host(user: AnyUser, meetup: Meetup) -> None:
    if not can_host(user, meetup):
        raise PermissionDenied()


def access_hosted_meetup(*, user: AnyUser, meetup_id: int) -> Meetup:
    """A meetup the user may see (else 404) and host (else 403)."""
    meetup = access_meetup(user=user, meetup_id=meetup_id)
    ensure_can_host(user, meetup)
    return meetup


def guest_meetup_id(user: User) -> int | None:
    """For a guest: the meetup they joined; None for everyone else."""
    if not is_guest(user):
        return None
    from .models import Guest

    try:
        return user.guest_pass.meetup_id
    except Guest.DoesNotExist:
        return None
