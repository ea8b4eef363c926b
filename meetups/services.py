"""Writes for the meetup core: places, meetups (create, change, publish, cancel), support requests
and RSVPs with a waiting list. Every service checks its own permissions; a `meetup` argument comes
from selectors.access_meetup / access_hosted_meetup (so visibility has been checked).

Sequenced group events (`meetup.changed`, `meetup.rsvps`) go through chat.services.group_event_publish
and are never recorded for draft or requested meetups."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from accounts.models import User
from backend import realtime
from backend.exceptions import PermissionDenied
from chat.services import group_event_publish, thread_create
from groups.errors import NotAMember
from groups.models import Group, Library, Membership, MembershipState
from groups.selectors import can_manage_group, is_librarian_of

from . import errors
from .models import Branch, Meetup, MeetupStatus, Room, Rsvp, RsvpAnswer, SupportRequest, SupportState
from .payloads import Counts, counts_payload, member_view_payload, rsvp_counts, support_request_payload
from .payloads import effective_capacity as _effective_capacity
from .selectors import can_host, is_guest, meetup_queryset

OPEN_STATUSES = (MeetupStatus.DRAFT, MeetupStatus.REQUESTED, MeetupStatus.PUBLISHED)
BROADCAST_STATUSES = (MeetupStatus.PUBLISHED, MeetupStatus.CANCELLED, MeetupStatus.FINISHED)

# --- helpers ---------------------------------------------------------------------------------------


def _ensure_librarian(actor: User, library_id: int) -> None:
    if is_guest(actor) or not is_librarian_of(actor, library_id):
        raise PermissionDenied()


def _ensure_host(actor: User, meetup: Meetup) -> None:
    if not can_host(actor, meetup):
        raise PermissionDenied()


def _notify(*, user_ids: list[int], kind: str, meetup: Meetup, **extra: Any) -> None:
    user_ids = sorted(set(user_ids))
    if not user_ids:
        return
    from notifications.services import notify  # notifications depends on nothing of ours

    notify(user_ids=user_ids, kind=kind, data=_notification_data(meetup, **extra))


def _notification_data(meetup: Meetup, **extra: Any) -> dict[str, Any]:
    return {
        "meetup": meetup.pk,
        "title": meetup.title,
        "starts_at": meetup.starts_at.isoformat().replace("+00:00", "Z"),
        "group": meetup.group.slug,
        **extra,
    }


def _schedule_tasks(meetup: Meetup) -> None:
    meetup_id = meetup.pk

    def schedule() -> None:
        from .tasks import schedule_meetup_tasks

        fresh = Meetup.objects.filter(pk=meetup_id).first()
        if fresh is not None:
            schedule_meetup_tasks(fresh)

    transaction.on_commit(schedule)


def _lock(meetup: Meetup) -> Meetup:
    """Lock the meetup row and return it fresh, with its relations loaded."""
    Meetup.objects.select_for_update().filter(pk=meetup.pk).values_list("pk").first()
    return meetup_queryset().get(pk=meetup.pk)


def meetup_broadcast(meetup: Meetup) -> None:
    """Record `meetup.changed` with the meetup as a plain member sees it (never for a draft or a
    requested meetup). Call inside the transaction of the change."""
    if meetup.status not in BROADCAST_STATUSES:
        return
    meetup = meetup_queryset().get(pk=meetup.pk)
    group_event_publish(
        group=meetup.group, event_type="meetup.changed", payload={"meetup": member_view_payload(meetup)}
    )


def _broadcast_rsvps(meetup: Meetup, counts: Counts | None = None) -> None:
    if meetup.status not in BROADCAST_STATUSES:
        return
    if counts is None:
        counts = rsvp_counts([meetup.pk]).get(meetup.pk, Counts())
    group_event_publish(
        group=meetup.group,
        event_type="meetup.rsvps",
        payload={"meetup": meetup.pk, **counts_payload(meetup, counts)},
    )


def _responder_ids(meetup: Meetup) -> list[int]:
    return list(Rsvp.objects.filter(meetup=meetup).values_list("user_id", flat=True))


# --- places ----------------------------------------------------------------------------------------


@transaction.atomic
def branch_create(*, actor: User, library: Library, name: str, address: str = "") -> Branch:
    _ensure_librarian(actor, library.pk)
    if Branch.objects.filter(library=library, name=name.strip()).exists():
        raise errors.BranchNameTaken()
    return Branch.objects.create(library=library, name=name.strip(), address=address.strip())


@transaction.atomic
def branch_update(*, actor: User, branch: Branch, data: dict[str, Any]) -> Branch:
    _ensure_librarian(actor, branch.library_id)
    if "name" in data:
        name = data["name"].strip()
        if Branch.objects.filter(library_id=branch.library_id, name=name).exclude(pk=branch.pk).exists():
            raise errors.BranchNameTaken()
        branch.name = name
    if "address" in data:
        branch.address = data["address"].strip()
    branch.save()
    return branch


@transaction.atomic
def branch_delete(*, actor: User, branch: Branch) -> None:
    _ensure_librarian(actor, branch.library_id)
    if Meetup.objects.filter(room__branch=branch).exists():
        raise errors.RoomInUse()
    try:
        with transaction.atomic():
            branch.delete()
    except ProtectedError as exc:
        raise errors.RoomInUse() from exc


@transaction.atomic
def room_create(*, actor: User, branch: Branch, name: str, capacity: int, accessibility: str = "") -> Room:
    _ensure_librarian(actor, branch.library_id)
    if Room.objects.filter(branch=branch, name=name.strip()).exists():
        raise errors.RoomNameTaken()
    return Room.objects.create(
        branch=branch, name=name.strip(), capacity=capacity, accessibility=accessibility
    )


@transaction.atomic
def room_update(*, actor: User, room: Room, data: dict[str, Any]) -> Room:
    """Change a room. A larger room frees seats: waiting lists of its upcoming meetups move up."""
    _ensure_librarian(actor, room.branch.library_id)
    Room.objects.select_for_update().filter(pk=room.pk).first()
    if "name" in data:
        name = data["name"].strip()
        if Room.objects.filter(branch_id=room.branch_id, name=name).exclude(pk=room.pk).exists():
            raise errors.RoomNameTaken()
        room.name = name
    for field in ("capacity", "accessibility"):
        if field in data:
            setattr(room, field, data[field])
    room.save()
    if "capacity" in data:
        for meetup in Meetup.objects.filter(
            room=room, status=MeetupStatus.PUBLISHED, ends_at__gt=timezone.now()
        ):
            locked = _lock(meetup)
            if _promote_waitlist(locked):
                _broadcast_rsvps(locked)
    return room


@transaction.atomic
def room_delete(*, actor: User, room: Room) -> None:
    _ensure_librarian(actor, room.branch.library_id)
    if Meetup.objects.filter(room=room).exists():
        raise errors.RoomInUse()
    try:
        with transaction.atomic():
            room.delete()
    except ProtectedError as exc:
        raise errors.RoomInUse() from exc


# --- meetups ---------------------------------------------------------------------------------------

MEETUP_FIELDS = (
    "title",
    "description",
    "starts_at",
    "ends_at",
    "in_person",
    "online",
    "location",
    "online_url",
    "capacity",
)


def _validate(meetup: Meetup) -> None:
    if meetup.ends_at <= meetup.starts_at:
        raise errors.InvalidTimes(fields={"ends_at": [str(errors.InvalidTimes.default_message)]})
    if not (meetup.in_person or meetup.online):
        raise errors.MeetupNeedsPlace()
    if meetup.online and not meetup.online_url:
        raise errors.OnlineUrlRequired(fields={"online_url": [str(errors.OnlineUrlRequired.default_message)]})


def _cohosts(group: Group, user_ids: list[int]) -> list[int]:
    user_ids = sorted(set(user_ids))
    active = set(
        Membership.objects.filter(
            group=group, user_id__in=user_ids, state=MembershipState.ACTIVE, user__is_guest=False
        ).values_list("user_id", flat=True)
    )
    if active != set(user_ids):
        raise errors.InvalidCohost()
    return user_ids


@transaction.atomic
def meetup_create(*, actor: User, group: Group, data: dict[str, Any]) -> Meetup:
    """A draft meetup. Precondition: `group` from access_group. Group hosts, librarians, staff."""
    if is_guest(actor) or not can_manage_group(actor, group):
        raise PermissionDenied()
    cohosts = _cohosts(group, data.get("cohosts") or [])
    meetup = Meetup(group=group, created_by=actor, status=MeetupStatus.DRAFT)
    for field in MEETUP_FIELDS:
        if field in data:
            setattr(meetup, field, data[field] if data[field] is not None or field == "capacity" else "")
    _validate(meetup)
    meetup.save()
    meetup.cohosts.set(cohosts)
    return meetup


def _ensure_room_free(meetup: Meetup, room: Room) -> None:
    """Precondition: the room row is locked. Two meetups in one room may not overlap."""
    overlapping = (
        Meetup.objects.filter(room=room, starts_at__lt=meetup.ends_at, ends_at__gt=meetup.starts_at)
        .exclude(status=MeetupStatus.CANCELLED)
        .exclude(pk=meetup.pk)
    )
    if overlapping.exists():
        raise errors.RoomTaken()


@transaction.atomic
def meetup_update(*, actor: User, meetup: Meetup, data: dict[str, Any]) -> Meetup:
    """Change a meetup (partial). A published meetup raises its `sequence`, is broadcast, and —
    when its time changed — its responders are notified (`meetup.changed`)."""
    _ensure_host(actor, meetup)
    meetup = _lock(meetup)
    if meetup.status not in OPEN_STATUSES:
        raise errors.MeetupNotEditable()
    before = {f: getattr(meetup, f) for f in MEETUP_FIELDS}
    old_capacity = _effective_capacity(meetup)
    for field in MEETUP_FIELDS:
        if field in data:
            value = data[field]
            setattr(meetup, field, value if value is not None or field == "capacity" else "")
    _validate(meetup)
    changed = {f for f in MEETUP_FIELDS if getattr(meetup, f) != before[f]}
    cohosts_changed = False
    if "cohosts" in data:
        new_cohosts = _cohosts(meetup.group, data["cohosts"] or [])
        cohosts_changed = new_cohosts != sorted(u.pk for u in meetup.cohosts.all())
        meetup.cohosts.set(new_cohosts)
    time_changed = bool(changed & {"starts_at", "ends_at"})
    if time_changed and meetup.room_id:
        Room.objects.select_for_update().filter(pk=meetup.room_id).first()
        _ensure_room_free(meetup, meetup.room)
    published = meetup.status == MeetupStatus.PUBLISHED
    if published and (changed or cohosts_changed):
        meetup.sequence += 1
    meetup.save()
    if published and (changed or cohosts_changed):
        meetup = meetup_queryset().get(pk=meetup.pk)
        if _effective_capacity(meetup) != old_capacity and _promote_waitlist(meetup):
            _broadcast_rsvps(meetup)
        elif "capacity" in changed:
            _broadcast_rsvps(meetup)
        meetup_broadcast(meetup)
        place_changed = bool(changed & {"location", "in_person", "online", "online_url"})
        if time_changed or place_changed:
            _notify(
                user_ids=_responder_ids(meetup),
                kind="meetup.changed",
                meetup=meetup,
                ends_at=meetup.ends_at.isoformat().replace("+00:00", "Z"),
            )
        if time_changed:
            _schedule_tasks(meetup)
    return meetup


def _publish(*, actor: User, meetup: Meetup) -> None:
    """Precondition: `meetup` is locked. Makes its conversation, broadcasts, schedules reminders."""
    meetup.status = MeetupStatus.PUBLISHED
    meetup.published_at = timezone.now()
    if meetup.thread_id is None:
        meetup.thread = thread_create(actor=actor, group=meetup.group, title=meetup.title)
    meetup.save()
    meetup_broadcast(meetup)
    _schedule_tasks(meetup)


@transaction.atomic
def meetup_publish(*, actor: User, meetup: Meetup) -> Meetup:
    """Publish a draft. A meetup that asks the library for a room waits for its approval."""
    _ensure_host(actor, meetup)
    meetup = _lock(meetup)
    if meetup.status == MeetupStatus.PUBLISHED:
        return meetup
    if meetup.status not in OPEN_STATUSES:
        raise errors.MeetupNotEditable()
    waiting_for_room = SupportRequest.objects.filter(
        meetup=meetup, state=SupportState.PENDING, wants_room=True
    ).exists()
    if meetup.status == MeetupStatus.REQUESTED or waiting_for_room:
        raise errors.ApprovalRequired()
    _publish(actor=actor, meetup=meetup)
    return meetup_queryset().get(pk=meetup.pk)


@transaction.atomic
def meetup_cancel(*, actor: User, meetup: Meetup, reason: str = "") -> Meetup:
    """Cancel: everyone who responded is notified, the waiting list is cleared, open requests are
    withdrawn."""
    _ensure_host(actor, meetup)
    meetup = _lock(meetup)
    if meetup.status not in OPEN_STATUSES:
        raise errors.MeetupNotEditable()
    was_published = meetup.status == MeetupStatus.PUBLISHED
    responders = _responder_ids(meetup)
    meetup.status = MeetupStatus.CANCELLED
    meetup.cancelled_at = timezone.now()
    meetup.cancel_reason = reason.strip()
    meetup.sequence += 1
    meetup.save()
    SupportRequest.objects.filter(meetup=meetup, state=SupportState.PENDING).update(
        state=SupportState.WITHDRAWN
    )
    cleared = Rsvp.objects.filter(meetup=meetup, waitlisted_at__isnull=False).delete()[0]
    if was_published:
        meetup_broadcast(meetup)
        if cleared:
            _broadcast_rsvps(meetup)
        _notify(user_ids=responders, kind="meetup.cancelled", meetup=meetup, reason=meetup.cancel_reason)
    return meetup_queryset().get(pk=meetup.pk)


# --- support requests ------------------------------------------------------------------------------


def _push_request(request: SupportRequest) -> None:
    request = SupportRequest.objects.select_related(
        "meetup", "meetup__group", "meetup__room", "preferred_branch", "requested_by", "decided_by"
    ).get(pk=request.pk)
    realtime.publish_to_moderators_on_commit(
        request.library_id, {"type": "support.request", "request": support_request_payload(request)}
    )


@transaction.atomic
def support_request_create(
    *,
    actor: User,
    meetup: Meetup,
    wants_room: bool = False,
    preferred_branch: int | None = None,
    wants_promotion: bool = False,
    help: str = "",
) -> SupportRequest:
    """Ask the meetup's library for a room, promotion and/or help. A draft that asks for a room
    becomes `requested` until a librarian decides."""
    _ensure_host(actor, meetup)
    meetup = _lock(meetup)
    if meetup.status not in OPEN_STATUSES:
        raise errors.MeetupNotEditable()
    help = help.strip()
    if not (wants_room or wants_promotion or help):
        raise errors.SupportRequestEmpty()
    library_id = meetup.group.library_id
    branch = None
    if preferred_branch is not None:
        branch = Branch.objects.filter(pk=preferred_branch, library_id=library_id).first()
        if branch is None:
            raise errors.InvalidBranch(
                fields={"preferred_branch": [str(errors.InvalidBranch.default_message)]}
            )
    if SupportRequest.objects.filter(meetup=meetup, state=SupportState.PENDING).exists():
        raise errors.SupportRequestPending()
    try:
        with transaction.atomic():
            request = SupportRequest.objects.create(
                meetup=meetup,
                library_id=library_id,
                wants_room=wants_room,
                preferred_branch=branch if wants_room else None,
                wants_promotion=wants_promotion,
                help=help,
                requested_by=actor,
            )
    except IntegrityError as exc:  # a concurrent request won
        raise errors.SupportRequestPending() from exc
    if wants_room and meetup.status == MeetupStatus.DRAFT:
        meetup.status = MeetupStatus.REQUESTED
        meetup.save(update_fields=["status", "updated_at"])
    _push_request(request)
    return request


def _lock_request(request: SupportRequest) -> SupportRequest:
    SupportRequest.objects.select_for_update().filter(pk=request.pk).values_list("pk").first()
    request.refresh_from_db()
    if request.state != SupportState.PENDING:
        raise errors.SupportRequestDecided()
    return request


def _announce_decision(request: SupportRequest, meetup: Meetup) -> None:
    """The librarians' queue hears the decision live; the host who asked is notified."""
    _push_request(request)
    _notify(
        user_ids=[request.requested_by_id] if request.requested_by_id else [],
        kind="support.decided",
        meetup=meetup,
        request=request.pk,
        state=request.state,
        note=request.note,
    )


