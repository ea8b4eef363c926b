"""Removed messages keep their text for the 30-day appeal period; the daily job erases it after."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from chat import services as chat_services
from chat.models import Message
from moderation import services
from tests.chat.conftest import make_thread


def test_purge_erases_only_text_removed_longer_ago_than_the_appeal_period(public_group, librarian, member):
    thread = make_thread(public_group, librarian)
    old, recent = (
        chat_services.message_send(author=member, thread=thread, body=body, client_id=uuid.uuid4()).message
        for body in ("Oud", "Recent")
    )
    for message in (old, recent):
        services.message_remove(actor=librarian, message=message, reason="Spam")
    Message.objects.filter(pk=old.pk).update(removed_at=timezone.now() - timedelta(days=31))

    call_command("purge_removed", days=30)

    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.body, old.html, old.moderation_reason) == ("", "", "Spam")  # tombstone and reason stay
    assert recent.body == "Recent"
