"""Input serializers (validation only) and output shapes for the OpenAPI schema."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

MAX_ID = 2**63 - 1


class NotificationOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(
        choices=[
            "meetup.cancelled",
            "meetup.promoted",
            "meetup.reminder",
            "meetup.changed",
            "support.decided",
        ]
    )
    text = serializers.CharField(help_text="in the reader's language")
    url = serializers.CharField(help_text="a page path of this site")
    data = serializers.DictField()
    created_at = serializers.DateTimeField()
    read = serializers.BooleanField()


class NotificationListOut(serializers.Serializer):
    unread = serializers.IntegerField()
    results = NotificationOut(many=True)


class MarkReadInput(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False, max_length=500
    )
    all = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs):
        if not attrs.get("all") and "ids" not in attrs:
            raise serializers.ValidationError({"ids": [_("Give the ids to mark as read, or all.")]})
        return attrs


class UnreadOut(serializers.Serializer):
    unread = serializers.IntegerField()