@transaction.atomic
def support_request_approve(
    *, actor: User, request: SupportRequest, room: int | None = None, note: str = ""
) -> SupportRequest:
    """Approve: assign the room (never double-booked), publish a requested meetup, mark an approved
    promotion. Librarians of the request's library."""
    _ensure_librarian(actor, request.library_id)
    meetup = _lock(request.meetup)
    request = _lock_request(request)
    if request.wants_room:
        if room is None:
            raise errors.RoomRequired(fields={"room": [str(errors.RoomRequired.default_message)]})
        # The lock on the room serialises every booking of it: no two approvals can overlap.
        room_obj = (
            Room.objects.select_for_update()
            .filter(pk=room, branch__library_id=request.library_id)
            .select_related("branch")
            .first()
        )
        if room_obj is None:
            raise errors.InvalidRoom(fields={"room": [str(errors.InvalidRoom.default_message)]})
        if meetup.capacity is not None and meetup.capacity > room_obj.capacity:
            raise errors.RoomTooSmall()
        _ensure_room_free(meetup, room_obj)
        room_changed = meetup.room_id != room_obj.pk
        meetup.room = room_obj
        if meetup.status == MeetupStatus.PUBLISHED and room_changed:
            meetup.sequence += 1
    else:
        room_changed = False
    if request.wants_promotion:
        meetup.promoted = True
    meetup.save()
    request.state = SupportState.APPROVED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.note = note.strip()
    request.save()
    if meetup.status == MeetupStatus.REQUESTED:
        _publish(actor=actor, meetup=meetup)
    elif meetup.status == MeetupStatus.PUBLISHED:
        meetup = meetup_queryset().get(pk=meetup.pk)
        if room_changed and _promote_waitlist(meetup):
            _broadcast_rsvps(meetup)
        meetup_broadcast(meetup)
        if room_changed:
            _notify(user_ids=_responder_ids(meetup), kind="meetup.changed", meetup=meetup)
    _announce_decision(request, meetup)
    return request


