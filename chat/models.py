from django.conf import settings
from django.db import models
from django.db.models import Q

from groups.models import Group


class Thread(models.Model):
    """A conversation (gesprek) inside a knowledge group."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="threads")
    title = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField(null=True, blank=True)
    message_count = models.PositiveIntegerField(default=0)
    seq = models.BigIntegerField(help_text="group seq of thread.created")
    # Moderation (written through moderation.services): no new messages except by moderators.
    locked_at = models.DateTimeField(null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["group", "-last_message_at"])]

    def __str__(self) -> str:
        return self.title


class Message(models.Model):
    """A message. `seq` is the group sequence number it got when created.

    Attachments (resources) will point here with a foreign key from their own app.
    """

    # No single-column indexes on group and thread: (group, seq) and (thread, seq) lead with them.
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="messages", db_index=False)
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages", db_index=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages")
    body = models.TextField()
    html = models.TextField()
    client_id = models.UUIDField()
    seq = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Moderation state (written through moderation.services). A hidden message shows members only
    # the reason; a removed one is a tombstone for members, its text kept for appeals until purged.
    hidden_at = models.DateTimeField(null=True, blank=True)
    held_at = models.DateTimeField(null=True, blank=True)  # awaiting a moderator's approval
    removed_at = models.DateTimeField(null=True, blank=True)
    moderation_reason = models.CharField(max_length=500, blank=True)
    pinned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["author", "client_id"], name="uniq_message_client_id"),
            models.UniqueConstraint(fields=["group", "seq"], name="uniq_message_group_seq"),
        ]
        indexes = [models.Index(fields=["thread", "-seq"])]

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Reaction(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    emoji = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "user", "emoji"], name="uniq_reaction")]


class GroupEvent(models.Model):
    """The group's change log: one row per seq, gapless. Catch-up replays it.

    Replays render the *current* state of the message or thread, so a deleted message's text is
    never sent again to a client that catches up.
    """

    group = models.ForeignKey(  # indexed by uniq_group_event_seq (group, seq)
        Group, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    seq = models.BigIntegerField()
    type = models.CharField(max_length=40)
    # SET_NULL: when a message or thread is erased its event keeps its place (replayed as "gone"),
    # so the sequence stays gapless for clients catching up.
    message = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, related_name="+")
    thread = models.ForeignKey(Thread, on_delete=models.SET_NULL, null=True, related_name="+")
    # For events about neither a message nor a thread (e.g. group.slow_mode): the event as sent.
    payload = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "seq"], name="uniq_group_event_seq"),
            models.CheckConstraint(condition=Q(seq__gt=0), name="group_event_seq_positive"),
        ]


class ReadState(models.Model):
    """How far a member has read a thread (a group seq)."""

    user = models.ForeignKey(  # indexed by uniq_read_state (user, thread)
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="read_states")
    last_read_seq = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "thread"], name="uniq_read_state")]
