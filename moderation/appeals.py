"""Appeals: the affected member contests a moderation action once; a different moderator decides;
the member hears the decision and its reason. Overturning undoes the action."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend import realtime
from backend.exceptions import DomainError, NotFound, PermissionDenied
from chat import services as chat_services
from groups.models import Librarian
from groups.selectors import AnyUser

from .models import Action, Appeal, AppealStatus, AuditEntry, SanctionKind
from .selectors import active_sanction
from .services import APPEALABLE, audit_record


class AppealNotAllowed(DomainError):
    code = "appeal_not_allowed"
    default_message = _("This decision cannot be appealed (again).")


def appeal_payload(appeal: Appeal) -> dict[str, Any]:
    entry = appeal.entry
    return {
        "id": appeal.pk,
        "action": entry.action,
        "group": entry.group.slug if entry.group else None,
        "reason": entry.reason,
        "message": entry.message_id,
        "text": appeal.text,
        "status": appeal.status,
        "decision_reason": appeal.decision_reason,
        "assigned_to": appeal.assigned_to_id,
        "created_at": appeal.created_at.isoformat().replace("+00:00", "Z"),
    }


def _reviewer(entry: AuditEntry):
    """Another librarian of the library than the one who acted; None means platform staff."""
    other = (
        Librarian.objects.filter(library_id=entry.library_id)
        .exclude(user_id=entry.actor_id)
        .select_related("user")
        .order_by("created_at")
        .first()
    )
    return other.user if other else None


def appeal_create(*, actor: AnyUser, entry_id: int, text: str) -> Appeal:
    entry = AuditEntry.objects.select_related("group").filter(pk=entry_id).first()
    if entry is None or not actor.is_authenticated or entry.target_user_id != actor.pk:
        raise NotFound()
    if entry.action not in APPEALABLE or not text.strip():
        raise AppealNotAllowed()
    try:
        with transaction.atomic():
            appeal = Appeal.objects.create(
                entry=entry,
                library_id=entry.library_id,
                appellant=actor,
                text=text.strip(),
                assigned_to=_reviewer(entry),
            )
            realtime.publish_to_moderators_on_commit(
                entry.library_id, {"type": "appeal.created", "appeal": appeal_payload(appeal)}
            )
    except IntegrityError as exc:
        raise AppealNotAllowed() from exc
    return appeal


def appeals_for(*, user: AnyUser, library_slug: str | None = None) -> QuerySet[Appeal]:
    """The open appeals this moderator decides (staff: also those without a reviewer), optionally
    of one library."""
    if not user.is_authenticated:
        raise PermissionDenied()
    scope = Q(assigned_to=user)
    if user.is_staff:
        scope |= Q(assigned_to__isnull=True)
    qs = Appeal.objects.filter(scope, status=AppealStatus.OPEN).select_related("entry__group")
    return qs.filter(library__slug=library_slug) if library_slug else qs


def access_appeal(*, user: AnyUser, appeal_id: int) -> Appeal:
    appeal = appeals_for(user=user).filter(pk=appeal_id).first() if user.is_authenticated else None
    if appeal is None:
        raise NotFound()
    return appeal


def _undo(entry: AuditEntry, actor) -> None:
    group = entry.group
    if entry.action in (Action.HIDE, Action.REMOVE, Action.REJECT) and entry.message_id:
        message = chat_services.message_lock(entry.message)
        if message.body:  # a purged removal cannot be restored
            chat_services.message_restore(message=message)
    elif entry.action in (Action.MUTE, Action.BAN):
        kind = SanctionKind.MUTE if entry.action == Action.MUTE else SanctionKind.BAN
        sanction = active_sanction(user=entry.target_user, group=group, kind=kind)
        if sanction is not None:
            sanction.lifted_at, sanction.lifted_by = timezone.now(), actor
            sanction.save(update_fields=["lifted_at", "lifted_by"])


@transaction.atomic
def appeal_decide(*, actor: AnyUser, appeal: Appeal, overturn: bool, reason: str) -> Appeal:
    """Precondition: `appeal` came from access_appeal (assigned to the actor, or staff)."""
    appeal = (
        Appeal.objects.select_for_update(of=("self",))
        .select_related("entry__group__library", "entry__message")
        .get(pk=appeal.pk)
    )
    if appeal.status != AppealStatus.OPEN or appeal.entry.actor_id == actor.pk:
        raise PermissionDenied()
    if overturn:
        _undo(appeal.entry, actor)
    appeal.status = AppealStatus.OVERTURNED if overturn else AppealStatus.UPHELD
    appeal.decision_reason, appeal.decided_by, appeal.decided_at = reason, actor, timezone.now()
    appeal.save(update_fields=["status", "decision_reason", "decided_by", "decided_at"])
    audit_record(
        actor,
        appeal.entry.group,
        Action.APPEAL_DECIDE,
        target_user_id=appeal.appellant_id,
        message=appeal.entry.message,
        reason=reason,
        before={"appeal": appeal.pk, "action": appeal.entry.action},
        after={"status": appeal.status},
    )
    realtime.notify_user_on_commit(
        appeal.appellant_id,
        {
            "type": "appeal.decided",
            "appeal": appeal.pk,
            "library": appeal.entry.group.library.slug if appeal.entry.group else None,
            "group": appeal.entry.group.slug if appeal.entry.group else None,
            "status": appeal.status,
            "reason": reason,
        },
    )
    return appeal
