"""REST interface of the meetup core: places, meetups, support requests, RSVPs (docs/meetups.md).
Each view: access check → one service or selector → output shape."""

from __future__ import annotations

import csv
import io

from django.http import HttpResponse
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api import validated
from backend.exceptions import NotAuthenticated, ValidationFailed
from groups.selectors import access_group, library_get

from . import selectors, services
from .models import Rsvp, RsvpAnswer
from .payloads import (
    branch_payload,
    meetup_payload,
    meetup_payloads,
    my_rsvp_payload,
    room_payload,
    support_request_payload,
)
from .serializers import (
    STATE_CHOICES,
    WHEN_CHOICES,
    ApproveInput,
    BranchInput,
    BranchOut,
    BranchUpdateInput,
    CancelInput,
    DeclineInput,
    MeetupInput,
    MeetupOut,
    MeetupUpdateInput,
    MyRsvpOut,
    RoomInput,
    RoomOut,
    RoomUpdateInput,
    RsvpInput,
    RsvpListOut,
    SupportInput,
    SupportRequestOut,
)

WHEN_PARAM = OpenApiParameter("when", str, enum=list(WHEN_CHOICES), description="upcoming (default) or past")
STATE_PARAM = OpenApiParameter("state", str, enum=STATE_CHOICES)


def _when(request: Request) -> str:
    when = request.query_params.get("when", "upcoming")
    if when not in WHEN_CHOICES:
        raise ValidationFailed(fields={"when": ["upcoming | past"]})
    return when


def _meetup_out(request: Request, meetup_id: int) -> Response:
    meetup = selectors.access_meetup(user=request.user, meetup_id=meetup_id)
    return Response(meetup_payload(meetup, viewer=request.user))


# --- places ----------------------------------------------------------------------------------------


class LibraryBranchesView(APIView):
    @extend_schema(responses=BranchOut(many=True))
    def get(self, request: Request, slug: str) -> Response:
        library = library_get(slug=slug)
        return Response([branch_payload(b) for b in selectors.branch_list(library=library)])

    @extend_schema(request=BranchInput, responses={201: BranchOut})
    def post(self, request: Request, slug: str) -> Response:
        if not request.user.is_authenticated:
            raise NotAuthenticated()
        library = library_get(slug=slug)
        data = validated(BranchInput, request)
        branch = services.branch_create(actor=request.user, library=library, **data)
        return Response(branch_payload(branch), status=status.HTTP_201_CREATED)


class BranchDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=BranchUpdateInput, responses=BranchOut)
    def patch(self, request: Request, branch_id: int) -> Response:
        branch = selectors.access_managed_branch(user=request.user, branch_id=branch_id)
        branch = services.branch_update(
            actor=request.user, branch=branch, data=validated(BranchUpdateInput, request)
        )
        return Response(branch_payload(branch))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, branch_id: int) -> Response:
        branch = selectors.access_managed_branch(user=request.user, branch_id=branch_id)
        services.branch_delete(actor=request.user, branch=branch)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BranchRoomsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=RoomInput, responses={201: RoomOut})
    def post(self, request: Request, branch_id: int) -> Response:
        branch = selectors.access_managed_branch(user=request.user, branch_id=branch_id)
        room = services.room_create(actor=request.user, branch=branch, **validated(RoomInput, request))
        return Response(room_payload(room), status=status.HTTP_201_CREATED)


class RoomDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=RoomUpdateInput, responses=RoomOut)
    def patch(self, request: Request, room_id: int) -> Response:
        room = selectors.access_managed_room(user=request.user, room_id=room_id)
        room = services.room_update(actor=request.user, room=room, data=validated(RoomUpdateInput, request))
        return Response(room_payload(room))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, room_id: int) -> Response:
        room = selectors.access_managed_room(user=request.user, room_id=room_id)
        services.room_delete(actor=request.user, room=room)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- meetups ---------------------------------------------------------------------------------------


