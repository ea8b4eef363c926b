"""Background tasks of meetups (Django's task framework, database backend; `manage.py db_worker`
runs them): the reminder before a meetup and the automatic finish after it.

`schedule_meetup_tasks(meetup)` is called by the meetup services on publication and whenever the time
changes (which raises `sequence`). Old tasks are not removed: each task checks, when it runs, that the
meetup is still the one it was scheduled for (same sequence and start, still published) and does
nothing otherwise, so only the latest schedule has an effect.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext

from .models import Meetup, MeetupStatus, Rsvp, RsvpAnswer

logger = logging.getLogger(__name__)


def _iso(value: dt.datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def reminder_time(meetup: Meetup) -> dt.datetime:
    return meetup.starts_at - dt.timedelta(hours=settings.KENNISCLOUD["REMINDER_HOURS_BEFORE"])


def schedule_meetup_tasks(meetup: Meetup) -> None:
    """Queue the reminder (REMINDER_HOURS_BEFORE before the start; at once when that has passed) and
    the automatic finish (at the end), after the current transaction commits."""
    meetup_id, sequence = meetup.pk, meetup.sequence
    starts_at, ends_at, remind_at = meetup.starts_at, meetup.ends_at, reminder_time(meetup)

    def enqueue() -> None:
        if timezone.now() < starts_at:
            send_meetup_reminders.using(run_after=remind_at).enqueue(meetup_id, sequence, _iso(starts_at))
        finish_meetup.using(run_after=ends_at).enqueue(meetup_id, _iso(ends_at))

    transaction.on_commit(enqueue)


# --- reminders ---------------------------------------------------------------------------------


def _reminder_data(meetup: Meetup) -> dict:
    return {
        "meetup": meetup.pk,
        "title": meetup.title,
        "starts_at": _iso(meetup.starts_at),
        "ends_at": _iso(meetup.ends_at),
    }


def meetup_reminders_send(*, meetup_id: int, sequence: int, starts_at: str | None = None) -> int:
    """Remind everyone with a seat, once: in-app to all, by e-mail to those who opted in. Returns how
    many were reminded now. Does nothing when the meetup changed since it was scheduled, is no longer
    published, or has already started."""
    from notifications.services import notify

    with transaction.atomic():
        meetup = (
            Meetup.objects.select_for_update(of=("self",))
            .select_related("group", "room", "room__branch")
            .filter(pk=meetup_id)
            .first()
        )
        if meetup is None or meetup.status != MeetupStatus.PUBLISHED:
            return 0
        if meetup.sequence != sequence:
            return 0
        expected = parse_datetime(starts_at) if starts_at else None
        if expected is not None and expected != meetup.starts_at:
            return 0
        now = timezone.now()
        if now >= meetup.starts_at:
            return 0  # too late: it has started
        rsvps = list(
            Rsvp.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(
                meetup=meetup,
                answer=RsvpAnswer.GOING,
                waitlisted_at__isnull=True,
                reminded_at__isnull=True,
                user__is_active=True,
                user__is_guest=False,
            )
        )
        if not rsvps:
            meetup.reminders_sent_at = meetup.reminders_sent_at or now
            meetup.save(update_fields=["reminders_sent_at"])
            return 0
        Rsvp.objects.filter(pk__in=[r.pk for r in rsvps]).update(reminded_at=now)
        meetup.reminders_sent_at = now
        meetup.save(update_fields=["reminders_sent_at"])
        data = _reminder_data(meetup)
        notify(user_ids=[r.user_id for r in rsvps], kind="meetup.reminder", data=data)
        recipients = [r.user for r in rsvps if r.user.email_reminders and r.user.email]
    # E-mail outside the transaction: a slow mail server never holds the meetup's lock. `reminded_at`
    # is already set, so a retry never sends twice (at most once).
    for user in recipients:
        try:
            _send_reminder_mail(user, meetup)
        except Exception:
            logger.exception("reminder e-mail for meetup %s to user %s failed", meetup.pk, user.pk)
    return len(rsvps)


def _send_reminder_mail(user, meetup: Meetup) -> None:
    from .feeds import meetup_location, meetup_page_url, site_origin
    from .formatting import format_when

    language = user.language if user.language in ("nl", "en") else "nl"
    with translation.override(language):
        when = format_when(meetup.starts_at, meetup.ends_at, language)
        subject = gettext("Reminder: %(title)s") % {"title": meetup.title}
        lines = [
            gettext("Hello %(name)s,") % {"name": user.display_name},
            "",
            gettext("You are going to “%(title)s” (%(group)s).")
            % {"title": meetup.title, "group": meetup.group.name},
            gettext("When: %(when)s") % {"when": when},
        ]
        location = meetup_location(meetup)
        if location:
            lines.append(gettext("Where: %(place)s") % {"place": location})
        if meetup.online and meetup.online_url:
            lines.append(gettext("Online: %(url)s") % {"url": meetup.online_url})
        lines += [
            "",
            meetup_page_url(meetup, site_origin()),
            "",
            gettext("You receive this e-mail because you asked for meetup reminders by e-mail."),
        ]
        send_mail(subject, "\n".join(lines), None, [user.email])


@task()
def send_meetup_reminders(meetup_id: int, sequence: int, starts_at: str | None = None) -> None:
    meetup_reminders_send(meetup_id=meetup_id, sequence=sequence, starts_at=starts_at)


# --- automatic finish --------------------------------------------------------------------------


@task()
def finish_meetup(meetup_id: int, ends_at: str | None = None) -> None:
    """Finish a meetup that is still published once it is over (a host may have finished it already,
    or moved it: then a newer task does it)."""
    meetup = Meetup.objects.filter(pk=meetup_id).first()
    if meetup is None or meetup.status != MeetupStatus.PUBLISHED:
        return
    if timezone.now() < meetup.ends_at:
        return  # moved to later: the task scheduled with the new time finishes it
    from .capture import meetup_finish

    meetup_finish(meetup=meetup, actor=None)
