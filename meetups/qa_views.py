"""REST for questions and votes, finishing a meetup and its summary (docs/meetups.md). Each view:
access check → one service or selector → output shape."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api import validated
from backend.exceptions import NotFound
from chat.serializers import UserBriefOut
from groups.selectors import access_group

from . import capture, questions
from .frames import QuestionBodyInput, QuestionStateBodyInput
from .selectors import access_hosted_meetup, access_meetup, is_guest, meetup_queryset

# --- output shapes, for the OpenAPI schema ---------------------------------------------------------


class QuestionOut(serializers.Serializer):
    id = serializers.IntegerField()
    meetup = serializers.IntegerField()
    body = serializers.CharField()
    author = UserBriefOut()
    votes = serializers.IntegerField()
    voted = serializers.BooleanField()
    state = serializers.ChoiceField(choices=["open", "answering", "answered"])
    created_at = serializers.DateTimeField()
    answered_at = serializers.DateTimeField(allow_null=True)
    hidden = serializers.BooleanField(help_text="Only moderators see hidden questions (marked).")


class SummaryBodyInput(serializers.Serializer):
    body = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=100_000)


class SummaryOut(serializers.Serializer):
    meetup = serializers.IntegerField()
    body = serializers.CharField()
    html = serializers.CharField()
    facts = serializers.JSONField()
    state = serializers.ChoiceField(choices=["draft", "published"])
    published_at = serializers.DateTimeField(allow_null=True)
    published_by = UserBriefOut(allow_null=True)


class SummaryMeetupOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    starts_at = serializers.DateTimeField()
    thread = serializers.IntegerField(allow_null=True)


class SummaryListItemOut(SummaryOut):
    meetup = SummaryMeetupOut()  # type: ignore[assignment]


def _question(request: Request, question) -> dict:
    return questions.question_payload(
        question, voted=questions.has_voted(question=question, user=request.user)
    )


# --- questions -------------------------------------------------------------------------------------


class MeetupQuestionsView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses=QuestionOut(many=True))
    def get(self, request: Request, meetup_id: int) -> Response:
        meetup = access_meetup(user=request.user, meetup_id=meetup_id)
        return Response(questions.question_list(meetup=meetup, viewer=request.user))

    @extend_schema(request=QuestionBodyInput, responses={201: QuestionOut})
    def post(self, request: Request, meetup_id: int) -> Response:
        meetup = access_meetup(user=request.user, meetup_id=meetup_id)
        data = validated(QuestionBodyInput, request)
        question = questions.question_ask(actor=request.user, meetup=meetup, body=data["body"])
        return Response(_question(request, question), status=status.HTTP_201_CREATED)


class QuestionVoteView(APIView):
    permission_classes = [IsAuthenticated]

    def _vote(self, request: Request, question_id: int, vote: bool) -> Response:
        question = questions.access_question(user=request.user, question_id=question_id)
        question = questions.question_vote(actor=request.user, question=question, vote=vote)
        return Response(questions.question_payload(question, voted=vote))

    @extend_schema(request=None, responses=QuestionOut)
    def put(self, request: Request, question_id: int) -> Response:
        return self._vote(request, question_id, True)

    @extend_schema(request=None, responses={200: QuestionOut})  # the question's new count, not a 204
    def delete(self, request: Request, question_id: int) -> Response:
        return self._vote(request, question_id, False)


class QuestionStateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=QuestionStateBodyInput, responses=QuestionOut)
    def post(self, request: Request, question_id: int) -> Response:
        question = questions.access_question(user=request.user, question_id=question_id)
        data = validated(QuestionStateBodyInput, request)
        question = questions.question_set_state(actor=request.user, question=question, state=data["state"])
        return Response(_question(request, question))


class QuestionDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, question_id: int) -> Response:
        question = questions.access_question(user=request.user, question_id=question_id)
        questions.question_hide(actor=request.user, question=question)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- finishing and the summary ---------------------------------------------------------------------


class MeetupFinishView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT, description="→ Meetup (finished)")
    def post(self, request: Request, meetup_id: int) -> Response:
        from .payloads import meetup_payload

        meetup = access_hosted_meetup(user=request.user, meetup_id=meetup_id)
        capture.meetup_finish(meetup=meetup, actor=request.user)
        meetup = meetup_queryset().get(pk=meetup.pk)
        return Response(meetup_payload(meetup, viewer=request.user))


class MeetupSummaryView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses=SummaryOut)
    def get(self, request: Request, meetup_id: int) -> Response:
        meetup = access_meetup(user=request.user, meetup_id=meetup_id)
        return Response(capture.summary_payload(capture.access_summary(user=request.user, meetup=meetup)))

    @extend_schema(request=SummaryBodyInput, responses=SummaryOut)
    def patch(self, request: Request, meetup_id: int) -> Response:
        meetup = access_hosted_meetup(user=request.user, meetup_id=meetup_id)
        summary = capture.access_summary(user=request.user, meetup=meetup)
        data = validated(SummaryBodyInput, request)
        summary = capture.summary_edit(actor=request.user, summary=summary, body=data["body"])
        return Response(capture.summary_payload(summary))


class MeetupSummaryPublishView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=SummaryOut)
    def post(self, request: Request, meetup_id: int) -> Response:
        meetup = access_hosted_meetup(user=request.user, meetup_id=meetup_id)
        summary = capture.access_summary(user=request.user, meetup=meetup)
        summary = capture.summary_publish(actor=request.user, summary=summary)
        return Response(capture.summary_payload(summary))


class GroupSummariesView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses=SummaryListItemOut(many=True))
    def get(self, request: Request, slug: str) -> Response:
        if is_guest(request.user):
            raise NotFound()  # guests see only their meetup
        group = access_group(user=request.user, slug=slug)
        return Response([capture.summary_list_payload(s) for s in capture.group_summaries(group=group)])