class GroupMeetupsView(APIView):
    @extend_schema(parameters=[WHEN_PARAM], responses=MeetupOut(many=True))
    def get(self, request: Request, slug: str) -> Response:
        group = access_group(user=request.user, slug=slug)
        meetups = list(selectors.group_meetups(user=request.user, group=group, when=_when(request)))
        return Response(meetup_payloads(meetups, viewer=request.user))

    @extend_schema(request=MeetupInput, responses={201: MeetupOut})
    def post(self, request: Request, slug: str) -> Response:
        if not request.user.is_authenticated:
            raise NotAuthenticated()
        group = access_group(user=request.user, slug=slug)
        data = validated(MeetupInput, request)
        meetup = services.meetup_create(actor=request.user, group=group, data=data)
        response = _meetup_out(request, meetup.pk)
        response.status_code = status.HTTP_201_CREATED
        return response


class LibraryAgendaView(APIView):
    @extend_schema(parameters=[WHEN_PARAM], responses=MeetupOut(many=True))
    def get(self, request: Request, slug: str) -> Response:
        library = library_get(slug=slug)
        meetups = list(selectors.library_agenda(library=library, when=_when(request)))
        return Response(meetup_payloads(meetups, viewer=request.user))


class MeetupDetailView(APIView):
    @extend_schema(responses=MeetupOut)
    def get(self, request: Request, meetup_id: int) -> Response:
        return _meetup_out(request, meetup_id)

    @extend_schema(request=MeetupUpdateInput, responses=MeetupOut)
    def patch(self, request: Request, meetup_id: int) -> Response:
        if not request.user.is_authenticated:
            raise NotAuthenticated()
        meetup = selectors.access_hosted_meetup(user=request.user, meetup_id=meetup_id)
        services.meetup_update(actor=request.user, meetup=meetup, data=validated(MeetupUpdateInput, request))
        return _meetup_out(request, meetup_id)


class MeetupPublishView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=MeetupOut)
    def post(self, request: Request, meetup_id: int) -> Response:
        meetup = selectors.access_hosted_meetup(user=request.user, meetup_id=meetup_id)
        services.meetup_publish(actor=request.user, meetup=meetup)
        return _meetup_out(request, meetup_id)


class MeetupCancelView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=CancelInput, responses=MeetupOut)
    def post(self, request: Request, meetup_id: int) -> Response:
        meetup = selectors.access_hosted_meetup(user=request.user, meetup_id=meetup_id)
        data = validated(CancelInput, request)
        services.meetup_cancel(actor=request.user, meetup=meetup, reason=data["reason"])
        return _meetup_out(request, meetup_id)


# --- support requests ------------------------------------------------------------------------------


class MeetupSupportView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=SupportInput, responses={201: SupportRequestOut})
    def post(self, request: Request, meetup_id: int) -> Response:
        meetup = selectors.access_hosted_meetup(user=request.user, meetup_id=meetup_id)
        support = services.support_request_create(
            actor=request.user, meetup=meetup, **validated(SupportInput, request)
        )
        support = selectors.support_request_queryset().get(pk=support.pk)
        return Response(support_request_payload(support), status=status.HTTP_201_CREATED)


class LibrarySupportRequestsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[STATE_PARAM], responses=SupportRequestOut(many=True))
    def get(self, request: Request, slug: str) -> Response:
        library = library_get(slug=slug)
        state = request.query_params.get("state") or None
        if state is not None and state not in STATE_CHOICES:
            raise ValidationFailed(fields={"state": [" | ".join(STATE_CHOICES)]})
        requests = selectors.library_support_requests(user=request.user, library=library, state=state)
        return Response([support_request_payload(r) for r in requests])


class SupportApproveView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=ApproveInput, responses=SupportRequestOut)
    def post(self, request: Request, request_id: int) -> Response:
        support = selectors.access_support_request(user=request.user, request_id=request_id)
        data = validated(ApproveInput, request)
        services.support_request_approve(
            actor=request.user, request=support, room=data["room"], note=data["note"]
        )
        return Response(support_request_payload(selectors.support_request_queryset().get(pk=request_id)))


class SupportDeclineView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=DeclineInput, responses=SupportRequestOut)
    def post(self, request: Request, request_id: int) -> Response:
        support = selectors.access_support_request(user=request.user, request_id=request_id)
        data = validated(DeclineInput, request)
        services.support_request_decline(actor=request.user, request=support, note=data["note"])
        return Response(support_request_payload(selectors.support_request_queryset().get(pk=request_id)))


