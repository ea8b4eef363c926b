"""Who moderates what, and the sanctions in force."""

from __future__ import annotations

from django.db import connection
from django.db.models import BooleanField, F, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.models import User
from backend.exceptions import NotFound
from chat.models import Message, Thread
from groups.models import Group, Librarian, Library, Role
from groups.selectors import AnyUser, Standing, group_standing, remembered_standing
from resources.selectors import message_resources_prefetch

from .models import Action, AuditEntry, LibraryModerationSettings, Sanction, SlowMode, WordFilter

# What a group's hosts may do; librarians of the library and staff may do everything.
HOST_ACTIONS = frozenset(
    {
        Action.HIDE,
        Action.UNHIDE,
        Action.PIN,
        Action.UNPIN,
        Action.LOCK,
        Action.UNLOCK,
        Action.SLOW_MODE,
        Action.APPROVE,
        Action.REJECT,
    }
)


def moderator_role(user: AnyUser, group: Group) -> str | None:
    """'staff', 'librarian' (of the library, or the group's librarian role), 'host', or None.
    Inside groups.selectors.standings_remembered() it costs one query per (user, group) at most."""
    if not user.is_authenticated or getattr(user, "is_guest", False):
        return None
    if user.is_staff:
        return "staff"
    return role_from_standing(group_standing(user, group))


def role_from_standing(standing: Standing) -> str | None:
    """The moderator role a (non-staff) standing gives: 'librarian', 'host' or None."""
    if standing.librarian or standing.role == Role.LIBRARIAN:
        return "librarian"
    if standing.role == Role.HOST:
        return "host"
    return None


def is_moderator(user: AnyUser, group: Group) -> bool:
    """Moderators see hidden and removed messages (marked) and are exempt from lock and slow mode."""
    return moderator_role(user, group) is not None


def can_moderate(user: AnyUser, group: Group, action: str) -> bool:
    role = moderator_role(user, group)
    return role in ("staff", "librarian") or (role == "host" and action in HOST_ACTIONS)


def is_library_moderator(user: AnyUser, library_id: int) -> bool:
    if not user.is_authenticated:
        return False
    return user.is_staff or Librarian.objects.filter(user=user, library_id=library_id).exists()


def _active(qs: QuerySet[Sanction]) -> QuerySet[Sanction]:
    now = timezone.now()
    return qs.filter(lifted_at__isnull=True).filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))


def sanctioned_annotation(user: AnyUser, *, group_column: str, library_column: str) -> RawSQL:
    """Whether any sanction is in force for the user in the group a row refers to (`group_column`,
    `library_column`: the outer query's quoted columns holding its group and library ids) — read
    along with an access check, so that a write by someone without sanctions (nearly every write)
    needs no query of its own (active_sanctions). Plain SQL: as an ORM Exists it cost more to build
    than the query it saves."""
    ops = connection.ops
    table = ops.quote_name(Sanction._meta.db_table)
    return RawSQL(
        f"EXISTS (SELECT 1 FROM {table} s WHERE s.user_id = %s AND s.lifted_at IS NULL"
        " AND (s.ends_at IS NULL OR s.ends_at > %s)"
        f" AND (s.group_id = {group_column} OR (s.group_id IS NULL AND s.library_id = {library_column})))",
        [user.pk, ops.adapt_datetimefield_value(timezone.now())],
        output_field=BooleanField(),
    )


def active_sanctions(*, user: AnyUser, group: Group) -> dict[str, Sanction]:
    """Every kind of sanction in force for the user in this group, the longest-running of each —
    one query for the checks on every write, none when the access check found none."""
    if not user.is_authenticated:
        return {}
    known = remembered_standing(user, group)
    if known is not None and known.sanctioned is False:
        return {}
    scope = Q(group=group) | Q(group__isnull=True, library_id=group.library_id)
    found: dict[str, Sanction] = {}
    for sanction in _active(Sanction.objects.filter(scope, user=user)).order_by(
        F("ends_at").desc(nulls_first=True)
    ):
        found.setdefault(sanction.kind, sanction)
    return found


def active_sanction(*, user: AnyUser, group: Group, kind: str) -> Sanction | None:
    """The sanction of `kind` in force for the user in this group (group-wide or library-wide),
    the longest-running first."""
    if not user.is_authenticated:
        return None
    scope = Q(group=group) | Q(group__isnull=True, library_id=group.library_id)
    return (
        _active(Sanction.objects.filter(scope, user=user, kind=kind))
        .order_by(F("ends_at").desc(nulls_first=True))
        .first()
    )


