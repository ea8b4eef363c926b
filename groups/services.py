"""Writes for libraries, groups and memberships."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from backend import realtime
from backend.exceptions import NotFound, PermissionDenied, ValidationFailed
from moderation import checks as moderation_checks

from .errors import AlreadyMember, NotAMember
from .models import Group, Librarian, Library, Membership, MembershipState, Role, Visibility
from .selectors import AnyUser, ensure_can_manage, is_librarian_of


def _slug_taken(message: Any) -> ValidationFailed:
    return ValidationFailed(fields={"slug": [str(message)]})


@transaction.atomic
def library_create(*, actor: AnyUser, name: str, slug: str) -> Library:
    if not actor.is_authenticated or not actor.is_staff:
        raise PermissionDenied()
    if Library.objects.filter(slug=slug).exists():
        raise _slug_taken(_("This slug is already in use."))
    return Library.objects.create(name=name, slug=slug)


@transaction.atomic
def library_update(*, actor: AnyUser, library: Library, name: str | None = None) -> Library:
    if not actor.is_authenticated or not actor.is_staff:
        raise PermissionDenied()
    if name is not None:
        library.name = name
        library.save(update_fields=["name"])
    return library


def librarian_add(*, library: Library, user: User) -> Librarian:
    librarian, _created = Librarian.objects.get_or_create(library=library, user=user)
    return librarian


def _unique_slug(base: str) -> str:
    slug = slugify(base)[:70] or "groep"
    candidate, n = slug, 2
    while Group.objects.filter(slug=candidate).exists():
        candidate, n = f"{slug}-{n}", n + 1
    return candidate


@transaction.atomic
def group_create(
    *,
    actor: AnyUser,
    library: Library,
    name: str,
    slug: str = "",
    description: str = "",
    themes: list[str] | None = None,
    visibility: str = Visibility.PUBLIC,
) -> Group:
    """Librarians of the library (and staff) create groups; the creator becomes its librarian."""
    if not is_librarian_of(actor, library.id):
        raise PermissionDenied()
    if slug and Group.objects.filter(slug=slug).exists():
        raise _slug_taken(_("This slug is already in use."))
    group = Group.objects.create(
        library=library,
        name=name,
        slug=slug or _unique_slug(name),
        description=description,
        themes=_clean_themes(themes or []),
        visibility=visibility,
        created_by=actor,
    )
    Membership.objects.create(
        group=group,
        user=actor,
        role=Role.LIBRARIAN,
        state=MembershipState.ACTIVE,
        joined_at=timezone.now(),
    )
    return group


def _clean_themes(themes: list[str]) -> list[str]:
    seen: list[str] = []
    for theme in themes:
        theme = theme.strip()
        if theme and theme.lower() not in (t.lower() for t in seen):
            seen.append(theme[:40])
    return seen[:12]


@transaction.atomic
def group_update(*, actor: AnyUser, group: Group, **changes: Any) -> Group:
    """Hosts and librarians edit a group; only librarians change its visibility — opening a closed
    group publishes its whole history."""
    ensure_can_manage(actor, group)
    was_public = group.visibility == Visibility.PUBLIC
    changing_visibility = changes.get("visibility") not in (None, group.visibility)
    if changing_visibility and not is_librarian_of(actor, group.library_id):
        raise PermissionDenied()
    allowed = {"name", "description", "themes", "visibility"}
    fields = []
    for key, value in changes.items():
        if key not in allowed or value is None:
            continue
        setattr(group, key, _clean_themes(value) if key == "themes" else value)
        fields.append(key)
    if fields:
        group.save(update_fields=fields)
    if was_public and group.visibility != Visibility.PUBLIC:
        # Signed-in non-members may be watching it: their open sockets must stop receiving it now.
        realtime.recheck_access_on_commit(group.pk)
    return group


@transaction.atomic
def group_join(*, actor: AnyUser, group: Group, invite_code: str = "") -> Membership:
    """Public group: become a member at once. Closed group: a request a host approves.

    Preconditions: `group` came from a selector, or the caller holds its invite code — a closed group
    is otherwise invisible, and a wrong code looks exactly like a missing group.
    """
    if not actor.is_authenticated:
        raise PermissionDenied()
    existing = Membership.objects.filter(group=group, user=actor).first()
    if existing is not None:
        raise AlreadyMember()
    moderation_checks.ensure_not_banned(user=actor, group=group)
    if group.visibility == Visibility.PUBLIC:
        return _activate(Membership(group=group, user=actor, role=Role.MEMBER))
    if invite_code != group.invite_code and not is_librarian_of(actor, group.library_id):
        raise NotFound()
    if is_librarian_of(actor, group.library_id):
        return _activate(Membership(group=group, user=actor, role=Role.LIBRARIAN))
    try:
        with transaction.atomic():
            return Membership.objects.create(
                group=group, user=actor, role=Role.MEMBER, state=MembershipState.PENDING
            )
    except IntegrityError as exc:
        raise AlreadyMember() from exc


def _activate(membership: Membership) -> Membership:
    # History before joining is not "unread": start counting from the group's current position.
    last_seq = Group.objects.filter(pk=membership.group_id).values_list("last_seq", flat=True)[0]
    membership.state = MembershipState.ACTIVE
    membership.joined_at = timezone.now()
    membership.read_floor_seq = last_seq
    try:
        with transaction.atomic():
            membership.save()
    except IntegrityError as exc:
        raise AlreadyMember() from exc
    return membership


@transaction.atomic
def group_leave(*, actor: AnyUser, group: Group) -> None:
    if not actor.is_authenticated:
        raise NotAMember()
    deleted, _rows = Membership.objects.filter(group=group, user=actor).delete()
    if not deleted:
        raise NotAMember()
    realtime.revoke_on_commit(user_id=actor.id, group_id=group.id, reason="left")


def _membership_of(group: Group, user_id: int) -> Membership:
    membership = Membership.objects.filter(group=group, user_id=user_id).first()
    if membership is None:
        raise NotFound()
    return membership


@transaction.atomic
def membership_approve(*, actor: AnyUser, group: Group, user_id: int) -> Membership:
    ensure_can_manage(actor, group)
    membership = _membership_of(group, user_id)
    if membership.is_active:
        raise AlreadyMember()
    return _activate(membership)


@transaction.atomic
def membership_remove(*, actor: AnyUser, group: Group, user_id: int) -> None:
    """Remove a member or decline a request. Their open sockets stop receiving the group at once."""
    ensure_can_manage(actor, group)
    membership = _membership_of(group, user_id)
    if membership.role == Role.LIBRARIAN and not is_librarian_of(actor, group.library_id):
        raise PermissionDenied()
    membership.delete()
    realtime.revoke_on_commit(user_id=user_id, group_id=group.id, reason="removed")


def memberships_end_for_ban(*, groups: list[Group], user_id: int) -> None:
    """End a banned user's memberships in `groups` and stop delivery of each to their open sockets
    (also when they were only watching a public group). Precondition: moderation.services checked
    the actor's rights, inside its transaction."""
    Membership.objects.filter(group__in=groups, user_id=user_id).delete()
    for group in groups:
        realtime.revoke_on_commit(user_id=user_id, group_id=group.pk, reason="banned")


