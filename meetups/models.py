"""Meetups in the library: places (branches, rooms), meetups with RSVPs and a waiting list, support
requests to the library, live mode (join code, guests, questions and votes) and the knowledge
summary a meetup leaves behind. See docs/meetups.md."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chat.models import Thread
from groups.models import Group, Library

# --- places ----------------------------------------------------------------------------------------


class Branch(models.Model):
    """A building of a library (vestiging)."""

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="branches")
    name = models.CharField(_("name"), max_length=120)
    address = models.CharField(_("address"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["library", "name"], name="uniq_branch_name")]

    def __str__(self) -> str:
        return self.name


class Room(models.Model):
    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(_("name"), max_length=120)
    capacity = models.PositiveIntegerField(_("capacity"))
    accessibility = models.TextField(_("accessibility notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["branch", "name"], name="uniq_room_name")]

    def __str__(self) -> str:
        return self.name


# --- meetups ---------------------------------------------------------------------------------------


class MeetupStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    REQUESTED = "requested", _("requested")  # waiting for the library's approval
    PUBLISHED = "published", _("published")  # approved (when a library room is used) and announced
    CANCELLED = "cancelled", _("cancelled")
    FINISHED = "finished", _("finished")


class Meetup(models.Model):
    """A meetup of a group. Times are stored in UTC and shown in Europe/Amsterdam.

    `sequence` is the iCalendar SEQUENCE: raised on every change a calendar app must notice.
    `thread` is the meetup's live conversation in its group (created on publication).
    """

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="meetups")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    in_person = models.BooleanField(default=True)  # in a room (of the library, or `location`)
    online = models.BooleanField(default=False)  # online too (or only): hybrid when both
    location = models.CharField(_("location"), max_length=300, blank=True)  # when not a library room
    online_url = models.URLField(_("online link"), max_length=500, blank=True)
    room = models.ForeignKey(Room, on_delete=models.PROTECT, null=True, blank=True, related_name="meetups")
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)  # None: unlimited
    status = models.CharField(max_length=12, choices=MeetupStatus.choices, default=MeetupStatus.DRAFT)
    promoted = models.BooleanField(default=False)  # the library promotes it (approved request)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    cohosts = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="cohosted_meetups")
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)  # iCalendar UID
    sequence = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=500, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    thread = models.OneToOneField(
        Thread, on_delete=models.SET_NULL, null=True, blank=True, related_name="meetup"
    )
    # Live mode: a short code (and QR code) that opens the conversation on a phone.
    live_started_at = models.DateTimeField(null=True, blank=True)
    live_ended_at = models.DateTimeField(null=True, blank=True)
    join_code = models.CharField(max_length=8, null=True, blank=True, unique=True)
    spotlight = models.ForeignKey(
        "Question", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reminders_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="meetup_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "requested", "published", "cancelled", "finished"]),
                name="meetup_status_valid",
            ),
            models.CheckConstraint(condition=Q(in_person=True) | Q(online=True), name="meetup_has_a_place"),
        ]
        indexes = [
            models.Index(fields=["group", "starts_at"]),
            models.Index(fields=["status", "starts_at"]),
            models.Index(fields=["room", "starts_at"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_hybrid(self) -> bool:
        return self.in_person and self.online


class SupportState(models.TextChoices):
    PENDING = "pending", _("pending")
    APPROVED = "approved", _("approved")
    DECLINED = "declined", _("declined")
    WITHDRAWN = "withdrawn", _("withdrawn")


class SupportRequest(models.Model):
    """A host asks the library for a room, promotion through its channels, and/or help."""

    meetup = models.ForeignKey(Meetup, on_delete=models.CASCADE, related_name="support_requests")
    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="support_requests")
    wants_room = models.BooleanField(default=False)
    preferred_branch = models.ForeignKey(
        Branch, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    wants_promotion = models.BooleanField(default=False)
    help = models.TextField(blank=True)
    state = models.CharField(max_length=10, choices=SupportState.choices, default=SupportState.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)  # the librarian's note with the decision

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            # At most one open request per meetup.
            models.UniqueConstraint(
                fields=["meetup"], condition=Q(state="pending"), name="uniq_pending_support_request"
            ),
            models.CheckConstraint(
                condition=Q(wants_room=True) | Q(wants_promotion=True) | ~Q(help=""),
                name="support_request_asks_something",
            ),
        ]
        indexes = [models.Index(fields=["library", "state", "created_at"])]


class RsvpAnswer(models.TextChoices):
    GOING = "going", _("going")
    MAYBE = "maybe", _("maybe")
    NOT_GOING = "not_going", _("not going")


class Rsvp(models.Model):
    """A member's answer. `waitlisted` answers of "going" hold no seat; they are promoted in
    `updated_at` order of joining the list (`waitlisted_at`) when a seat frees up."""

    meetup = models.ForeignKey(Meetup, on_delete=models.CASCADE, related_name="rsvps")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rsvps")
    answer = models.CharField(max_length=10, choices=RsvpAnswer.choices)
    waitlisted_at = models.DateTimeField(null=True, blank=True)
    # Whether the participant's display name may appear in the host's list and export.
    share_name = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meetup", "user"], name="uniq_rsvp"),
            models.CheckConstraint(
                condition=Q(waitlisted_at__isnull=True) | Q(answer="going"), name="rsvp_waitlist_only_going"
            ),
        ]
        indexes = [models.Index(fields=["meetup", "answer", "waitlisted_at"])]

    @property
    def has_seat(self) -> bool:
        return self.answer == RsvpAnswer.GOING and self.waitlisted_at is None


# --- live mode -------------------------------------------------------------------------------------

JOIN_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def new_join_code(length: int = 6) -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(length))


class Guest(models.Model):
    """A visitor who joined a meetup's live conversation by its code, with a display name only.

    The guest is a `User` with `is_guest` set and no usable password or e-mail; it may read and write
    only in `meetup.thread`, until `expires_at`."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="guest_pass")
    meetup = models.ForeignKey(Meetup, on_delete=models.CASCADE, related_name="guests")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()


class QuestionState(models.TextChoices):
    OPEN = "open", _("open")
    ANSWERING = "answering", _("now answering")
    ANSWERED = "answered", _("answered")


class Question(models.Model):
    meetup = models.ForeignKey(Meetup, on_delete=models.CASCADE, related_name="questions")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    body = models.CharField(max_length=500)
    state = models.CharField(max_length=10, choices=QuestionState.choices, default=QuestionState.OPEN)
    vote_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # Moderation: a hidden question is withheld from everyone but moderators.
    hidden_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["open", "answering", "answered"]), name="question_state_valid"
            ),
        ]
        indexes = [models.Index(fields=["meetup", "-vote_count", "created_at"])]


class QuestionVote(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["question", "user"], name="uniq_question_vote")]


# --- what it leaves behind -------------------------------------------------------------------------


class SummaryState(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")


class Summary(models.Model):
    """The knowledge summary: drafted when the meetup finishes, edited (markdown) and published by a
    host. `facts` is what the draft was generated from (counts, questions, resources, pins)."""

    meetup = models.OneToOneField(Meetup, on_delete=models.CASCADE, related_name="summary")
    body = models.TextField()
    html = models.TextField()
    facts = models.JSONField(default=dict)
    state = models.CharField(max_length=10, choices=SummaryState.choices, default=SummaryState.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )


# --- reach -----------------------------------------------------------------------------------------


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarToken(models.Model):
    """The secret in a member's private calendar feed URL. Revoking replaces it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_token"
    )
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(auto_now_add=True)
