"""Reads and access checks for libraries, groups and memberships.

`access_*` functions fetch an object AND check that the user may see it; a closed group the user may
not see raises `NotFound`, exactly like a missing one.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from accounts.models import User
from backend.exceptions import NotFound, PermissionDenied

from .errors import NotAMember
from .models import Group, Librarian, Library, Membership, MembershipState, Role, Visibility

AnyUser = User | AnonymousUser


def library_list() -> QuerySet[Library]:
    return Library.objects.all()


def library_get(*, slug: str) -> Library:
    library = Library.objects.filter(slug=slug).first()
    if library is None:
        raise NotFound()
    return library


def is_librarian_of(user: AnyUser, library_id: int) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    return Librarian.objects.filter(user=user, library_id=library_id).exists()


def librarian_library_slugs(user: User) -> list[str]:
    return list(Librarian.objects.filter(user=user).values_list("library__slug", flat=True))


def visible_groups_q(user: AnyUser) -> Q:
    """Public groups; closed ones only for active members, the library's librarians and staff."""
    public = Q(visibility=Visibility.PUBLIC)
    if not user.is_authenticated:
        return public
    if getattr(user, "is_guest", False):
        return Q(pk__in=[])  # a meetup guest sees no group: only its meetup (meetups.live)
    if user.is_staff:
        return Q(pk__isnull=False)  # everything; an empty Q() would vanish when OR-ed
    member = Exists(Membership.objects.filter(group=OuterRef("pk"), user=user, state=MembershipState.ACTIVE))
    librarian = Exists(Librarian.objects.filter(library=OuterRef("library"), user=user))
    return public | member | librarian


def group_list(*, user: AnyUser, library_slug: str | None = None) -> QuerySet[Group]:
    qs = (
        Group.objects.filter(visible_groups_q(user))
        .select_related("library")
        .annotate(
            member_count=Count(
                "memberships", filter=Q(memberships__state=MembershipState.ACTIVE), distinct=True
            )
        )
        .order_by("library__name", "name")
    )
    if library_slug:
        qs = qs.filter(library__slug=library_slug)
    return qs


def access_group(*, user: AnyUser, slug: str) -> Group:
    group = group_list(user=user).filter(slug=slug).first()
    if group is None:
        raise NotFound()
    return group


def memberships_for(*, user: AnyUser, group_ids: list[int]) -> dict[int, Membership]:
    if not user.is_authenticated or not group_ids:
        return {}
    return {m.group_id: m for m in Membership.objects.filter(user=user, group_id__in=group_ids)}


def can_manage_group(user: AnyUser, group: Group) -> bool:
    """Hosts and librarians of the group, librarians of its library, and staff."""
    if not user.is_authenticated:
        return False
    if is_librarian_of(user, group.library_id):
        return True
    return Membership.objects.filter(
        user=user, group=group, state=MembershipState.ACTIVE, role__in=[Role.HOST, Role.LIBRARIAN]
    ).exists()


def can_post(user: AnyUser, group: Group) -> bool:
    if not user.is_authenticated:
        return False
    if getattr(user, "is_guest", False):
        from meetups.live import guest_may_post  # meetups depends on groups

        return guest_may_post(user, group)
    if Membership.objects.filter(user=user, group=group, state=MembershipState.ACTIVE).exists():
        return True
    return is_librarian_of(user, group.library_id)


def ensure_can_post(user: AnyUser, group: Group) -> None:
    if not can_post(user, group):
        raise NotAMember()


def ensure_can_manage(user: AnyUser, group: Group) -> None:
    if not can_manage_group(user, group):
        raise PermissionDenied()


def group_members(*, user: AnyUser, group: Group) -> QuerySet[Membership]:
    """Members of a group the user can see. Pending requests only for those who manage it."""
    if not user.is_authenticated:
        raise PermissionDenied()
    qs = Membership.objects.filter(group=group).select_related("user").order_by("created_at")
    if can_manage_group(user, group):
        return qs
    return qs.filter(state=MembershipState.ACTIVE)


def managed_group_ids(*, user: AnyUser, groups: list[Group], memberships: dict[int, Membership]) -> set[int]:
    """Which of `groups` the user manages — one query, for list views."""
    if not user.is_authenticated:
        return set()
    if user.is_staff:
        return {g.pk for g in groups}
    libraries = set(Librarian.objects.filter(user=user).values_list("library_id", flat=True))
    managed = set()
    for group in groups:
        membership = memberships.get(group.pk)
        if group.library_id in libraries or (
            membership is not None and membership.is_active and membership.role in (Role.HOST, Role.LIBRARIAN)
        ):
            managed.add(group.pk)
    return managed


def group_for_join(*, user: AnyUser, slug: str, invite_code: str) -> Group:
    """A group the user may ask to join: one they can see, or a closed one whose invite code they
    hold. A wrong code is indistinguishable from a missing group."""
    group = Group.objects.filter(visible_groups_q(user), slug=slug).first()
    if group is None and invite_code:
        group = Group.objects.filter(slug=slug, invite_code=invite_code).first()
    if group is None:
        raise NotFound()
    return group


def group_for_leave(*, user: AnyUser, slug: str) -> Group:
    """A group the user can see or has a membership (or pending request) in."""
    if not user.is_authenticated:
        raise NotFound()
    group = (
        Group.objects.filter(Q(visible_groups_q(user)) | Q(memberships__user=user), slug=slug)
        .distinct()
        .first()
    )
    if group is None:
        raise NotFound()
    return group
