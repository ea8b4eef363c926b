from django.conf import settings
from django.db import models
from django.db.models import Q

from chat.models import Message, Thread
from groups.models import Group, Library


class Action(models.TextChoices):
    HIDE = "hide"
    UNHIDE = "unhide"
    REMOVE = "remove"
    PIN = "pin"
    UNPIN = "unpin"
    LOCK = "lock"
    UNLOCK = "unlock"
    SLOW_MODE = "slow_mode"
    MUTE = "mute"
    UNMUTE = "unmute"
    BAN = "ban"
    UNBAN = "unban"
    KICK = "kick"
    REPORT_CLAIM = "report_claim"
    REPORT_RESOLVE = "report_resolve"
    HOLD = "hold"
    APPROVE = "approve"
    REJECT = "reject"
    FILTER_BLOCK = "filter_block"
    FILTER_FLAG = "filter_flag"
    SETTINGS = "settings"
    APPEAL_DECIDE = "appeal_decide"


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):  # type: ignore[override]
        raise PermissionError("audit entries are append-only")

    def delete(self):  # type: ignore[override]
        raise PermissionError("audit entries are append-only")


class AuditEntry(models.Model):
    """One moderation action, manual or automatic. Append-only: the model refuses updates and
    deletes, and on PostgreSQL a trigger refuses them too (see migration 0002)."""

    library = models.ForeignKey(Library, on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey(Group, on_delete=models.SET_NULL, null=True, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    message = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, related_name="+")
    thread = models.ForeignKey(Thread, on_delete=models.SET_NULL, null=True, related_name="+")
    reason = models.CharField(max_length=500, blank=True)
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise PermissionError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit entries are append-only")


class SanctionKind(models.TextChoices):
    MUTE = "mute"
    BAN = "ban"


class Sanction(models.Model):
    """A mute or ban of a member: in one group, or (ban, by a librarian) in every group of a library.
    Active while not lifted and not past `ends_at`."""

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sanctions")
    kind = models.CharField(max_length=8, choices=SanctionKind.choices)
    reason = models.CharField(max_length=500, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["user", "kind"])]
        constraints = [
            models.CheckConstraint(condition=Q(kind="ban") | Q(group__isnull=False), name="mute_needs_group")
        ]


class SlowMode(models.Model):
    """One message per `seconds` per member, in a group or one thread of it; moderators exempt."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="+")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    seconds = models.PositiveIntegerField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "thread"], name="uniq_slow_mode_scope"),
            models.UniqueConstraint(
                fields=["group"], condition=Q(thread__isnull=True), name="uniq_slow_mode_group"
            ),
        ]


class ReportCategory(models.TextChoices):
    SPAM = "spam"
    INTIMIDATION = "intimidation"
    DISCRIMINATION = "discrimination"
    PRIVACY = "privacy"
    MISINFORMATION = "misinformation"
    OTHER = "other"


class ReportStatus(models.TextChoices):
    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"


class ReportOutcome(models.TextChoices):
    DISMISSED = "dismissed"
    ACTED = "acted"


class Report(models.Model):
    """A member's report of a message. The reported member never learns who reported."""

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reports")
    # None: opened automatically by the word filter.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    category = models.CharField(max_length=20, choices=ReportCategory.choices)
    note = models.CharField(max_length=1000, blank=True)
    status = models.CharField(max_length=10, choices=ReportStatus.choices, default=ReportStatus.OPEN)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(max_length=10, choices=ReportOutcome.choices, blank=True)
    outcome_note = models.CharField(max_length=1000, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["message", "reporter"], name="uniq_report_per_reporter")
        ]
        indexes = [models.Index(fields=["library", "status"])]


class FilterAction(models.TextChoices):
    BLOCK = "block"  # the sender gets an error, nothing is stored
    HOLD = "hold"  # stored, invisible to others until a moderator approves it
    FLAG = "flag"  # published, and a report is opened


class WordFilter(models.Model):
    """One entry of a library's word list: a word or phrase, matched case-insensitively as whole
    words (never as a regular expression, so no pattern can hang the matcher)."""

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="word_filters")
    phrase = models.CharField(max_length=100)
    action = models.CharField(max_length=8, choices=FilterAction.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["phrase"]
        constraints = [models.UniqueConstraint(fields=["library", "phrase"], name="uniq_word_filter")]


class LibraryModerationSettings(models.Model):
    """Per library: its community guidelines (huisregels) and the new-member hold — the first
    `new_member_messages` messages with links from accounts younger than `new_member_days` days are
    held for review (0 messages: off, the default)."""

    library = models.OneToOneField(Library, on_delete=models.CASCADE, related_name="moderation_settings")
    guidelines = models.TextField(blank=True)
    new_member_messages = models.PositiveIntegerField(default=0)
    new_member_days = models.PositiveIntegerField(default=7)
    updated_at = models.DateTimeField(auto_now=True)


class AppealStatus(models.TextChoices):
    OPEN = "open"
    UPHELD = "upheld"
    OVERTURNED = "overturned"


class Appeal(models.Model):
    """A member's one appeal against a hide, removal, rejection, mute or ban. It goes to a moderator
    other than the one who acted — or, when the library has no other, to platform staff."""

    entry = models.OneToOneField(AuditEntry, on_delete=models.PROTECT, related_name="appeal")
    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="+")
    appellant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(max_length=2000)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=12, choices=AppealStatus.choices, default=AppealStatus.OPEN)
    decision_reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