@transaction.atomic
def membership_set_role(*, actor: AnyUser, group: Group, user_id: int, role: str) -> Membership:
    """Librarians set any role; hosts may make members hosts (or hosts members)."""
    ensure_can_manage(actor, group)
    membership = _membership_of(group, user_id)
    librarian = (
        is_librarian_of(actor, group.library_id)
        or Membership.objects.filter(
            group=group, user=actor, role=Role.LIBRARIAN, state=MembershipState.ACTIVE
        ).exists()
    )
    touches_librarian = Role.LIBRARIAN in (role, membership.role)
    if touches_librarian and not librarian:
        raise PermissionDenied()
    if not membership.is_active:
        raise NotAMember()
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


def group_allocate_seq(*, group_id: int) -> int:
    """Take the group's next event sequence number. Call inside the transaction that stores the
    change: the row lock taken by the UPDATE serialises writers per group, so numbers are gapless
    and commit in order (a rollback returns the number)."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("group_allocate_seq must run inside a transaction")
    table = connection.ops.quote_name(Group._meta.db_table)
    with connection.cursor() as cursor:
        # One statement (PostgreSQL, and SQLite >= 3.35): increment and read under the same lock.
        cursor.execute(
            f"UPDATE {table} SET last_seq = last_seq + 1 WHERE id = %s RETURNING last_seq", [group_id]
        )
        row = cursor.fetchone()
    if row is None:
        raise NotFound()
    return row[0]
