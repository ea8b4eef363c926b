"""REST interface for moderation (`/api/v1/moderation/...`): parse, access check, one service."""

from __future__ import annotations

import csv

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api import validated
from backend.exceptions import PermissionDenied
from backend.spreadsheets import spreadsheet_cell
from chat.events import message_payload, thread_payload
from chat.selectors import access_message, access_thread
from chat.serializers import MessageOut, ThreadOut
from groups.selectors import access_group, library_get

from . import appeals, reports, selectors, services
from .models import SanctionKind
from .serializers import (
    AppealDecisionInput,
    AppealInput,
    AppealOut,
    AuditQueryInput,
    BanInput,
    LibrarySettingsInput,
    MuteInput,
    ReasonInput,
    ReportInput,
    ReportQueueInput,
    ReportResolveInput,
    RequiredReasonInput,
    SlowModeInput,
    WordFilterInput,
)


class _ModerationView(APIView):
    permission_classes = [IsAuthenticated]


def _message_response(message) -> Response:
    return Response(message_payload(message, group_slug=message.group.slug, full=True))


class MessageHideView(_ModerationView):
    @extend_schema(request=RequiredReasonInput, responses=MessageOut)
    def post(self, request: Request, message_id: int) -> Response:
        message = access_message(user=request.user, message_id=message_id)
        data = validated(RequiredReasonInput, request)
        services.message_hide(actor=request.user, message=message, **data)
        return _message_response(message)

    @extend_schema(request=None, responses=MessageOut)
    def delete(self, request: Request, message_id: int) -> Response:
        message = access_message(user=request.user, message_id=message_id)
        services.message_unhide(actor=request.user, message=message)
        return _message_response(message)


class MessageRemoveView(_ModerationView):
    @extend_schema(request=RequiredReasonInput, responses=MessageOut)
    def post(self, request: Request, message_id: int) -> Response:
        message = access_message(user=request.user, message_id=message_id)
        services.message_remove(
            actor=request.user, message=message, **validated(RequiredReasonInput, request)
        )
        return _message_response(message)


class MessagePinView(_ModerationView):
    @extend_schema(request=None, responses=MessageOut)
    def post(self, request: Request, message_id: int) -> Response:
        message = access_message(user=request.user, message_id=message_id)
        services.message_pin(actor=request.user, message=message, pinned=True)
        return _message_response(message)

    @extend_schema(request=None, responses=MessageOut)
    def delete(self, request: Request, message_id: int) -> Response:
        message = access_message(user=request.user, message_id=message_id)
        services.message_pin(actor=request.user, message=message, pinned=False)
        return _message_response(message)


class ThreadLockView(_ModerationView):
    @extend_schema(request=ReasonInput, responses=ThreadOut)
    def post(self, request: Request, thread_id: int) -> Response:
        thread = access_thread(user=request.user, thread_id=thread_id)
        services.thread_lock(
            actor=request.user, thread=thread, locked=True, **validated(ReasonInput, request)
        )
        return Response(thread_payload(thread, group_slug=thread.group.slug))

    @extend_schema(request=None, responses=ThreadOut)
    def delete(self, request: Request, thread_id: int) -> Response:
        thread = access_thread(user=request.user, thread_id=thread_id)
        services.thread_lock(actor=request.user, thread=thread, locked=False)
        return Response(thread_payload(thread, group_slug=thread.group.slug))


class SlowModeView(_ModerationView):
    @extend_schema(request=SlowModeInput, responses=OpenApiTypes.OBJECT)
    def put(self, request: Request, slug: str) -> Response:
        group = access_group(user=request.user, slug=slug)
        data = validated(SlowModeInput, request)
        thread = access_thread(user=request.user, thread_id=data["thread"]) if data["thread"] else None
        seconds = services.slow_mode_set(
            actor=request.user, group=group, seconds=data["seconds"], thread=thread
        )
        return Response({"group": group.slug, "thread": data["thread"], "seconds": seconds})


def _sanction_data(sanction) -> dict:
    return {
        "id": sanction.pk,
        "kind": sanction.kind,
        "user": {"id": sanction.user_id, "display_name": sanction.user.display_name},
        "group": sanction.group_id,
        "library_wide": sanction.group_id is None,
        "reason": sanction.reason,
        "ends_at": sanction.ends_at,
        "created_at": sanction.created_at,
    }


class _MemberView(_ModerationView):
    def target(self, request: Request, slug: str, user_id: int):
        return access_group(user=request.user, slug=slug), selectors.access_member(user_id=user_id)


