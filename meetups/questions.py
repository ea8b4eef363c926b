"""Questions at a meetup, and votes on them (docs/meetups.md, "Questions").

Participants (members who may post in the group, and the meetup's guests) ask while the meetup is
published; everyone votes once per question; hosts move a question between `open`, `answering` (the
spotlight: at most one per meetup, kept in `Meetup.spotlight`) and `answered`. Spotlighting a
question moves the previous spotlight to `answered` (it was being answered); moving the spotlight
back to `open` clears it. The author or a moderator hides a question. Every change records a
sequenced `meetup.question` group event `{meetup: id, question: Question}` (`voted` false).

Concurrency: a vote locks the question row, writes or deletes the vote (unique per participant),
and recounts inside the lock — so `vote_count` equals the number of votes however many arrive at
once. State changes lock the meetup row, so two hosts cannot spotlight two questions.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from backend.exceptions import DomainError, NotFound, PermissionDenied
from chat.events import user_brief
from chat.services import ensure_may_send, group_event_publish
from groups.selectors import AnyUser
from moderation.selectors import is_moderator

from .models import Meetup, MeetupStatus, Question, QuestionState, QuestionVote
from .selectors import can_host, meetup_queryset, visible_meetups_q

QUESTION_MAX_CHARS = 500


class QuestionsClosed(DomainError):
    code = "questions_closed"
    status_code = 409
    default_message = _("Questions can only be asked and voted on while the meetup has not ended.")


class QuestionEmpty(DomainError):
    code = "question_empty"
    default_message = _("Write a question first.")


class QuestionTooLong(DomainError):
    code = "question_too_long"
    default_message = _("A question can be at most %(limit)s characters long.")

    def __init__(self) -> None:
        super().__init__(self.default_message % {"limit": QUESTION_MAX_CHARS}, limit=QUESTION_MAX_CHARS)


class InvalidQuestionState(DomainError):
    code = "invalid_question_state"
    default_message = _("A question is open, being answered or answered.")


def _iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def question_payload(question: Question, *, voted: bool = False) -> dict[str, Any]:
    """The `Question` shape. `hidden` marks a question a moderator sees after it was hidden; the
    broadcast of a hide carries no body."""
    hidden = question.hidden_at is not None
    return {
        "id": question.pk,
        "meetup": question.meetup_id,
        "body": question.body,
        "author": user_brief(question.author),
        "votes": question.vote_count,
        "voted": voted,
        "state": question.state,
        "created_at": _iso(question.created_at),
        "answered_at": _iso(question.answered_at),
        "hidden": hidden,
    }


def _state_rank(question: Question) -> int:
    return {QuestionState.ANSWERING: 0, QuestionState.OPEN: 1, QuestionState.ANSWERED: 2}[question.state]


def sort_key(question: Question) -> tuple:
    """The spotlight first, then open ones by votes (then oldest first), answered ones last."""
    return (_state_rank(question), -question.vote_count, question.created_at, question.pk)


def question_list(*, meetup: Meetup, viewer: AnyUser) -> list[dict[str, Any]]:
    """The meetup's questions in order, as the viewer sees them (hidden ones only for moderators,
    marked). Precondition: `meetup` came from access_meetup for `viewer`."""
    qs = Question.objects.filter(meetup=meetup).select_related("author")
    if not is_moderator(viewer, meetup.group):
        qs = qs.filter(hidden_at__isnull=True)
    questions = sorted(qs, key=sort_key)
    voted: set[int] = set()
    if viewer.is_authenticated:
        voted = set(
            QuestionVote.objects.filter(question__meetup=meetup, user=viewer).values_list(
                "question_id", flat=True
            )
        )
    return [question_payload(q, voted=q.pk in voted) for q in questions]


def spotlight_payload(*, meetup: Meetup, viewer: AnyUser) -> dict[str, Any] | None:
    """The question being answered now, or None."""
    question = (
        Question.objects.filter(meetup=meetup, state=QuestionState.ANSWERING, hidden_at__isnull=True)
        .select_related("author")
        .first()
    )
    if question is None:
        return None
    voted = viewer.is_authenticated and QuestionVote.objects.filter(question=question, user=viewer).exists()
    return question_payload(question, voted=bool(voted))


def has_voted(*, question: Question, user: AnyUser) -> bool:
    return bool(user.is_authenticated and QuestionVote.objects.filter(question=question, user=user).exists())


def access_question(*, user: AnyUser, question_id: int) -> Question:
    """A question of a meetup the user may see; a hidden one only for moderators. Else NotFound."""
    question = (
        Question.objects.select_related("author", "meetup")
        .filter(pk=question_id, meetup__in=Meetup.objects.filter(visible_meetups_q(user)))
        .first()
    )
    if question is None:
        raise NotFound()
    question.meetup = meetup_queryset().get(pk=question.meetup_id)
    if question.hidden_at is not None and not is_moderator(user, question.meetup.group):
        raise NotFound()
    return question


def _publish(question: Question) -> int:
    meetup = question.meetup
    payload = question_payload(question, voted=False)
    if question.hidden_at is not None:
        payload["body"] = ""  # withheld from everyone but moderators
    return group_event_publish(
        group=meetup.group, event_type="meetup.question", payload={"meetup": meetup.pk, "question": payload}
    )


def _ensure_open(meetup: Meetup) -> None:
    if meetup.status != MeetupStatus.PUBLISHED or meetup.thread_id is None:
        raise QuestionsClosed()


@transaction.atomic
def question_ask(*, actor: User, meetup: Meetup, body: str) -> Question:
    """Precondition: `meetup` came from access_meetup for `actor`."""
    _ensure_open(meetup)
    ensure_may_send(author=actor, group=meetup.group, thread=meetup.thread, new_message=True)
    if len(body) > QUESTION_MAX_CHARS:
        raise QuestionTooLong()
    body = body.strip()
    if not body:
        raise QuestionEmpty()
    from chat.services import check_rate_limit

    check_rate_limit(user=actor)
    question = Question.objects.create(meetup=meetup, author=actor, body=body)
    question.meetup = meetup
    _publish(question)
    return question


def question_vote(*, actor: User, question: Question, vote: bool) -> Question:
    """Vote (or take the vote back); idempotent. Precondition: from access_question."""
    meetup = question.meetup
    _ensure_open(meetup)
    ensure_may_send(author=actor, group=meetup.group, thread=meetup.thread, new_message=False)
    with transaction.atomic():
        locked = Question.objects.select_for_update().select_related("author").get(pk=question.pk)
        locked.meetup = meetup
        if vote:
            _created, changed = QuestionVote.objects.get_or_create(question=locked, user=actor)
        else:
            changed = QuestionVote.objects.filter(question=locked, user=actor).delete()[0] > 0
        if changed:
            locked.vote_count = QuestionVote.objects.filter(question=locked).count()
            locked.save(update_fields=["vote_count"])
            _publish(locked)
    return locked


@transaction.atomic
def question_set_state(*, actor: User, question: Question, state: str) -> Question:
    """Hosts: open, answering (the spotlight) or answered. Precondition: from access_question."""
    if state not in QuestionState.values:
        raise InvalidQuestionState()
    if not can_host(actor, question.meetup):
        raise PermissionDenied()
    meetup = Meetup.objects.select_for_update().get(pk=question.meetup_id)
    meetup_obj = question.meetup
    locked = Question.objects.select_for_update().select_related("author").get(pk=question.pk)
    locked.meetup = meetup_obj
    if locked.hidden_at is not None and state == QuestionState.ANSWERING:
        raise NotFound()  # a hidden question cannot take the spotlight
    if locked.state == state:
        return locked
    now = timezone.now()
    if state == QuestionState.ANSWERING:
        for previous in (
            Question.objects.select_for_update()
            .select_related("author")
            .filter(meetup_id=meetup.pk, state=QuestionState.ANSWERING)
            .exclude(pk=locked.pk)
        ):
            previous.state = QuestionState.ANSWERED
            previous.answered_at = now
            previous.save(update_fields=["state", "answered_at"])
            previous.meetup = meetup_obj
            _publish(previous)
        meetup.spotlight = locked
    elif meetup.spotlight_id == locked.pk:
        meetup.spotlight = None
    meetup.save(update_fields=["spotlight", "updated_at"])
    meetup_obj.spotlight_id = meetup.spotlight_id
    locked.state = state
    locked.answered_at = now if state == QuestionState.ANSWERED else None
    locked.save(update_fields=["state", "answered_at"])
    _publish(locked)
    return locked


@transaction.atomic
def question_hide(*, actor: User, question: Question) -> None:
    """Its author or a moderator hides a question (withheld from everyone but moderators)."""
    meetup_obj = question.meetup
    if actor.pk != question.author_id and not is_moderator(actor, meetup_obj.group):
        raise PermissionDenied()
    meetup = Meetup.objects.select_for_update().get(pk=question.meetup_id)
    locked = Question.objects.select_for_update().select_related("author").get(pk=question.pk)
    locked.meetup = meetup_obj
    if locked.hidden_at is not None:
        return
    locked.hidden_at = timezone.now()
    fields = ["hidden_at"]
    if locked.state == QuestionState.ANSWERING:
        locked.state = QuestionState.OPEN
        fields.append("state")
    locked.save(update_fields=fields)
    if meetup.spotlight_id == locked.pk:
        meetup.spotlight = None
        meetup.save(update_fields=["spotlight", "updated_at"])
    _publish(locked)
