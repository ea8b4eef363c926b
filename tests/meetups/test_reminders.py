"""Reminders and the automatic finish, run by a real task worker process (`manage.py db_worker`)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from meetups.models import Meetup, MeetupStatus, Rsvp
from meetups.tasks import schedule_meetup_tasks
from notifications.models import Notification
from tests.conftest import make_user
from tests.meetups.factories import make_meetup
from tests.resources import conftest as resources_fixtures

pytestmark = pytest.mark.django_db(transaction=True)
run_worker = resources_fixtures.run_worker  # the fixture: a real `manage.py db_worker` process


def _reminded() -> list[int]:
    return sorted(Notification.objects.filter(kind="meetup.reminder").values_list("user_id", flat=True))


@pytest.fixture
def soon(public_group, host, member, other_member):
    """A meetup in two hours (inside the reminder window) with every kind of answer."""
    meetup = make_meetup(
        public_group, host, title="Repair Café", starts_at=timezone.now() + timedelta(hours=2)
    )
    member.email_reminders = True
    member.save()
    waiting = make_user("Wachtlijst", email_reminders=True)
    maybe = make_user("Misschien", email_reminders=True)
    Rsvp.objects.create(meetup=meetup, user=member, answer="going")
    Rsvp.objects.create(meetup=meetup, user=other_member, answer="going")  # no e-mail wanted
    Rsvp.objects.create(meetup=meetup, user=waiting, answer="going", waitlisted_at=timezone.now())
    Rsvp.objects.create(meetup=meetup, user=maybe, answer="maybe")
    return meetup


def test_reminders_are_sent_once_by_the_worker_email_only_when_opted_in(
    run_worker, soon, member, other_member
):
    schedule_meetup_tasks(soon)
    output = run_worker()
    assert _reminded() == sorted([member.pk, other_member.pk])
    assert f"To: {member.email}" in output
    assert f"To: {other_member.email}" not in output
    assert output.count("To: ") == 1
    assert set(
        Rsvp.objects.filter(meetup=soon, reminded_at__isnull=False).values_list("user_id", flat=True)
    ) == {
        member.pk,
        other_member.pk,
    }
    soon.refresh_from_db()
    assert soon.reminders_sent_at is not None
    # Scheduled again (say, published twice): nobody is reminded twice.
    schedule_meetup_tasks(soon)
    output = run_worker()
    assert _reminded() == sorted([member.pk, other_member.pk])
    assert "To: " not in output


def test_no_reminders_for_a_cancelled_meetup(run_worker, soon):
    schedule_meetup_tasks(soon)
    Meetup.objects.filter(pk=soon.pk).update(status=MeetupStatus.CANCELLED, sequence=soon.sequence + 1)
    output = run_worker()
    assert _reminded() == []
    assert "To: " not in output


def test_a_moved_meetup_is_reminded_by_the_new_schedule_only(
    run_worker, soon, member, other_member, settings
):
    schedule_meetup_tasks(soon)  # the old time
    soon.starts_at += timedelta(days=3)
    soon.ends_at += timedelta(days=3)
    soon.sequence += 1
    soon.save()
    run_worker()
    assert _reminded() == []  # the old task saw the change; the new reminder is not due yet
    soon.starts_at -= timedelta(days=3) - timedelta(minutes=30)
    soon.ends_at -= timedelta(days=3) - timedelta(minutes=30)
    soon.sequence += 1
    soon.save()
    schedule_meetup_tasks(soon)
    run_worker()
    assert _reminded() == sorted([member.pk, other_member.pk])


def test_a_meetup_that_has_started_gets_no_reminder(run_worker, public_group, host, member):
    meetup = make_meetup(public_group, host, starts_at=timezone.now() + timedelta(hours=2))
    Rsvp.objects.create(meetup=meetup, user=member, answer="going")
    schedule_meetup_tasks(meetup)
    Meetup.objects.filter(pk=meetup.pk).update(
        starts_at=timezone.now() - timedelta(minutes=5), ends_at=timezone.now() + timedelta(hours=1)
    )
    run_worker()
    assert _reminded() == []


def test_the_worker_finishes_a_meetup_after_it_ended(run_worker, public_group, host):
    ended = make_meetup(public_group, host, starts_at=timezone.now() - timedelta(hours=3))
    later = make_meetup(public_group, host, starts_at=timezone.now() + timedelta(hours=3))
    schedule_meetup_tasks(ended)
    schedule_meetup_tasks(later)
    run_worker()
    ended.refresh_from_db()
    later.refresh_from_db()
    assert ended.status == MeetupStatus.FINISHED
    assert later.status == MeetupStatus.PUBLISHED
