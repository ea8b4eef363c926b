"""Inputs for moderation actions, shared by REST and WebSocket."""

from rest_framework import serializers

from .models import Action, AppealStatus, FilterAction, ReportCategory, ReportOutcome, ReportStatus


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500, allow_blank=True, required=False, default="")


class RequiredReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class MessageActionInput(serializers.Serializer):
    """WebSocket: message.hide / unhide / remove / pin / unpin."""

    id = serializers.IntegerField(min_value=1)
    reason = serializers.CharField(max_length=500, allow_blank=True, required=False, default="")


class ThreadActionInput(serializers.Serializer):
    """WebSocket: thread.lock / thread.unlock."""

    thread = serializers.IntegerField(min_value=1)
    reason = serializers.CharField(max_length=500, allow_blank=True, required=False, default="")


class SlowModeInput(serializers.Serializer):
    seconds = serializers.IntegerField(min_value=0, max_value=24 * 3600)
    thread = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)


class GroupSlowModeInput(SlowModeInput):
    """WebSocket: group.slow_mode."""

    group = serializers.SlugField(max_length=80)


class MuteInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500)
    minutes = serializers.IntegerField(min_value=1, max_value=366 * 24 * 60, required=False, allow_null=True)
    until = serializers.DateTimeField(required=False, allow_null=True)


class BanInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500)
    until = serializers.DateTimeField(required=False, allow_null=True)
    library_wide = serializers.BooleanField(required=False, default=False)


class MemberRefInput(serializers.Serializer):
    """WebSocket: member.* frames name the group and the member (a user id)."""

    group = serializers.SlugField(max_length=80)
    member = serializers.IntegerField(min_value=1)


class MemberMuteInput(MemberRefInput, MuteInput):
    pass


class MemberBanInput(MemberRefInput, BanInput):
    pass


class MemberReasonInput(MemberRefInput, ReasonInput):
    pass


class AuditQueryInput(serializers.Serializer):
    group = serializers.SlugField(required=False)
    user = serializers.IntegerField(required=False, min_value=1)
    action = serializers.ChoiceField(choices=Action.choices, required=False)
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)
    format = serializers.ChoiceField(choices=["json", "csv"], required=False, default="json")


class ReportInput(serializers.Serializer):
    category = serializers.ChoiceField(choices=ReportCategory.choices)
    note = serializers.CharField(max_length=1000, allow_blank=True, required=False, default="")


class MessageReportInput(ReportInput):
    """WebSocket: message.report."""

    id = serializers.IntegerField(min_value=1)


class ReportResolveInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=ReportOutcome.choices)
    note = serializers.CharField(max_length=1000, allow_blank=True, required=False, default="")


class ReportQueueInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=ReportStatus.choices, required=False)


class LibraryRefInput(serializers.Serializer):
    """WebSocket: moderation.subscribe (the live report queue of a library)."""

    library = serializers.SlugField(max_length=60)


class WordFilterInput(serializers.Serializer):
    phrase = serializers.CharField(max_length=100)
    action = serializers.ChoiceField(choices=FilterAction.choices)


class LibrarySettingsInput(serializers.Serializer):
    guidelines = serializers.CharField(allow_blank=True, required=False, max_length=20000)
    new_member_messages = serializers.IntegerField(min_value=0, max_value=100, required=False)
    new_member_days = serializers.IntegerField(min_value=0, max_value=365, required=False)


class AppealInput(serializers.Serializer):
    audit = serializers.IntegerField(min_value=1, help_text="the `audit` id from the moderation notice")
    text = serializers.CharField(max_length=2000)


class AppealDecisionInput(serializers.Serializer):
    overturn = serializers.BooleanField()
    reason = serializers.CharField(max_length=2000)


class AppealOut(serializers.Serializer):
    """moderation.appeals.appeal_payload"""

    id = serializers.IntegerField()
    action = serializers.CharField(help_text="the audited action appealed against")
    group = serializers.CharField(allow_null=True, help_text="the group's slug")
    reason = serializers.CharField(allow_blank=True)
    message = serializers.IntegerField(allow_null=True)
    text = serializers.CharField()
    status = serializers.ChoiceField(choices=AppealStatus.choices)
    decision_reason = serializers.CharField(allow_blank=True)
    assigned_to = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
