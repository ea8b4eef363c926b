"""Reports: members flag messages; the library's moderators claim and resolve them in a live queue;
the reporter hears the outcome. The reported member never learns who reported."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from backend import realtime
from backend.exceptions import NotFound, PermissionDenied
from chat.events import message_payload
from chat.models import Message
from groups.selectors import AnyUser
from resources.selectors import message_resources_prefetch

from .errors import AlreadyReported, ReportClosed
from .models import Action, Report, ReportStatus
from .selectors import can_moderate, is_library_moderator
from .services import audit_record


def report_payload(report: Report) -> dict[str, Any]:
    """For moderators only: includes the message as they see it and who reported."""
    return {
        "id": report.pk,
        "group": report.group.slug,
        "message": message_payload(report.message, group_slug=report.group.slug, full=True),
        "reporter": (
            {"id": report.reporter_id, "display_name": report.reporter.display_name}
            if report.reporter_id
            else None  # opened by the word filter
        ),
        "category": report.category,
        "note": report.note,
        "status": report.status,
        "claimed_by": report.claimed_by_id,
        "outcome": report.outcome or None,
        "outcome_note": report.outcome_note,
        "created_at": report.created_at.isoformat().replace("+00:00", "Z"),
    }


def _publish(event_type: str, report: Report) -> None:
    realtime.publish_to_moderators_on_commit(
        report.library_id, {"type": event_type, "report": report_payload(report)}
    )


def report_create(*, actor: AnyUser, message: Message, category: str, note: str = "") -> Report:
    """Precondition: `message` came from access_message for `actor` (who may see it)."""
    if not actor.is_authenticated:
        raise PermissionDenied()
    try:
        with transaction.atomic():
            report = Report.objects.create(
                library_id=message.group.library_id,
                group=message.group,
                message=message,
                reporter=actor,
                category=category,
                note=note.strip(),
            )
            _publish("report.created", report)
    except IntegrityError as exc:
        raise AlreadyReported() from exc
    return report


def _ensure_moderates(actor: AnyUser, report: Report) -> None:
    if not can_moderate(actor, report.group, Action.HIDE):
        raise PermissionDenied()


@transaction.atomic
def report_claim(*, actor: AnyUser, report: Report) -> Report:
    _ensure_moderates(actor, report)
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.status != ReportStatus.OPEN:
        raise ReportClosed()
    report.status, report.claimed_by = ReportStatus.CLAIMED, actor
    report.save(update_fields=["status", "claimed_by"])
    audit_record(
        actor,
        report.group,
        Action.REPORT_CLAIM,
        message=report.message,
        target_user_id=report.message.author_id,
        after={"report": report.pk},
    )
    _publish("report.updated", report)
    return report


@transaction.atomic
def report_resolve(*, actor: AnyUser, report: Report, outcome: str, note: str = "") -> Report:
    """Dismiss, or record that action was taken (the action itself is its own audited service).
    The reporter is told the outcome."""
    _ensure_moderates(actor, report)
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.status == ReportStatus.RESOLVED:
        raise ReportClosed()
    report.status, report.outcome, report.outcome_note = ReportStatus.RESOLVED, outcome, note.strip()
    report.resolved_by, report.resolved_at = actor, timezone.now()
    report.save(update_fields=["status", "outcome", "outcome_note", "resolved_by", "resolved_at"])
    audit_record(
        actor,
        report.group,
        Action.REPORT_RESOLVE,
        message=report.message,
        target_user_id=report.message.author_id,
        reason=note,
        after={"report": report.pk, "outcome": outcome},
    )
    _publish("report.updated", report)
    realtime.notify_user_on_commit(
        report.reporter_id,
        {
            "type": "report.outcome",
            "report": report.pk,
            "group": report.group.slug,
            "library": report.group.library.slug,
            "outcome": outcome,
            "note": report.outcome_note,
        },
    )
    return report


def access_report(*, user: AnyUser, report_id: int) -> Report:
    report = (
        Report.objects.select_related("group", "message__author", "message__group", "reporter")
        .filter(pk=report_id)
        .first()
    )
    if report is None or not can_moderate(user, report.group, Action.HIDE):
        raise NotFound()
    return report


def report_queue(*, user: AnyUser, library_id: int, status: str | None = None) -> QuerySet[Report]:
    """The library's reports, for its librarians and staff."""
    if not is_library_moderator(user, library_id):
        raise PermissionDenied()
    qs = (
        Report.objects.filter(library_id=library_id)
        .select_related("group", "message__author", "reporter")
        .prefetch_related("message__reactions", message_resources_prefetch("message__"))
    )
    return qs.filter(status=status) if status else qs.exclude(status=ReportStatus.RESOLVED)
