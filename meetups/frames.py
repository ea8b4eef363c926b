"""The question frames of the live protocol (docs/meetups.md): for each type, the synchronous work
the consumer runs — the access check, then one service — and its input serializer. Answers come
as `meetup.question` events; errors as typed `error` frames (the consumer does that)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework import serializers

from . import questions
from .models import QuestionState
from .selectors import access_meetup


class QuestionAskInput(serializers.Serializer):
    meetup = serializers.IntegerField(min_value=1)
    # Length and emptiness are checked by the service (typed `question_too_long`, `question_empty`).
    body = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=10_000)


class QuestionBodyInput(serializers.Serializer):
    body = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=10_000)


class QuestionVoteInput(serializers.Serializer):
    question = serializers.IntegerField(min_value=1)
    vote = serializers.BooleanField()


class QuestionStateBodyInput(serializers.Serializer):
    state = serializers.ChoiceField(choices=QuestionState.choices)


class QuestionStateInput(QuestionStateBodyInput):
    question = serializers.IntegerField(min_value=1)


def _ask(*, user, meetup: int, body: str) -> None:
    questions.question_ask(actor=user, meetup=access_meetup(user=user, meetup_id=meetup), body=body)


def _vote(*, user, question: int, vote: bool) -> None:
    target = questions.access_question(user=user, question_id=question)
    questions.question_vote(actor=user, question=target, vote=vote)


def _state(*, user, question: int, state: str) -> None:
    target = questions.access_question(user=user, question_id=question)
    questions.question_set_state(actor=user, question=target, state=state)


QUESTION_FRAMES: dict[str, tuple[Callable[..., Any], type]] = {
    "question.ask": (_ask, QuestionAskInput),
    "question.vote": (_vote, QuestionVoteInput),
    "question.state": (_state, QuestionStateInput),
}
