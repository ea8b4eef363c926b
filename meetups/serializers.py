"""Input serializers (validation only) and output shapes (for the OpenAPI schema) of the meetup core.
Payloads themselves are built by meetups.payloads."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from chat.serializers import UserBriefOut

from .models import RsvpAnswer, SupportState

# --- input -----------------------------------------------------------------------------------------


class BranchInput(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class BranchUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)


class RoomInput(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    capacity = serializers.IntegerField(min_value=1, max_value=100000)
    accessibility = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class RoomUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False)
    capacity = serializers.IntegerField(min_value=1, max_value=100000, required=False)
    accessibility = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class MeetupInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    in_person = serializers.BooleanField(required=False, default=True)
    online = serializers.BooleanField(required=False, default=False)
    location = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    online_url = serializers.URLField(max_length=500, required=False, allow_blank=True, default="")
    capacity = serializers.IntegerField(
        min_value=1, max_value=100000, required=False, allow_null=True, default=None
    )
    cohosts = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list, max_length=50
    )

    def validate_online_url(self, value: str) -> str:
        if value and not value.lower().startswith(("http://", "https://")):
            raise serializers.ValidationError(_("Only http and https links."))
        return value


class MeetupUpdateInput(MeetupInput):
    """`MeetupInput`, every field optional (PATCH)."""

    def __init__(self, *args, **kwargs):
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)


class CancelInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class SupportInput(serializers.Serializer):
    wants_room = serializers.BooleanField(required=False, default=False)
    preferred_branch = serializers.IntegerField(required=False, allow_null=True, default=None)
    wants_promotion = serializers.BooleanField(required=False, default=False)
    help = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class ApproveInput(serializers.Serializer):
    room = serializers.IntegerField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class DeclineInput(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class RsvpInput(serializers.Serializer):
    answer = serializers.ChoiceField(choices=RsvpAnswer.choices)
    share_name = serializers.BooleanField(required=False, default=True)


WHEN_CHOICES = ("upcoming", "past")
STATE_CHOICES = [s for s, _label in SupportState.choices]


# --- output (schema) -------------------------------------------------------------------------------


class RoomOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    capacity = serializers.IntegerField()
    accessibility = serializers.CharField()


class BranchBriefOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    address = serializers.CharField()


class BranchOut(BranchBriefOut):
    rooms = RoomOut(many=True)


class RoomWithBranchOut(RoomOut):
    branch = BranchBriefOut()


class MeetupGroupRefOut(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class GroupVisOut(MeetupGroupRefOut):
    visibility = serializers.CharField()


class MeetupRefOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    group = MeetupGroupRefOut()


class IdNameOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class SupportRequestOut(serializers.Serializer):
    id = serializers.IntegerField()
    meetup = MeetupRefOut()
    wants_room = serializers.BooleanField()
    preferred_branch = IdNameOut(allow_null=True)
    wants_promotion = serializers.BooleanField()
    help = serializers.CharField()
    state = serializers.ChoiceField(choices=SupportState.choices)
    note = serializers.CharField()
    requested_by = UserBriefOut(allow_null=True)
    created_at = serializers.DateTimeField()
    decided_by = UserBriefOut(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    room = RoomOut(allow_null=True)


class MyRsvpOut(serializers.Serializer):
    answer = serializers.ChoiceField(choices=RsvpAnswer.choices)
    waitlisted = serializers.BooleanField()
    position = serializers.IntegerField(allow_null=True)
    share_name = serializers.BooleanField()


class SummaryStateOut(serializers.Serializer):
    state = serializers.CharField()
    published_at = serializers.DateTimeField(allow_null=True)


class MeetupOut(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    group = GroupVisOut()
    library = MeetupGroupRefOut()
    title = serializers.CharField()
    description = serializers.CharField()
    description_html = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    in_person = serializers.BooleanField()
    online = serializers.BooleanField()
    hybrid = serializers.BooleanField()
    location = serializers.CharField()
    online_url = serializers.CharField()
    room = RoomWithBranchOut(allow_null=True)
    capacity = serializers.IntegerField(allow_null=True)
    effective_capacity = serializers.IntegerField(allow_null=True)
    status = serializers.CharField()
    promoted = serializers.BooleanField()
    sequence = serializers.IntegerField()
    created_by = UserBriefOut(allow_null=True)
    cohosts = UserBriefOut(many=True)
    going_count = serializers.IntegerField()
    maybe_count = serializers.IntegerField()
    waitlist_count = serializers.IntegerField()
    seats_left = serializers.IntegerField(allow_null=True)
    my_rsvp = MyRsvpOut(allow_null=True)
    can_manage = serializers.BooleanField()
    live = serializers.BooleanField()
    join_code = serializers.CharField(allow_null=True)
    join_url = serializers.CharField(allow_null=True)
    thread = serializers.IntegerField(allow_null=True)
    support_request = SupportRequestOut(allow_null=True)
    summary = SummaryStateOut(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    cancel_reason = serializers.CharField()
    finished_at = serializers.DateTimeField(allow_null=True)


class AttendeeOut(serializers.Serializer):
    name = serializers.CharField(allow_null=True)
    answer = serializers.CharField()
    position = serializers.IntegerField(allow_null=True)
    responded_at = serializers.DateTimeField()


class RsvpListOut(serializers.Serializer):
    going = AttendeeOut(many=True)
    maybe = AttendeeOut(many=True)
    not_going = AttendeeOut(many=True)
    waitlist = AttendeeOut(many=True)
