"""REST interface for threads and messages. Sending here is the same service as `message.send` on
the WebSocket, with the same live broadcast."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api import validated
from backend.exceptions import ValidationFailed
from groups.selectors import access_group
from moderation.selectors import is_moderator

from . import selectors, services
from .events import full_view, message_payload, redact, thread_payload
from .serializers import (
    EmojiInput,
    GroupEventsOut,
    MessageBodyInput,
    MessageOut,
    MessagePageOut,
    MessagePostInput,
    ReadOut,
    SeqInput,
    ThreadCreateInput,
    ThreadOut,
)

AFTER_SEQ = OpenApiParameter("after_seq", int, description="catch-up: changes/messages after this seq")


MSG_WHOLE_NUMBER = _("Enter a whole number of 0 or more.")


def _after_seq(request: Request) -> int | None:
    raw = request.query_params.get("after_seq")
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError as exc:
        raise ValidationFailed(fields={"after_seq": [str(MSG_WHOLE_NUMBER)]}) from exc
    if value < 0:
        raise ValidationFailed(fields={"after_seq": [str(MSG_WHOLE_NUMBER)]})
    return value


def _threads_data(user, threads, group_slug: str) -> list[dict]:
    unread = selectors.thread_unread_counts(user=user, thread_ids=[t.pk for t in threads])
    return [{**thread_payload(t, group_slug=group_slug), "unread": unread.get(t.pk, 0)} for t in threads]


def _viewer_payload(request: Request, message) -> dict:
    """A single message as this viewer sees it (moderators and the author of a held one: in full)."""
    full = full_view(message, moderator=is_moderator(request.user, message.group), viewer_id=request.user.pk)
    return message_payload(message, group_slug=message.group.slug, full=full)


class MessagePagination(CursorPagination):
    ordering = "-seq"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class _ThreadMessages:
    """A thread's messages as CursorPagination reads them — `order_by` (by seq either way),
    `filter` on a cursor's seq position, then one slice — answered by selectors.message_page in
    one plain statement. DRF keeps the cursors, links and page logic; the ORM built the same
    page with its prefetches in ~5 ms of CPU (docs/performance.md, History)."""

    def __init__(self, thread, *, newest_first: bool = True, bounds: dict | None = None) -> None:
        self.thread, self.newest_first, self.bounds = thread, newest_first, bounds or {}

    def order_by(self, *ordering: str) -> _ThreadMessages:
        if ordering not in (("-seq",), ("seq",)):
            raise ValueError(f"messages are paged by seq, not {ordering}")
        return _ThreadMessages(self.thread, newest_first=ordering == ("-seq",), bounds=self.bounds)

    def filter(self, **bound) -> _ThreadMessages:
        names = {"seq__lt": "below", "seq__gt": "above"}
        if not set(bound) <= set(names):
            raise ValueError(f"messages are paged by seq, not {sorted(bound)}")
        bounds = {**self.bounds, **{names[k]: v for k, v in bound.items()}}
        return _ThreadMessages(self.thread, newest_first=self.newest_first, bounds=bounds)

    def __getitem__(self, page: slice) -> list:
        start = page.start or 0
        return selectors.message_page(
            thread=self.thread,
            newest_first=self.newest_first,
            offset=start,
            limit=page.stop - start,
            **self.bounds,
        )


class ThreadListView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]  # anyone reads public groups; writes need an account

    @extend_schema(responses=ThreadOut(many=True))
    def get(self, request: Request, slug: str) -> Response:
        group = access_group(user=request.user, slug=slug)
        threads = list(selectors.thread_list(group=group))
        return Response(_threads_data(request.user, threads, group.slug))

    @extend_schema(request=ThreadCreateInput, responses={201: ThreadOut})
    def post(self, request: Request, slug: str) -> Response:
        group = access_group(user=request.user, slug=slug)
        thread = services.thread_create(
            actor=request.user, group=group, **validated(ThreadCreateInput, request)
        )
        return Response(_threads_data(request.user, [thread], group.slug)[0], status=status.HTTP_201_CREATED)


class GroupEventsView(APIView):
    @extend_schema(parameters=[AFTER_SEQ], responses=GroupEventsOut)
    def get(self, request: Request, slug: str) -> Response:
        group = access_group(user=request.user, slug=slug)
        after_seq = _after_seq(request)
        catch_up = selectors.group_events_after(
            group=group, after_seq=group.last_seq if after_seq is None else after_seq
        )
        moderator = is_moderator(request.user, group)
        return Response(
            {
                "group": group.slug,
                "last_seq": catch_up.last_seq,
                "resync_required": catch_up.resync_required,
                "events": [
                    redact(e, moderator=moderator, viewer_id=request.user.pk) for e in catch_up.events
                ],
            }
        )


class ThreadDetailView(APIView):
    @extend_schema(responses=ThreadOut)
    def get(self, request: Request, thread_id: int) -> Response:
        thread = selectors.access_thread(user=request.user, thread_id=thread_id)
        return Response(_threads_data(request.user, [thread], thread.group.slug)[0])


class ThreadMessagesView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(parameters=[AFTER_SEQ], responses=MessagePageOut)
    def get(self, request: Request, thread_id: int) -> Response:
        read = selectors.access_thread_to_read(user=request.user, thread_id=thread_id)
        thread, slug = read.thread, read.thread.group.slug
        full = read.moderator  # moderators see hidden text, marked
        after_seq = _after_seq(request)
        if after_seq is not None:
            limit = settings.KENNISCLOUD["CATCH_UP_LIMIT"]
            messages = selectors.messages_after(thread=thread, after_seq=after_seq, limit=limit)
            return Response(
                {
                    "results": [
                        message_payload(
                            m, group_slug=slug, full=full_view(m, moderator=full, viewer_id=request.user.pk)
                        )
                        for m in messages
                    ],
                    "complete": len(messages) < limit,
                }
            )
        paginator = MessagePagination()
        page = paginator.paginate_queryset(_ThreadMessages(thread), request, view=self)
        return paginator.get_paginated_response(
            [
                message_payload(
                    m, group_slug=slug, full=full_view(m, moderator=full, viewer_id=request.user.pk)
                )
                for m in page
            ]
        )

    @extend_schema(request=MessagePostInput, responses={201: MessageOut, 200: MessageOut})
    def post(self, request: Request, thread_id: int) -> Response:
        thread = selectors.access_thread(user=request.user, thread_id=thread_id)
        result = services.message_send(
            author=request.user, thread=thread, **validated(MessagePostInput, request)
        )
        return Response(
            message_payload(
                result.message,
                group_slug=thread.group.slug,
                full=full_view(result.message, moderator=False, viewer_id=request.user.pk),
            ),
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


class ThreadReadView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=SeqInput, responses=ReadOut)
    def post(self, request: Request, thread_id: int) -> Response:
        thread = selectors.access_thread(user=request.user, thread_id=thread_id)
        count = services.thread_mark_read(actor=request.user, thread=thread, **validated(SeqInput, request))
        return Response({"thread": thread.pk, "unread": count})


class MessageDetailView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses=MessageOut)
    def get(self, request: Request, message_id: int) -> Response:
        message = selectors.access_message(user=request.user, message_id=message_id)
        full = is_moderator(request.user, message.group)
        full = full_view(message, moderator=full, viewer_id=request.user.pk)
        return Response(message_payload(message, group_slug=message.group.slug, full=full))

    @extend_schema(request=MessageBodyInput, responses=MessageOut)
    def patch(self, request: Request, message_id: int) -> Response:
        message = selectors.access_message(user=request.user, message_id=message_id)
        message = services.message_edit(
            actor=request.user, message=message, **validated(MessageBodyInput, request)
        )
        return Response(_viewer_payload(request, message))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, message_id: int) -> Response:
        message = selectors.access_message(user=request.user, message_id=message_id)
        services.message_delete(actor=request.user, message=message)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReactionsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=EmojiInput, responses=MessageOut)
    def post(self, request: Request, message_id: int) -> Response:
        message = selectors.access_message(user=request.user, message_id=message_id)
        message = services.reaction_add(actor=request.user, message=message, **validated(EmojiInput, request))
        return Response(_viewer_payload(request, message))


class ReactionDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: MessageOut})  # the message without the reaction, not a 204
    def delete(self, request: Request, message_id: int, emoji: str) -> Response:
        message = selectors.access_message(user=request.user, message_id=message_id)
        message = services.reaction_remove(actor=request.user, message=message, emoji=emoji)
        return Response(_viewer_payload(request, message))