@transaction.atomic
def support_request_decline(*, actor: User, request: SupportRequest, note: str = "") -> SupportRequest:
    """Decline with a note; a requested meetup returns to draft."""
    _ensure_librarian(actor, request.library_id)
    meetup = _lock(request.meetup)
    request = _lock_request(request)
    request.state = SupportState.DECLINED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.note = note.strip()
    request.save()
    if meetup.status == MeetupStatus.REQUESTED:
        meetup.status = MeetupStatus.DRAFT
        meetup.save(update_fields=["status", "updated_at"])
    _announce_decision(request, meetup)
    return request


# --- RSVPs -----------------------------------------------------------------------------------------


def _seated(meetup: Meetup) -> int:
    return Rsvp.objects.filter(meetup=meetup, answer=RsvpAnswer.GOING, waitlisted_at__isnull=True).count()


def _promote_waitlist(meetup: Meetup) -> list[int]:
    """Precondition: the meetup row is locked. Seat the earliest on the waiting list while seats
    are left, and notify them. Returns the promoted user ids."""
    capacity = _effective_capacity(meetup)
    waiting = Rsvp.objects.filter(meetup=meetup, waitlisted_at__isnull=False).order_by("waitlisted_at", "pk")
    if capacity is None:
        promoted = list(waiting.values_list("user_id", flat=True))
        waiting.update(waitlisted_at=None)
    else:
        free = capacity - _seated(meetup)
        if free <= 0:
            return []
        rows = list(waiting[:free])
        Rsvp.objects.filter(pk__in=[r.pk for r in rows]).update(waitlisted_at=None, updated_at=timezone.now())
        promoted = [r.user_id for r in rows]
    _notify(user_ids=promoted, kind="meetup.promoted", meetup=meetup)
    return promoted


