"""Moderation actions. Each checks the actor's rights, changes state (chat's and groups' tables
through their services), takes the group's next seq where clients can see the change, writes
exactly one audit entry, tells the affected member why, and publishes after commit."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from backend import realtime
from backend.exceptions import NotFound, PermissionDenied, ValidationFailed
from chat import services as chat_services
from chat.models import Message, Thread
from groups import services as group_services
from groups.models import Group
from groups.selectors import AnyUser, is_librarian_of

from .models import (
    Action,
    AuditEntry,
    LibraryModerationSettings,
    Sanction,
    SanctionKind,
    SlowMode,
    WordFilter,
)
from .selectors import active_sanction, can_moderate, is_library_moderator

MSG_REASON_REQUIRED = _("Give a reason: the member will see it.")
MSG_NOTHING_TO_CHANGE = _("Nothing to change: it is already so.")
MSG_FUTURE = _("Choose a moment in the future.")


def _ensure(actor: AnyUser, group: Group, action: str) -> None:
    if not can_moderate(actor, group, action):
        raise PermissionDenied()


def audit_record(
    actor: AnyUser,
    group: Group,
    action: str,
    *,
    target_user_id: int | None = None,
    message: Message | None = None,
    thread: Thread | None = None,
    reason: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    return AuditEntry.objects.create(
        library_id=group.library_id,
        group=group,
        actor=actor if actor.is_authenticated else None,
        action=action,
        target_user_id=target_user_id,
        message=message,
        thread=thread,
        reason=reason,
        before=before or {},
        after=after or {},
    )


APPEALABLE = frozenset({Action.HIDE, Action.REMOVE, Action.MUTE, Action.BAN, Action.REJECT})


def _notify(entry: AuditEntry, **extra: Any) -> None:
    """Transparent moderation: the affected member hears what happened, why, where the library's
    guidelines are, and — for a hide, removal, rejection, mute or ban — that they may appeal it."""
    group = entry.group
    realtime.notify_user_on_commit(
        entry.target_user_id,
        {
            "type": "moderation.notice",
            "action": entry.action,
            "group": group.slug,
            "library": group.library.slug,
            "reason": entry.reason,
            "audit": entry.pk,
            "appealable": entry.action in APPEALABLE,
            **extra,
        },
    )


def _state(message: Message) -> str:
    if message.removed_at is not None:
        return "removed"
    if message.held_at is not None:
        return "held"
    return "hidden" if message.hidden_at is not None else "visible"


def _change_message_state(
    actor: AnyUser, message: Message, action: str, *, before: str, state: str, reason: str
) -> None:
    """Apply a moderation state to a locked message, audit it, and tell its author."""
    chat_services.message_set_moderation(message=message, state=state, reason=reason)
    entry = audit_record(
        actor,
        message.group,
        action,
        target_user_id=message.author_id,
        message=message,
        reason=reason,
        before={"state": before},
        after={"state": state},
    )
    _notify(entry, message=message.pk, thread=message.thread_id)


def _moderate_message(*, actor: AnyUser, message: Message, action: str, state: str, reason: str) -> Message:
    _ensure(actor, message.group, action)
    if action in (Action.HIDE, Action.REMOVE) and not reason.strip():
        raise ValidationFailed(fields={"reason": [str(MSG_REASON_REQUIRED)]})
    with transaction.atomic():
        message = chat_services.message_lock(message)
        before = _state(message)
        unchanged = before == state or (action == Action.UNHIDE and before != "hidden")
        # A held message is approved or rejected (removing it is a rejection by another name).
        blocked = before in ("removed", "held") and action != Action.REMOVE
        if message.deleted_at is not None or blocked or unchanged:
            raise ValidationFailed(fields={"id": [str(MSG_NOTHING_TO_CHANGE)]})
        _change_message_state(actor, message, action, before=before, state=state, reason=reason)
    return message


def _review_held(*, actor: AnyUser, message: Message, approve: bool, reason: str) -> Message:
    action = Action.APPROVE if approve else Action.REJECT
    _ensure(actor, message.group, action)
    with transaction.atomic():
        message = chat_services.message_lock(message)
        if message.held_at is None or message.removed_at is not None:
            raise ValidationFailed(fields={"id": [str(MSG_NOTHING_TO_CHANGE)]})
        state = "visible" if approve else "removed"
        _change_message_state(actor, message, action, before="held", state=state, reason=reason)
    return message


def message_approve(*, actor: AnyUser, message: Message, reason: str = "") -> Message:
    """Publish a held message to everyone."""
    return _review_held(actor=actor, message=message, approve=True, reason=reason)


def message_reject(*, actor: AnyUser, message: Message, reason: str) -> Message:
    """Reject a held message: it becomes a removed message (kept for appeal, then purged)."""
    if not reason.strip():
        raise ValidationFailed(fields={"reason": [str(MSG_REASON_REQUIRED)]})
    return _review_held(actor=actor, message=message, approve=False, reason=reason)


def _ensure_library(actor: AnyUser, library_id: int) -> None:
    if not is_library_moderator(actor, library_id):
        raise PermissionDenied()


@transaction.atomic
def word_filter_add(*, actor: AnyUser, library_id: int, phrase: str, action: str) -> WordFilter:
    _ensure_library(actor, library_id)
    phrase = " ".join(phrase.split())
    if not phrase:
        raise ValidationFailed(fields={"phrase": [str(MSG_REASON_REQUIRED)]})
    entry, _created = WordFilter.objects.update_or_create(
        library_id=library_id, phrase=phrase, defaults={"action": action, "created_by": actor}
    )
    AuditEntry.objects.create(
        library_id=library_id,
        actor=actor,
        action=Action.SETTINGS,
        after={"word_filter": phrase, "action": action},
    )
    return entry


@transaction.atomic
def word_filter_remove(*, actor: AnyUser, library_id: int, entry_id: int) -> None:
    _ensure_library(actor, library_id)
    entry = WordFilter.objects.filter(library_id=library_id, pk=entry_id).first()
    if entry is None:
        raise NotFound()
    AuditEntry.objects.create(
        library_id=library_id,
        actor=actor,
        action=Action.SETTINGS,
        before={"word_filter": entry.phrase, "action": entry.action},
    )
    entry.delete()


@transaction.atomic
def library_settings_update(*, actor: AnyUser, library_id: int, **changes: Any) -> LibraryModerationSettings:
    """Community guidelines and the new-member hold, by the library's librarians."""
    _ensure_library(actor, library_id)
    settings_row, _created = LibraryModerationSettings.objects.get_or_create(library_id=library_id)
    before = {k: getattr(settings_row, k) for k in changes}
    for key, value in changes.items():
        setattr(settings_row, key, value)
    settings_row.save()
    AuditEntry.objects.create(
        library_id=library_id, actor=actor, action=Action.SETTINGS, before=before, after=changes
    )
    return settings_row


