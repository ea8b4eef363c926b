"""The shapes of docs/meetups.md (Meetup, SupportRequest, Branch, Room, MyRsvp), built from rows.

`meetup_payloads` builds a list in a fixed number of queries, whatever its length: RSVP counts, the
viewer's own answers, which meetups the viewer hosts, the latest support requests and the summaries
are each fetched once for the whole list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q

from chat.events import user_brief
from chat.markdown import render

from .models import Branch, Meetup, MeetupStatus, Room, Rsvp, RsvpAnswer, Summary, SupportRequest
from .selectors import AnyUser, managed_meetups_q


def _iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


_UNSET: Any = object()


@dataclass(frozen=True)
class Counts:
    going: int = 0  # holding a seat
    maybe: int = 0
    not_going: int = 0
    waitlist: int = 0


def rsvp_counts(meetup_ids: list[int]) -> dict[int, Counts]:
    if not meetup_ids:
        return {}
    rows = (
        Rsvp.objects.filter(meetup_id__in=meetup_ids)
        .values("meetup_id")
        .annotate(
            going=Count("pk", filter=Q(answer=RsvpAnswer.GOING, waitlisted_at__isnull=True)),
            maybe=Count("pk", filter=Q(answer=RsvpAnswer.MAYBE)),
            not_going=Count("pk", filter=Q(answer=RsvpAnswer.NOT_GOING)),
            waitlist=Count("pk", filter=Q(answer=RsvpAnswer.GOING, waitlisted_at__isnull=False)),
        )
    )
    return {r["meetup_id"]: Counts(r["going"], r["maybe"], r["not_going"], r["waitlist"]) for r in rows}


def effective_capacity(meetup: Meetup) -> int | None:
    """The smaller of the meetup's own capacity and its room's; None = unlimited."""
    limits = [c for c in (meetup.capacity, meetup.room.capacity if meetup.room_id else None) if c is not None]
    return min(limits) if limits else None


def seats_left(meetup: Meetup, counts: Counts) -> int | None:
    capacity = effective_capacity(meetup)
    return None if capacity is None else max(0, capacity - counts.going)


def waitlist_position(rsvp: Rsvp) -> int | None:
    if rsvp.waitlisted_at is None:
        return None
    ahead = Rsvp.objects.filter(meetup_id=rsvp.meetup_id, waitlisted_at__isnull=False).filter(
        Q(waitlisted_at__lt=rsvp.waitlisted_at) | Q(waitlisted_at=rsvp.waitlisted_at, pk__lt=rsvp.pk)
    )
    return ahead.count() + 1


def my_rsvp_payload(rsvp: Rsvp | None, *, position: int | None = _UNSET) -> dict | None:
    if rsvp is None:
        return None
    return {
        "answer": rsvp.answer,
        "waitlisted": rsvp.waitlisted_at is not None,
        "position": waitlist_position(rsvp) if position is _UNSET else position,
        "share_name": rsvp.share_name,
    }


def counts_payload(meetup: Meetup, counts: Counts) -> dict[str, Any]:
    return {
        "going_count": counts.going,
        "maybe_count": counts.maybe,
        "waitlist_count": counts.waitlist,
        "seats_left": seats_left(meetup, counts),
    }


def room_payload(room: Room | None, *, with_branch: bool = False) -> dict | None:
    if room is None:
        return None
    payload = {
        "id": room.pk,
        "name": room.name,
        "capacity": room.capacity,
        "accessibility": room.accessibility,
    }
    if with_branch:
        branch = room.branch
        payload["branch"] = {"id": branch.pk, "name": branch.name, "address": branch.address}
    return payload


def branch_payload(branch: Branch) -> dict:
    return {
        "id": branch.pk,
        "name": branch.name,
        "address": branch.address,
        "rooms": [room_payload(r) for r in branch.rooms.all()],
    }


def support_request_payload(request: SupportRequest) -> dict:
    meetup = request.meetup
    branch = request.preferred_branch
    approved_room = request.state == "approved" and request.wants_room and meetup.room_id
    return {
        "id": request.pk,
        "meetup": {
            "id": meetup.pk,
            "title": meetup.title,
            "starts_at": _iso(meetup.starts_at),
            "ends_at": _iso(meetup.ends_at),
            "group": {"slug": meetup.group.slug, "name": meetup.group.name},
        },
        "wants_room": request.wants_room,
        "preferred_branch": {"id": branch.pk, "name": branch.name} if branch is not None else None,
        "wants_promotion": request.wants_promotion,
        "help": request.help,
        "state": request.state,
        "note": request.note,
        "requested_by": user_brief(request.requested_by) if request.requested_by else None,
        "created_at": _iso(request.created_at),
        "decided_by": user_brief(request.decided_by) if request.decided_by else None,
        "decided_at": _iso(request.decided_at),
        "room": room_payload(meetup.room) if approved_room else None,
    }


def is_live(meetup: Meetup) -> bool:
    return (
        meetup.status == MeetupStatus.PUBLISHED
        and meetup.live_started_at is not None
        and meetup.live_ended_at is None
    )


def meetup_payload(
    meetup: Meetup,
    *,
    viewer: AnyUser | None,
    my_rsvp: Rsvp | None = _UNSET,
    counts: Counts | None = None,
    can_manage: bool | None = None,
    support_request: SupportRequest | None = _UNSET,
    summary: Summary | None = _UNSET,
) -> dict[str, Any]:
    """A Meetup as `viewer` sees it. `viewer=None` is how a plain member sees it (the broadcast):
    no own answer, no host fields. Left out arguments are fetched."""
    from .selectors import can_host

    if counts is None:
        counts = rsvp_counts([meetup.pk]).get(meetup.pk, Counts())
    signed_in = viewer is not None and viewer.is_authenticated
    if can_manage is None:
        can_manage = bool(signed_in and can_host(viewer, meetup))
    if my_rsvp is _UNSET:
        my_rsvp = Rsvp.objects.filter(meetup=meetup, user=viewer).first() if signed_in else None
    if support_request is _UNSET:
        support_request = (
            meetup.support_requests.select_related("preferred_branch", "requested_by", "decided_by")
            .order_by("-created_at", "-pk")
            .first()
            if can_manage
            else None
        )
    if summary is _UNSET:
        summary = Summary.objects.filter(meetup=meetup).only("state", "published_at").first()
    live = is_live(meetup)
    show_code = can_manage and live and bool(meetup.join_code)
    group = meetup.group
    library = group.library
    if support_request is not None:
        support_request.meetup = meetup
    return {
        "id": meetup.pk,
        "url": f"/bijeenkomsten/{meetup.pk}",
        "group": {"slug": group.slug, "name": group.name, "visibility": group.visibility},
        "library": {"slug": library.slug, "name": library.name},
        "title": meetup.title,
        "description": meetup.description,
        "description_html": render(meetup.description) if meetup.description else "",
        "starts_at": _iso(meetup.starts_at),
        "ends_at": _iso(meetup.ends_at),
        "in_person": meetup.in_person,
        "online": meetup.online,
        "hybrid": meetup.is_hybrid,
        "location": meetup.location,
        "online_url": meetup.online_url,
        "room": room_payload(meetup.room, with_branch=True),
        "capacity": meetup.capacity,
        "effective_capacity": effective_capacity(meetup),
        "status": meetup.status,
        "promoted": meetup.promoted,
        "sequence": meetup.sequence,
        "created_by": user_brief(meetup.created_by) if meetup.created_by else None,
        "cohosts": [user_brief(u) for u in meetup.cohosts.all()],
        **counts_payload(meetup, counts),
        "my_rsvp": my_rsvp_payload(my_rsvp) if my_rsvp is not None else None,
        "can_manage": can_manage,
        "live": live,
        "join_code": meetup.join_code if show_code else None,
        "join_url": f"/m/{meetup.join_code}" if show_code else None,
        "thread": meetup.thread_id,
        "support_request": support_request_payload(support_request) if support_request else None,
        "summary": (
            {"state": summary.state, "published_at": _iso(summary.published_at)} if summary else None
        ),
        "cancelled_at": _iso(meetup.cancelled_at),
        "cancel_reason": meetup.cancel_reason,
        "finished_at": _iso(meetup.finished_at),
    }


def member_view_payload(meetup: Meetup) -> dict[str, Any]:
    """The Meetup as a plain member sees it: what `meetup.changed` carries."""
    return meetup_payload(meetup, viewer=None, my_rsvp=None, can_manage=False, support_request=None)


def meetup_payloads(meetups: list[Meetup], *, viewer: AnyUser) -> list[dict[str, Any]]:
    """Payloads for a list, in a fixed number of queries. `meetups` come from
    selectors.meetup_queryset() (group, library, room, branch, creator and co-hosts loaded)."""
    if not meetups:
        return []
    ids = [m.pk for m in meetups]
    counts = rsvp_counts(ids)
    signed_in = viewer is not None and viewer.is_authenticated
    mine: dict[int, Rsvp] = {}
    managed: set[int] = set()
    requests: dict[int, SupportRequest] = {}
    if signed_in:
        mine = {r.meetup_id: r for r in Rsvp.objects.filter(user=viewer, meetup_id__in=ids)}
        managed = set(
            Meetup.objects.filter(managed_meetups_q(viewer), pk__in=ids).values_list("pk", flat=True)
        )
        if managed:
            for req in (
                SupportRequest.objects.filter(meetup_id__in=managed)
                .select_related("preferred_branch", "requested_by", "decided_by")
                .order_by("created_at", "pk")
            ):
                requests[req.meetup_id] = req  # the latest wins
    summaries = {
        s.meetup_id: s
        for s in Summary.objects.filter(meetup_id__in=ids).only("meetup_id", "state", "published_at")
    }
    positions = _waitlist_positions([r for r in mine.values() if r.waitlisted_at is not None])
    result = []
    for meetup in meetups:
        rsvp = mine.get(meetup.pk)
        payload = meetup_payload(
            meetup,
            viewer=viewer,
            my_rsvp=None,
            counts=counts.get(meetup.pk, Counts()),
            can_manage=meetup.pk in managed,
            support_request=requests.get(meetup.pk),
            summary=summaries.get(meetup.pk),
        )
        if rsvp is not None:
            payload["my_rsvp"] = my_rsvp_payload(rsvp, position=positions.get(rsvp.pk))
        result.append(payload)
    return result


def _waitlist_positions(rsvps: list[Rsvp]) -> dict[int, int]:
    """Positions of the viewer's waitlisted answers, in one query."""
    if not rsvps:
        return {}
    by_meetup: dict[int, list[tuple]] = {}
    for row in (
        Rsvp.objects.filter(meetup_id__in={r.meetup_id for r in rsvps}, waitlisted_at__isnull=False)
        .order_by("waitlisted_at", "pk")
        .values_list("meetup_id", "pk")
    ):
        by_meetup.setdefault(row[0], []).append(row[1])
    return {
        r.pk: by_meetup.get(r.meetup_id, []).index(r.pk) + 1
        for r in rsvps
        if r.pk in by_meetup.get(r.meetup_id, [])
    }