# --- RSVPs -----------------------------------------------------------------------------------------


class RsvpView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=RsvpInput, responses=MyRsvpOut)
    def put(self, request: Request, meetup_id: int) -> Response:
        meetup = selectors.access_meetup(user=request.user, meetup_id=meetup_id)
        data = validated(RsvpInput, request)
        rsvp = services.rsvp_set(actor=request.user, meetup=meetup, **data)
        return Response(my_rsvp_payload(rsvp))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, meetup_id: int) -> Response:
        meetup = selectors.access_meetup(user=request.user, meetup_id=meetup_id)
        services.rsvp_delete(actor=request.user, meetup=meetup)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _iso(value) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _attendees(rsvps: list[Rsvp]) -> dict[str, list[dict]]:
    lists: dict[str, list[dict]] = {"going": [], "maybe": [], "not_going": [], "waitlist": []}
    for rsvp in rsvps:
        key = "waitlist" if rsvp.waitlisted_at is not None else rsvp.answer
        lists[key].append(
            {
                "name": rsvp.user.display_name if rsvp.share_name else None,
                "answer": rsvp.answer,
                "position": len(lists["waitlist"]) + 1 if key == "waitlist" else None,
                "responded_at": _iso(rsvp.updated_at),
            }
        )
    return lists


class RsvpListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=RsvpListOut)
    def get(self, request: Request, meetup_id: int) -> Response:
        meetup = selectors.access_hosted_meetup(user=request.user, meetup_id=meetup_id)
        return Response(_attendees(list(selectors.rsvp_list(meetup=meetup))))


def _csv_cell(value) -> str:
    """Spreadsheets run cells that start with = + - @ (and tab, CR) as formulas: neutralise them."""
    text = "" if value is None else str(value)
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


ANSWER_LABELS = {
    RsvpAnswer.GOING: "going",
    RsvpAnswer.MAYBE: "maybe",
    RsvpAnswer.NOT_GOING: "not_going",
}


class RsvpCsvView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={(200, "text/csv"): str})
    def get(self, request: Request, meetup_id: int) -> HttpResponse:
        meetup = selectors.access_hosted_meetup(user=request.user, meetup_id=meetup_id)
        lists = _attendees(list(selectors.rsvp_list(meetup=meetup)))
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["name", "answer", "waitlist_position", "responded_at"])
        for key in ("going", "waitlist", "maybe", "not_going"):
            for row in lists[key]:
                writer.writerow(
                    [_csv_cell(row["name"]), row["answer"], row["position"] or "", row["responded_at"]]
                )
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="meetup-{meetup.pk}-rsvps.csv"'
        response["X-Content-Type-Options"] = "nosniff"
        return response


urlpatterns = [
    path("libraries/<slug:slug>/branches/", LibraryBranchesView.as_view()),
    path("branches/<int:branch_id>/", BranchDetailView.as_view()),
    path("branches/<int:branch_id>/rooms/", BranchRoomsView.as_view()),
    path("rooms/<int:room_id>/", RoomDetailView.as_view()),
    path("groups/<slug:slug>/meetups/", GroupMeetupsView.as_view()),
    path("libraries/<slug:slug>/meetups/", LibraryAgendaView.as_view()),
    path("meetups/<int:meetup_id>/", MeetupDetailView.as_view()),
    path("meetups/<int:meetup_id>/publish/", MeetupPublishView.as_view()),
    path("meetups/<int:meetup_id>/cancel/", MeetupCancelView.as_view()),
    path("meetups/<int:meetup_id>/support/", MeetupSupportView.as_view()),
    path("libraries/<slug:slug>/support-requests/", LibrarySupportRequestsView.as_view()),
    path("support-requests/<int:request_id>/approve/", SupportApproveView.as_view()),
    path("support-requests/<int:request_id>/decline/", SupportDeclineView.as_view()),
    path("meetups/<int:meetup_id>/rsvp/", RsvpView.as_view()),
    path("meetups/<int:meetup_id>/rsvps/", RsvpListView.as_view()),
    path("meetups/<int:meetup_id>/rsvps.csv", RsvpCsvView.as_view()),
]
