"""Reads and access checks for libraries, groups and memberships.

`access_*` functions fetch an object AND check that the user may see it; a closed group the user may
not see raises `NotFound`, exactly like a missing one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import BooleanField, CharField, Count, Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL

from accounts.models import User
from backend import rows
from backend.exceptions import NotFound, PermissionDenied

from .errors import NotAMember
from .models import Group, Librarian, Library, Membership, MembershipState, Role, Visibility

AnyUser = User | AnonymousUser


@dataclass(frozen=True)
class Standing:
    """A signed-in user's place in one group: the role of their active membership (None when they
    are not an active member) and whether they are a librarian of the group's library."""

    role: str | None
    librarian: bool
    # Whether a sanction (moderation's mute or ban) is in force for the user in the group; None
    # when the query that read the standing did not ask (see chat.selectors._access).
    sanctioned: bool | None = None


NO_STANDING = Standing(None, False)  # neither an active member nor a librarian

# Inside `standings_remembered()` (one frame, one service call): (user, group) → Standing.
_standings: ContextVar[dict[tuple[int, int], Standing] | None] = ContextVar("standings", default=None)


@contextmanager
def standings_remembered() -> Iterator[None]:
    """Look each (user, group) standing up at most once for the duration of the block — for work
    whose checks ask more than once (the send path: membership, lock and slow mode, the word
    list). Never longer: a role can change between two calls. Nested blocks share the outer one."""
    if _standings.get() is not None:
        yield
        return
    token = _standings.set({})
    try:
        yield
    finally:
        _standings.reset(token)


def group_columns(table: str, *, group_id: str = "group_id") -> tuple[str, str]:
    """The quoted group-id and library-id columns of a query on `table`: a model with a `group`
    foreign key and the group joined by select_related, or (`group_id="id"`) Group itself — for
    standing_annotations."""
    quote = connection.ops.quote_name
    return f"{quote(table)}.{quote(group_id)}", f"{quote(Group._meta.db_table)}.{quote('library_id')}"


def standing_annotations(user: User, *, group_column: str, library_column: str) -> dict:
    """Annotations that read a user's standing along with a row that refers to a group
    (`group_column`, `library_column`: the outer query's quoted columns holding its group and library
    ids) — so an access check answers the later membership and role checks in the same query (see
    remember_standing). Plain SQL: as ORM subqueries they cost ~1 ms of CPU to build per query."""
    quote = connection.ops.quote_name
    memberships, librarians = quote(Membership._meta.db_table), quote(Librarian._meta.db_table)
    return {
        "standing_role": RawSQL(
            f"SELECT m.role FROM {memberships} m WHERE m.group_id = {group_column} AND m.user_id = %s"
            " AND m.state = %s",
            [user.pk, MembershipState.ACTIVE.value],
            output_field=CharField(),
        ),
        "standing_librarian": RawSQL(
            f"EXISTS (SELECT 1 FROM {librarians} l WHERE l.library_id = {library_column} AND l.user_id = %s)",
            [user.pk],
            output_field=BooleanField(),
        ),
    }


def visible_by_standing(group: Group, standing: Standing) -> bool:
    """visible_groups_q for one group whose viewer's standing is known (a signed-in user, neither
    staff nor a meetup guest): public, or an active member, or a librarian of its library."""
    return group.visibility == Visibility.PUBLIC or standing.role is not None or standing.librarian


def remember_standing(user: AnyUser, group_id: int, row: object) -> Standing:
    """The standing a query read with standing_annotations — kept when a block remembers them."""
    standing = Standing(
        row.standing_role,  # type: ignore[attr-defined]
        row.standing_librarian,  # type: ignore[attr-defined]
        getattr(row, "standing_sanctioned", None),
    )
    return keep_standing(user, group_id, standing)


def keep_standing(user: AnyUser, group_id: int, standing: Standing) -> Standing:
    """Keep a standing read with standing_annotations' SQL when a block remembers them."""
    memo = _standings.get()
    if memo is not None:
        memo[(user.pk, group_id)] = standing
    return standing


def standings_of(pairs: set[tuple[int, int]], library_of: dict[int, int]) -> dict[tuple[int, int], Standing]:
    """Standings of many (user id, group id) pairs at once — two plain statements (the pings of a
    whole process re-check together; see chat.ping_checks). `library_of`: each group's library id.
    Pairs without membership or librarianship are left out (no standing). The same rule as
    standing_annotations: an active membership's role, a librarianship of the group's library."""
    if not pairs:
        return {}
    users, groups, libraries = {u for u, _ in pairs}, {g for _, g in pairs}, set(library_of.values())
    quote = connection.ops.quote_name
    memberships, librarians = quote(Membership._meta.db_table), quote(Librarian._meta.db_table)
    some_users = rows.placeholders(len(users))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT user_id, group_id, role FROM {memberships} WHERE user_id IN ({some_users})"
            f" AND group_id IN ({rows.placeholders(len(groups))}) AND state = %s",
            [*users, *groups, MembershipState.ACTIVE.value],
        )
        roles = {(u, g): role for u, g, role in cursor.fetchall()}
        librarian: set[tuple[int, int]] = set()
        if libraries:
            cursor.execute(
                f"SELECT user_id, library_id FROM {librarians} WHERE user_id IN ({some_users})"
                f" AND library_id IN ({rows.placeholders(len(libraries))})",
                [*users, *libraries],
            )
            librarian = {(u, library) for u, library in cursor.fetchall()}
    found = {}
    for u, g in pairs:
        is_librarian = (u, library_of.get(g)) in librarian
        if (u, g) in roles or is_librarian:
            found[(u, g)] = Standing(roles.get((u, g)), is_librarian)
    return found


def remembered_standing(user: AnyUser, group: Group) -> Standing | None:
    """The standing remembered in this block, if any (never a query)."""
    memo = _standings.get()
    return None if memo is None else memo.get((user.pk, group.pk))


def group_standing(user: User, group: Group) -> Standing:
    """The user's standing in the group: one query, none when remembered. Precondition: signed in."""
    memo = _standings.get()
    key = (user.pk, group.pk)
    if memo is not None and key in memo:
        return memo[key]
    group_column, library_column = group_columns(Group._meta.db_table, group_id="id")
    found = (
        Group.objects.filter(pk=group.pk)
        .annotate(**standing_annotations(user, group_column=group_column, library_column=library_column))
        .values_list("standing_role", "standing_librarian")
        .first()
    )
    standing = Standing(*found) if found else NO_STANDING
    if memo is not None:
        memo[key] = standing
    return standing


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
    if user.is_staff:
        return True
    standing = group_standing(user, group)
    return standing.role is not None or standing.librarian


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
