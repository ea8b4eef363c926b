"""In-app notifications: a member's inbox of things that happened while they may have been away
(a meetup cancelled, a seat freed up, a reminder). Pushed live to their sockets as well."""

from django.conf import settings
from django.db import models


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    # A machine code (e.g. "meetup.cancelled"); the text is rendered in the reader's language.
    kind = models.CharField(max_length=40)
    # What the text needs (ids, titles, times) and where it links to.
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"]), models.Index(fields=["user", "read_at"])]
