"""Mass assignment (#7): fields a client may not set — `is_staff`, `role`, `author`, `group`, a
meetup's `status` or `created_by` — are ignored when sent along with a legitimate change; nobody
gains a right or writes as someone else."""

from __future__ import annotations

import uuid

import pytest

from groups.models import Membership
from meetups.models import Meetup, MeetupStatus
from tests.chat.conftest import make_thread

pytestmark = pytest.mark.django_db


def test_me_ignores_staff_and_guest_flags(api, member):
    response = api(member).patch(
        "/api/v1/me/",
        {
            "display_name": "Anouk B.",
            "is_staff": True,
            "is_superuser": True,
            "is_guest": True,
            "email": "x@e.nl",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    member.refresh_from_db()
    assert (member.display_name, member.is_staff, member.is_superuser, member.is_guest) == (
        "Anouk B.",
        False,
        False,
        False,
    )
    assert member.email != "x@e.nl"


def test_a_message_is_always_the_senders_and_in_the_threads_group(api, member, other_member, public_group):
    public_thread = make_thread(public_group, member)
    response = api(member).post(
        f"/api/v1/threads/{public_thread.pk}/messages/",
        {
            "body": "Hallo",
            "client_id": str(uuid.uuid4()),
            "author": other_member.pk,
            "group": 999999,
            "seq": 1,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["author"]["id"] == member.pk
    assert response.json()["group"] == public_thread.group.slug


def test_joining_a_group_never_grants_a_role(api, outsider, public_group):
    response = api(outsider).post(
        f"/api/v1/groups/{public_group.slug}/join/", {"role": "librarian", "state": "active"}, format="json"
    )
    assert response.status_code in (200, 201), response.json()
    assert Membership.objects.get(group=public_group, user=outsider).role == "member"


def test_a_new_meetup_is_a_draft_of_its_creator_whatever_is_sent(api, host, member, public_group):
    response = api(host).post(
        f"/api/v1/groups/{public_group.slug}/meetups/",
        {
            "title": "Repair Café",
            "starts_at": "2030-03-01T18:00:00Z",
            "ends_at": "2030-03-01T20:00:00Z",
            "in_person": True,
            "status": "published",
            "created_by": member.pk,
            "promoted": True,
            "join_code": "AAAAAA",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    meetup = Meetup.objects.get(pk=response.json()["id"])
    assert (meetup.status, meetup.created_by_id, meetup.promoted, meetup.join_code) == (
        MeetupStatus.DRAFT,
        host.pk,
        False,
        None,
    )
