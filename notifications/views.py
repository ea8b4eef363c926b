"""REST interface of the in-app inbox: the member's own notifications only."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api import validated

from . import selectors, services
from .payloads import notification_payload
from .serializers import MarkReadInput, NotificationListOut, UnreadOut


class NotificationListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=NotificationListOut)
    def get(self, request: Request) -> Response:
        items = selectors.notification_list(user=request.user)
        language = request.user.language
        return Response(
            {
                "unread": selectors.unread_count(user_id=request.user.pk),
                "results": [notification_payload(n, language=language) for n in items],
            }
        )


class NotificationReadView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=MarkReadInput, responses=UnreadOut)
    def post(self, request: Request) -> Response:
        selectors.ensure_inbox_user(request.user)
        data = validated(MarkReadInput, request)
        unread = services.notifications_mark_read(
            actor=request.user, ids=data.get("ids"), all=bool(data.get("all"))
        )
        return Response({"unread": unread})