def _ensure_open(meetup: Meetup, now: datetime) -> None:
    if meetup.status != MeetupStatus.PUBLISHED or meetup.starts_at <= now:
        raise errors.MeetupNotOpen()


@transaction.atomic
def rsvp_set(*, actor: User, meetup: Meetup, answer: str, share_name: bool = True) -> Rsvp:
    """Answer going / maybe / not going. Active members only. "Going" takes a seat while one is
    left (counted under a lock on the meetup row), else joins the waiting list."""
    if is_guest(actor):
        raise errors.GuestsCannotRsvp()
    if not Membership.objects.filter(
        user=actor, group_id=meetup.group_id, state=MembershipState.ACTIVE
    ).exists():
        raise NotAMember()
    meetup = _lock(meetup)
    now = timezone.now()
    _ensure_open(meetup, now)
    rsvp = Rsvp.objects.filter(meetup=meetup, user=actor).first()
    had_seat = rsvp is not None and rsvp.has_seat
    before = (rsvp.answer, rsvp.waitlisted_at is not None) if rsvp else None
    if rsvp is None:
        rsvp = Rsvp(meetup=meetup, user=actor)
    rsvp.share_name = share_name
    if answer == RsvpAnswer.GOING:
        if not had_seat and rsvp.waitlisted_at is None:
            capacity = _effective_capacity(meetup)
            if capacity is not None and _seated(meetup) >= capacity:
                rsvp.waitlisted_at = now
    else:
        rsvp.waitlisted_at = None
    rsvp.answer = answer
    rsvp.save()
    if had_seat and answer != RsvpAnswer.GOING:
        _promote_waitlist(meetup)
    if before != (rsvp.answer, rsvp.waitlisted_at is not None):
        _broadcast_rsvps(meetup)
    return rsvp


@transaction.atomic
def rsvp_delete(*, actor: User, meetup: Meetup) -> None:
    """Withdraw one's answer (frees a seat). Idempotent."""
    meetup = _lock(meetup)
    rsvp = Rsvp.objects.filter(meetup=meetup, user=actor).first()
    if rsvp is None:
        return
    had_seat = rsvp.has_seat
    rsvp.delete()
    if meetup.status != MeetupStatus.PUBLISHED:
        return
    if had_seat:
        _promote_waitlist(meetup)
    _broadcast_rsvps(meetup)