class MuteView(_MemberView):
    @extend_schema(request=MuteInput, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, slug: str, user_id: int) -> Response:
        group, user = self.target(request, slug, user_id)
        sanction = services.member_mute(
            actor=request.user, group=group, user=user, **validated(MuteInput, request)
        )
        return Response(_sanction_data(sanction), status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, slug: str, user_id: int) -> Response:
        group, user = self.target(request, slug, user_id)
        services.sanction_lift(actor=request.user, group=group, user=user, kind=SanctionKind.MUTE)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BanView(_MemberView):
    @extend_schema(request=BanInput, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, slug: str, user_id: int) -> Response:
        group, user = self.target(request, slug, user_id)
        sanction = services.member_ban(
            actor=request.user, group=group, user=user, **validated(BanInput, request)
        )
        return Response(_sanction_data(sanction), status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, slug: str, user_id: int) -> Response:
        group, user = self.target(request, slug, user_id)
        services.sanction_lift(actor=request.user, group=group, user=user, kind=SanctionKind.BAN)
        return Response(status=status.HTTP_204_NO_CONTENT)


class KickView(_MemberView):
    @extend_schema(request=RequiredReasonInput, responses={204: None})
    def post(self, request: Request, slug: str, user_id: int) -> Response:
        group, user = self.target(request, slug, user_id)
        services.member_kick(
            actor=request.user, group=group, user=user, **validated(RequiredReasonInput, request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class SanctionListView(_ModerationView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, slug: str) -> Response:
        group = access_group(user=request.user, slug=slug)
        if not selectors.is_moderator(request.user, group):
            raise PermissionDenied()
        return Response([_sanction_data(s) for s in selectors.group_sanctions(group=group)])


AUDIT_COLUMNS = [
    "time",
    "action",
    "actor",
    "target",
    "group",
    "message",
    "thread",
    "reason",
    "before",
    "after",
]


def _audit_row(entry) -> dict:
    return {
        "time": entry.created_at.isoformat(),
        "action": entry.action,
        "actor": entry.actor.display_name if entry.actor else "",
        "target": entry.target_user.display_name if entry.target_user else "",
        "group": entry.group.slug if entry.group else "",
        "message": entry.message_id,
        "thread": entry.thread_id,
        "reason": entry.reason,
        "before": entry.before,
        "after": entry.after,
    }


class _FormatIsOurs(DefaultContentNegotiation):
    """`?format=` is DRF's renderer override, and there is no "csv" renderer: DRF would answer 404
    before the view runs. Here the view reads `format` itself (the CSV is a plain HttpResponse);
    everything rendered — the JSON list and errors — is JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return super().select_renderer(request, renderers, format_suffix=format_suffix or "json")


class AuditLogView(_ModerationView):
    """The library's moderation log, for its librarians (and staff). `?format=csv` exports it."""

    content_negotiation_class = _FormatIsOurs

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, slug: str) -> Response | HttpResponse:
        library = library_get(slug=slug)
        if not selectors.is_library_moderator(request.user, library.pk):
            raise PermissionDenied()
        query = AuditQueryInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = dict(query.validated_data)
        export = filters.pop("format") == "csv"
        if "group" in filters:
            filters["group_id"] = access_group(user=request.user, slug=filters.pop("group")).pk
        if "user" in filters:
            filters["user_id"] = filters.pop("user")
        rows = [_audit_row(e) for e in selectors.audit_list(library_id=library.pk, **filters)[:5000]]
        if not export:
            return Response(rows)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="moderation-{library.slug}.csv"'
        writer = csv.DictWriter(response, fieldnames=AUDIT_COLUMNS)
        writer.writeheader()
        writer.writerows({k: spreadsheet_cell(v) for k, v in row.items()} for row in rows)
        return response


class MessageReportView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=ReportInput, responses={201: None})
    def post(self, request: Request, message_id: int) -> Response:
        message = access_message(user=request.user, message_id=message_id)
        report = reports.report_create(actor=request.user, message=message, **validated(ReportInput, request))
        # The reporter gets a receipt, not the moderators' view.
        return Response({"id": report.pk, "status": report.status}, status=status.HTTP_201_CREATED)


class ReportQueueView(_ModerationView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, slug: str) -> Response:
        library = library_get(slug=slug)
        query = ReportQueueInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        queue = reports.report_queue(user=request.user, library_id=library.pk, **query.validated_data)
        return Response([reports.report_payload(r) for r in queue[:500]])


class ReportClaimView(_ModerationView):
    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, report_id: int) -> Response:
        report = reports.access_report(user=request.user, report_id=report_id)
        return Response(reports.report_payload(reports.report_claim(actor=request.user, report=report)))


