"""REST for live mode, the QR code, joining by code and the live snapshot (docs/meetups.md,
"Live mode, guests, questions"). Each view: access check → one service or selector → output."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api import validated
from chat.serializers import UserBriefOut

from . import live
from .payloads import meetup_payload

# --- shapes ----------------------------------------------------------------------------------------


class DisplayNameInput(serializers.Serializer):
    display_name = serializers.CharField(min_length=1, max_length=60, trim_whitespace=True)


class JoinGroupOut(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class JoinMeetupOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    group = JoinGroupOut()


class JoinInfoOut(serializers.Serializer):
    meetup = JoinMeetupOut()
    live = serializers.BooleanField()


class JoinedOut(JoinInfoOut):
    thread = serializers.IntegerField(allow_null=True)
    group = JoinGroupOut()
    guest = serializers.BooleanField(help_text="A guest account was made (or is used) for this meetup.")
    can_post = serializers.BooleanField()
    user = UserBriefOut()
    signup_url = serializers.CharField(help_text="Where a guest can make an account.")


class LiveSnapshotOut(serializers.Serializer):
    meetup = serializers.JSONField(help_text="Meetup")
    questions = serializers.JSONField(help_text="[Question], sorted")
    spotlight = serializers.JSONField(allow_null=True, help_text="Question | null")
    participants = serializers.IntegerField()


# --- views -----------------------------------------------------------------------------------------


class LiveStartView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT, summary="Start live mode (hosts)")
    def post(self, request: Request, meetup_id: int) -> Response:
        meetup = live.live_start(actor=request.user, meetup_id=meetup_id)
        return Response(meetup_payload(meetup, viewer=request.user))


class LiveEndView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT, summary="End live mode (hosts)")
    def post(self, request: Request, meetup_id: int) -> Response:
        meetup = live.live_end_by(actor=request.user, meetup_id=meetup_id)
        return Response(meetup_payload(meetup, viewer=request.user))


class MeetupQrView(APIView):
    guest_access = True  # the guest's own meetup only (access_meetup)

    @extend_schema(responses={(200, "image/svg+xml"): OpenApiTypes.BINARY}, summary="QR code of the join URL")
    def get(self, request: Request, meetup_id: int) -> HttpResponse:
        meetup = live.access_qr_meetup(user=request.user, meetup_id=meetup_id)
        svg = live.qr_svg(url=request.build_absolute_uri(f"/m/{meetup.join_code}"))
        response = HttpResponse(svg, content_type="image/svg+xml")
        response["Cache-Control"] = "private, no-store"
        return response


class LiveSnapshotView(APIView):
    guest_access = True  # the guest's own meetup only (access_meetup)

    @extend_schema(responses=LiveSnapshotOut, summary="The live wall: meetup, questions, spotlight")
    def get(self, request: Request, meetup_id: int) -> Response:
        return Response(live.live_snapshot(user=request.user, meetup_id=meetup_id))


def _client_address(request: Request) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"


class JoinView(APIView):
    guest_access = True  # a guest of one meetup may join another by its code
    throttle_classes: list = []  # join_rate_check counts every attempt per address instead

    @extend_schema(responses=JoinInfoOut, summary="What a join code opens (anyone)")
    def get(self, request: Request, code: str) -> Response:
        live.join_rate_check(_client_address(request))
        return Response(live.join_brief(live.meetup_for_code(code=code)))

    @extend_schema(request=DisplayNameInput, responses=JoinedOut, summary="Join a live meetup by its code")
    def post(self, request: Request, code: str) -> Response:
        live.join_rate_check(_client_address(request))
        live.meetup_for_code(code=code)  # a wrong or expired code answers before the name is checked
        display_name = validated(DisplayNameInput, request)["display_name"]
        result = live.join(request=request._request, code=code, display_name=display_name)
        meetup = result.meetup
        return Response(
            {
                **live.join_brief(meetup),
                "thread": meetup.thread_id,
                "group": {"slug": meetup.group.slug, "name": meetup.group.name},
                "guest": result.guest,
                "can_post": result.can_post,
                "user": {"id": result.user.pk, "display_name": result.user.display_name},
                "signup_url": live.SIGNUP_URL,
            }
        )