def message_hide(*, actor: AnyUser, message: Message, reason: str) -> Message:
    """Members see only the reason; moderators still see the text, marked."""
    return _moderate_message(actor=actor, message=message, action=Action.HIDE, state="hidden", reason=reason)


def message_unhide(*, actor: AnyUser, message: Message, reason: str = "") -> Message:
    return _moderate_message(
        actor=actor, message=message, action=Action.UNHIDE, state="visible", reason=reason
    )


def message_remove(*, actor: AnyUser, message: Message, reason: str) -> Message:
    """A tombstone for members; the text is kept for appeals until `purge_removed` runs."""
    return _moderate_message(
        actor=actor, message=message, action=Action.REMOVE, state="removed", reason=reason
    )


@transaction.atomic
def message_pin(*, actor: AnyUser, message: Message, pinned: bool) -> Message:
    action = Action.PIN if pinned else Action.UNPIN
    _ensure(actor, message.group, action)
    message = chat_services.message_lock(message)
    if (message.pinned_at is not None) == pinned or message.deleted_at or message.removed_at:
        raise ValidationFailed(fields={"id": [str(MSG_NOTHING_TO_CHANGE)]})
    chat_services.message_set_pinned(message=message, pinned=pinned)
    audit_record(
        actor,
        message.group,
        action,
        target_user_id=message.author_id,
        message=message,
        before={"pinned": not pinned},
        after={"pinned": pinned},
    )
    return message


@transaction.atomic
def thread_lock(*, actor: AnyUser, thread: Thread, locked: bool, reason: str = "") -> Thread:
    """A locked thread takes no new messages, except from moderators."""
    action = Action.LOCK if locked else Action.UNLOCK
    _ensure(actor, thread.group, action)
    if (thread.locked_at is not None) == locked:
        raise ValidationFailed(fields={"thread": [str(MSG_NOTHING_TO_CHANGE)]})
    chat_services.thread_set_locked(thread=thread, locked=locked, by=actor)
    audit_record(
        actor,
        thread.group,
        action,
        thread=thread,
        reason=reason,
        before={"locked": not locked},
        after={"locked": locked},
    )
    return thread