class ReportResolveView(_ModerationView):
    @extend_schema(request=ReportResolveInput, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, report_id: int) -> Response:
        report = reports.access_report(user=request.user, report_id=report_id)
        data = validated(ReportResolveInput, request)
        return Response(
            reports.report_payload(reports.report_resolve(actor=request.user, report=report, **data))
        )


class MessageApproveView(_ModerationView):
    @extend_schema(request=ReasonInput, responses=MessageOut)
    def post(self, request: Request, message_id: int) -> Response:
        message = access_message(user=request.user, message_id=message_id)
        data = validated(ReasonInput, request)
        return _message_response(services.message_approve(actor=request.user, message=message, **data))


class MessageRejectView(_ModerationView):
    @extend_schema(request=RequiredReasonInput, responses=MessageOut)
    def post(self, request: Request, message_id: int) -> Response:
        message = access_message(user=request.user, message_id=message_id)
        data = validated(RequiredReasonInput, request)
        return _message_response(services.message_reject(actor=request.user, message=message, **data))


def _library_for_moderators(request: Request, slug: str):
    library = library_get(slug=slug)
    if not selectors.is_library_moderator(request.user, library.pk):
        raise PermissionDenied()
    return library


class HeldMessagesView(_ModerationView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, slug: str) -> Response:
        library = _library_for_moderators(request, slug)
        held = selectors.held_messages(library_id=library.pk)[:500]
        return Response([message_payload(m, group_slug=m.group.slug, full=True) for m in held])


def _filter_data(entry) -> dict:
    return {"id": entry.pk, "phrase": entry.phrase, "action": entry.action}


class WordFilterListView(_ModerationView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, slug: str) -> Response:
        library = _library_for_moderators(request, slug)
        return Response([_filter_data(e) for e in selectors.word_filters(library_id=library.pk)])

    @extend_schema(request=WordFilterInput, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, slug: str) -> Response:
        library = library_get(slug=slug)
        data = validated(WordFilterInput, request)
        entry = services.word_filter_add(actor=request.user, library_id=library.pk, **data)
        return Response(_filter_data(entry), status=status.HTTP_201_CREATED)


class WordFilterDetailView(_ModerationView):
    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, slug: str, entry_id: int) -> Response:
        library = library_get(slug=slug)
        services.word_filter_remove(actor=request.user, library_id=library.pk, entry_id=entry_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _settings_data(row) -> dict:
    return {
        "guidelines": row.guidelines,
        "new_member_messages": row.new_member_messages,
        "new_member_days": row.new_member_days,
    }


class LibrarySettingsView(_ModerationView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, slug: str) -> Response:
        library = _library_for_moderators(request, slug)
        return Response(_settings_data(selectors.library_settings(library_id=library.pk)))

    @extend_schema(request=LibrarySettingsInput, responses=OpenApiTypes.OBJECT)
    def put(self, request: Request, slug: str) -> Response:
        library = library_get(slug=slug)
        data = validated(LibrarySettingsInput, request)
        row = services.library_settings_update(actor=request.user, library_id=library.pk, **data)
        return Response(_settings_data(row))


class GuidelinesView(APIView):
    """The library's community guidelines (huisregels): public, linked from every notice."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, slug: str) -> Response:
        library = library_get(slug=slug)
        row = selectors.library_settings(library_id=library.pk)
        return Response({"library": library.slug, "guidelines": row.guidelines})


class AppealListView(_ModerationView):
    @extend_schema(responses=AppealOut(many=True))
    def get(self, request: Request) -> Response:
        """The open appeals the caller decides."""
        queue = appeals.appeals_for(user=request.user, library_slug=request.query_params.get("library"))
        return Response([appeals.appeal_payload(a) for a in queue[:500]])

    @extend_schema(request=AppealInput, responses={201: AppealOut})
    def post(self, request: Request) -> Response:
        data = validated(AppealInput, request)
        appeal = appeals.appeal_create(actor=request.user, entry_id=data["audit"], text=data["text"])
        return Response(appeals.appeal_payload(appeal), status=status.HTTP_201_CREATED)


class AppealDecideView(_ModerationView):
    @extend_schema(request=AppealDecisionInput, responses=AppealOut)
    def post(self, request: Request, appeal_id: int) -> Response:
        appeal = appeals.access_appeal(user=request.user, appeal_id=appeal_id)
        data = validated(AppealDecisionInput, request)
        return Response(
            appeals.appeal_payload(appeals.appeal_decide(actor=request.user, appeal=appeal, **data))
        )


class GroupStateView(APIView):
    """Slow modes in force and the caller's own mute/ban: for whoever may see the group."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, slug: str) -> Response:
        group = access_group(user=request.user, slug=slug)
        return Response(selectors.group_state_for(user=request.user, group=group))