def group_sanctions(*, group: Group) -> QuerySet[Sanction]:
    scope = Q(group=group) | Q(group__isnull=True, library_id=group.library_id)
    return (
        _active(Sanction.objects.filter(scope)).select_related("user", "created_by").order_by("-created_at")
    )


def slow_mode_sql(*, group_column: str, thread_column: str) -> str:
    """slow_mode_seconds as a scalar subquery on the outer query's quoted group and thread id
    columns (chat.selectors.access_thread_to_send reads it along with the access check)."""
    table = connection.ops.quote_name(SlowMode._meta.db_table)
    return (
        f"COALESCE((SELECT MAX(sm.seconds) FROM {table} sm WHERE sm.group_id = {group_column}"
        f" AND (sm.thread_id IS NULL OR sm.thread_id = {thread_column})), 0)"
    )


def slow_mode_seconds(*, group: Group, thread: Thread | None) -> int:
    """The strictest slow mode that applies: the thread's or the group's. No query when the thread
    came with a send probe (chat.selectors.access_thread_to_send), which read it."""
    probe = getattr(thread, "send_probe", None)
    if probe is not None:
        return probe.slow_mode
    scope = Q(thread__isnull=True)
    if thread is not None:
        scope |= Q(thread=thread)
    values = SlowMode.objects.filter(scope, group=group).values_list("seconds", flat=True)
    return max(values, default=0)


def last_message_at(*, user: AnyUser, group: Group, thread: Thread | None):
    qs = Message.objects.filter(author=user, group=group)
    if thread is not None and not SlowMode.objects.filter(group=group, thread__isnull=True).exists():
        qs = qs.filter(thread=thread)
    return qs.order_by("-created_at").values_list("created_at", flat=True).first()


def audit_list(
    *,
    library_id: int,
    group_id: int | None = None,
    user_id: int | None = None,
    action: str | None = None,
    since=None,
    until=None,
) -> QuerySet[AuditEntry]:
    qs = AuditEntry.objects.filter(library_id=library_id).select_related("actor", "target_user", "group")
    if group_id:
        qs = qs.filter(group_id=group_id)
    if user_id:
        qs = qs.filter(Q(target_user_id=user_id) | Q(actor_id=user_id))
    if action:
        qs = qs.filter(action=action)
    if since:
        qs = qs.filter(created_at__gte=since)
    if until:
        qs = qs.filter(created_at__lt=until)
    return qs


def access_member(*, user_id: int) -> User:
    """The target of a sanction: any active account (they may be watching a public group without
    being a member). Precondition: the caller checks the actor's rights in the group."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise NotFound()
    return user


def moderated_library(*, user: AnyUser, slug: str) -> Library:
    """A library whose moderation the user may follow (its librarians, staff); else not found."""
    library = Library.objects.filter(slug=slug).first()
    if library is None or not is_library_moderator(user, library.pk):
        raise NotFound()
    return library


def held_messages(*, library_id: int) -> QuerySet[Message]:
    return (
        Message.objects.filter(group__library_id=library_id, held_at__isnull=False, removed_at__isnull=True)
        .select_related("author", "group")
        .prefetch_related("reactions", message_resources_prefetch())
        .order_by("held_at")
    )


def library_settings(*, library_id: int) -> LibraryModerationSettings:
    return LibraryModerationSettings.objects.filter(
        library_id=library_id
    ).first() or LibraryModerationSettings(library_id=library_id)


def word_filters(*, library_id: int) -> QuerySet[WordFilter]:
    return WordFilter.objects.filter(library_id=library_id)


def group_state_for(*, user: AnyUser, group: Group) -> dict:
    """What the composer needs to know on page load: slow modes in force, and the caller's own mute
    or ban in this group."""
    modes = SlowMode.objects.filter(group=group).values_list("thread_id", "seconds")
    mute = active_sanction(user=user, group=group, kind="mute")
    ban = active_sanction(user=user, group=group, kind="ban")
    return {
        "group": group.slug,
        "slow_mode": {
            "group": next((s for t, s in modes if t is None), 0),
            "threads": {str(t): s for t, s in modes if t is not None},
        },
        "moderator": is_moderator(user, group),
        "muted": mute is not None,
        "muted_until": mute.ends_at.isoformat().replace("+00:00", "Z") if mute and mute.ends_at else None,
        "banned": ban is not None,
    }
