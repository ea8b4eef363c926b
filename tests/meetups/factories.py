"""Meetup factories: plain ORM rows in a known state, for tests that exercise something else
(services, REST and WebSocket are what the tests themselves go through)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from accounts.models import User
from chat.services import thread_create
from groups.models import Group
from meetups.models import Branch, Meetup, MeetupStatus, Room


def make_room(library, *, name: str = "Zaal 1", capacity: int = 30, branch: str = "Centrale") -> Room:
    branch_obj, _ = Branch.objects.get_or_create(library=library, name=branch)
    return Room.objects.create(branch=branch_obj, name=name, capacity=capacity)


def make_meetup(
    group: Group,
    host: User,
    *,
    title: str = "Repair Café: energie besparen",
    starts_at: datetime | None = None,
    hours: float = 2,
    status: str = MeetupStatus.PUBLISHED,
    **fields: Any,
) -> Meetup:
    """A meetup; a published one gets its conversation thread like the publish service makes it."""
    starts_at = starts_at or timezone.now() + timedelta(days=1)
    meetup = Meetup.objects.create(
        group=group,
        title=title,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        status=status,
        created_by=host,
        published_at=timezone.now() if status == MeetupStatus.PUBLISHED else None,
        **fields,
    )
    if status == MeetupStatus.PUBLISHED:
        meetup.thread = thread_create(actor=host, group=group, title=title)
        meetup.save(update_fields=["thread"])
    return meetup