@transaction.atomic
def slow_mode_set(*, actor: AnyUser, group: Group, seconds: int, thread: Thread | None = None) -> int:
    """One message per `seconds` per member in the group (or one thread); 0 turns it off."""
    _ensure(actor, group, Action.SLOW_MODE)
    if thread is not None and thread.group_id != group.pk:
        raise NotFound()
    current = SlowMode.objects.filter(group=group, thread=thread).first()
    before = current.seconds if current else 0
    if seconds:
        SlowMode.objects.update_or_create(group=group, thread=thread, defaults={"seconds": seconds})
    elif current:
        current.delete()
    chat_services.group_event_publish(
        group=group,
        event_type="group.slow_mode",
        payload={"thread": thread.pk if thread else None, "seconds": seconds},
    )
    audit_record(
        actor, group, Action.SLOW_MODE, thread=thread, before={"seconds": before}, after={"seconds": seconds}
    )
    return seconds


def _ensure_sanctionable(actor: AnyUser, group: Group, target: User, action: str) -> None:
    _ensure(actor, group, action)
    if target.pk == actor.pk or target.is_staff or is_librarian_of(target, group.library_id):
        # Librarians and staff are not sanctioned by their peers here (platform staff use the admin).
        raise PermissionDenied()


def _ends_at(minutes: int | None, until: datetime | None) -> datetime | None:
    if until is not None:
        if until <= timezone.now():
            raise ValidationFailed(fields={"until": [str(MSG_FUTURE)]})
        return until
    return timezone.now() + timedelta(minutes=minutes) if minutes else None


@transaction.atomic
def member_mute(
    *,
    actor: AnyUser,
    group: Group,
    user: User,
    reason: str,
    minutes: int | None = None,
    until: datetime | None = None,
) -> Sanction:
    """The member keeps reading but cannot post in the group until the mute ends."""
    _ensure_sanctionable(actor, group, user, Action.MUTE)
    ends_at = _ends_at(minutes, until)
    sanction = Sanction.objects.create(
        library_id=group.library_id,
        group=group,
        user=user,
        kind=SanctionKind.MUTE,
        reason=reason,
        ends_at=ends_at,
        created_by=actor,
    )
    until_text = ends_at.isoformat().replace("+00:00", "Z") if ends_at else None
    entry = audit_record(
        actor, group, Action.MUTE, target_user_id=user.pk, reason=reason, after={"until": until_text}
    )
    _notify(entry, until=until_text)
    return sanction


@transaction.atomic
def member_ban(
    *,
    actor: AnyUser,
    group: Group,
    user: User,
    reason: str,
    until: datetime | None = None,
    library_wide: bool = False,
) -> Sanction:
    """Ban from the group — or, by a librarian, from every group of the library. Open sockets stop
    receiving those groups at once; joining, subscribing and posting are refused until it ends."""
    _ensure_sanctionable(actor, group, user, Action.BAN)
    if library_wide and not is_librarian_of(actor, group.library_id):
        raise PermissionDenied()
    ends_at = _ends_at(None, until)
    sanction = Sanction.objects.create(
        library_id=group.library_id,
        group=None if library_wide else group,
        user=user,
        kind=SanctionKind.BAN,
        reason=reason,
        ends_at=ends_at,
        created_by=actor,
    )
    groups = list(Group.objects.filter(library_id=group.library_id)) if library_wide else [group]
    group_services.memberships_end_for_ban(groups=groups, user_id=user.pk)
    until_text = ends_at.isoformat().replace("+00:00", "Z") if ends_at else None
    entry = audit_record(
        actor,
        group,
        Action.BAN,
        target_user_id=user.pk,
        reason=reason,
        after={"until": until_text, "library_wide": library_wide},
    )
    _notify(entry, until=until_text, library_wide=library_wide)
    return sanction


@transaction.atomic
def sanction_lift(*, actor: AnyUser, group: Group, user: User, kind: str, reason: str = "") -> Sanction:
    """Unmute or unban (a library-wide ban is lifted by a librarian)."""
    action = Action.UNMUTE if kind == SanctionKind.MUTE else Action.UNBAN
    _ensure(actor, group, action)
    sanction = active_sanction(user=user, group=group, kind=kind)
    if sanction is None:
        raise NotFound()
    if sanction.group_id is None and not is_librarian_of(actor, group.library_id):
        raise PermissionDenied()
    sanction.lifted_at, sanction.lifted_by = timezone.now(), actor
    sanction.save(update_fields=["lifted_at", "lifted_by"])
    entry = audit_record(
        actor, group, action, target_user_id=user.pk, reason=reason, before={"sanction": sanction.pk}
    )
    _notify(entry)
    return sanction


@transaction.atomic
def member_kick(*, actor: AnyUser, group: Group, user: User, reason: str) -> None:
    """Close all of the member's sockets now; they may reconnect unless banned."""
    _ensure_sanctionable(actor, group, user, Action.KICK)
    entry = audit_record(actor, group, Action.KICK, target_user_id=user.pk, reason=reason)
    _notify(entry)
    realtime.kick_on_commit(user_id=user.pk, reason=reason)
