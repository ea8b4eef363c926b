"""Meetup factories: plain ORM rows in a known state, for tests that exercise something else
(services, REST and WebSocket are what the tests themselves go through)."""

from __future__ import annotations

import uuid
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


def make_live(meetup: Meetup, code: str | None = None) -> Meetup:
    """The meetup in live mode with a join code, like meetups.live.live_start leaves it."""
    from meetups.models import new_join_code

    meetup.join_code = code or new_join_code()
    meetup.live_started_at = timezone.now()
    meetup.live_ended_at = None
    meetup.save(update_fields=["join_code", "live_started_at", "live_ended_at"])
    return meetup


def make_guest(
    meetup: Meetup, display_name: str = "Gast Gerda", *, expires_at: datetime | None = None
) -> User:
    """A guest of the meetup, like joining by its code makes one (without the session)."""
    from django.conf import settings

    from meetups.models import Guest

    user = User.objects.create_user(
        email=f"guest-{uuid.uuid4()}@guest.invalid", password=None, display_name=display_name, is_guest=True
    )
    grace = timedelta(minutes=settings.KENNISCLOUD["GUEST_GRACE_MINUTES"])
    Guest.objects.create(user=user, meetup=meetup, expires_at=expires_at or meetup.ends_at + grace)
    return user
