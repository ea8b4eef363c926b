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
    """For a guest whose pass is still valid: the meetup they joined; None for everyone else (an
    expired guest sees nothing at all)."""
    if not is_guest(user):
        return None
    from django.utils import timezone

    from .models import Guest

    return (
        Guest.objects.filter(user_id=user.pk, expires_at__gt=timezone.now())
        .values_list("meetup_id", flat=True)
        .first()
    )


# --- core: places, lists, support requests, RSVPs ----------------------------------------------------


def branch_list(*, library) -> QuerySet:
    from .models import Branch

    return Branch.objects.filter(library=library).prefetch_related("rooms")


def access_managed_branch(*, user: AnyUser, branch_id: int):
    """A branch (places are public, else 404) that the user may manage: its library's librarians."""
    from .models import Branch

    branch = Branch.objects.filter(pk=branch_id).select_related("library").first()
    if branch is None:
        raise NotFound()
    if not is_librarian_of(user, branch.library_id):
        raise PermissionDenied()
    return branch


def access_managed_room(*, user: AnyUser, room_id: int):
    from .models import Room

    room = Room.objects.filter(pk=room_id).select_related("branch").first()
    if room is None:
        raise NotFound()
    if not is_librarian_of(user, room.branch.library_id):
        raise PermissionDenied()
    return room


def _when(qs: QuerySet[Meetup], when: str) -> QuerySet[Meetup]:
    from django.utils import timezone

    now = timezone.now()
    if when == "past":
        return qs.filter(ends_at__lt=now).order_by("-starts_at", "-pk")
    return qs.filter(ends_at__gte=now).order_by("starts_at", "pk")


def group_meetups(*, user: AnyUser, group: Group, when: str = "upcoming") -> QuerySet[Meetup]:
    """Meetups of a group the user sees (`group` from groups.selectors.access_group): published,
    cancelled and finished ones, drafts and requested ones only for their hosts."""
    return _when(meetup_queryset().filter(visible_meetups_q(user), group=group), when)


def library_agenda(*, library, when: str = "upcoming") -> QuerySet[Meetup]:
    """The public agenda: meetups of the library's public groups once published (cancelled ones
    stay, marked)."""
    from groups.models import Visibility

    qs = meetup_queryset().filter(
        group__library=library, group__visibility=Visibility.PUBLIC, status__in=PUBLIC_STATUSES
    )
    return _when(qs, when)


def support_request_queryset() -> QuerySet:
    from .models import SupportRequest

    return SupportRequest.objects.select_related(
        "meetup",
        "meetup__group",
        "meetup__room",
        "preferred_branch",
        "requested_by",
        "decided_by",
        "library",
    )


def library_support_requests(*, user: AnyUser, library, state: str | None = None) -> QuerySet:
    """A library's support requests, for its librarians (and staff)."""
    if not is_librarian_of(user, library.pk):
        raise PermissionDenied()
    qs = support_request_queryset().filter(library=library).order_by("-created_at", "-pk")
    if state:
        qs = qs.filter(state=state)
    return qs


def access_support_request(*, user: AnyUser, request_id: int):
    """A support request for a librarian of its library (404 when its meetup is invisible to the
    user, 403 for everyone else who sees it)."""
    request = support_request_queryset().filter(pk=request_id).first()
    if request is None:
        raise NotFound()
    if is_librarian_of(user, request.library_id):
        return request
    if not Meetup.objects.filter(visible_meetups_q(user), pk=request.meetup_id).exists():
        raise NotFound()
    raise PermissionDenied()


def rsvp_list(*, meetup: Meetup) -> QuerySet:
    """All answers to a meetup (precondition: the caller hosts it), waiting list in order."""
    from .models import Rsvp

    return (
        Rsvp.objects.filter(meetup=meetup)
        .select_related("user")
        .order_by("waitlisted_at", "created_at", "pk")
    )
