"""RSVPs: seats, the waiting list (in order), promotion when a seat frees up, and the last seat under
concurrency on real PostgreSQL."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from chat.models import GroupEvent
from groups.models import MembershipState
from meetups import services
from meetups.models import Meetup, MeetupStatus, Rsvp
from notifications.models import Notification
from tests.conftest import add_member, in_threads, make_group, make_library, make_user
from tests.meetups.factories import make_meetup, make_room

pytestmark = pytest.mark.django_db


def _rsvp(api, user, meetup, answer="going", **extra):
    return api(user).put(f"/api/v1/meetups/{meetup.pk}/rsvp/", {"answer": answer, **extra}, format="json")


def _members(group, n):
    users = []
    for i in range(n):
        user = make_user(f"Deelnemer {i}")
        add_member(group, user)
        users.append(user)
    return users


def test_going_takes_a_seat_until_full_then_the_waiting_list_in_order(api, public_group, host):
    meetup = make_meetup(public_group, host, capacity=2)
    a, b, c, d = _members(public_group, 4)
    assert _rsvp(api, a, meetup).json() == {
        "answer": "going",
        "waitlisted": False,
        "position": None,
        "share_name": True,
    }
    assert _rsvp(api, b, meetup).json()["waitlisted"] is False
    assert _rsvp(api, c, meetup).json() == {
        "answer": "going",
        "waitlisted": True,
        "position": 1,
        "share_name": True,
    }
    assert _rsvp(api, d, meetup, share_name=False).json()["position"] == 2
    body = api(d).get(f"/api/v1/meetups/{meetup.pk}/").json()
    assert (body["going_count"], body["waitlist_count"], body["seats_left"]) == (2, 2, 0)
    assert body["my_rsvp"] == {"answer": "going", "waitlisted": True, "position": 2, "share_name": False}
    # Saying "going" again keeps one's place.
    assert _rsvp(api, c, meetup).json()["position"] == 1


def test_the_room_limits_capacity(api, public_group, host, library):
    room = make_room(library, capacity=1)
    meetup = make_meetup(public_group, host, capacity=10, room=room)
    a, b = _members(public_group, 2)
    assert _rsvp(api, a, meetup).json()["waitlisted"] is False
    assert _rsvp(api, b, meetup).json()["waitlisted"] is True
    assert api(a).get(f"/api/v1/meetups/{meetup.pk}/").json()["effective_capacity"] == 1


@pytest.mark.parametrize("how", ["delete", "not_going", "maybe"])
def test_a_freed_seat_promotes_the_first_on_the_waiting_list(api, public_group, host, how):
    meetup = make_meetup(public_group, host, capacity=1)
    seated, first, second = _members(public_group, 3)
    _rsvp(api, seated, meetup)
    _rsvp(api, first, meetup)
    _rsvp(api, second, meetup)
    if how == "delete":
        assert api(seated).delete(f"/api/v1/meetups/{meetup.pk}/rsvp/").status_code == 204
    else:
        assert _rsvp(api, seated, meetup, how).json()["waitlisted"] is False
    assert Rsvp.objects.get(meetup=meetup, user=first).waitlisted_at is None
    assert Rsvp.objects.get(meetup=meetup, user=second).waitlisted_at is not None
    [note] = Notification.objects.filter(kind="meetup.promoted")
    assert note.user_id == first.pk and note.data["meetup"] == meetup.pk
    assert api(second).get(f"/api/v1/meetups/{meetup.pk}/").json()["my_rsvp"]["position"] == 1
    last = GroupEvent.objects.filter(group=public_group, type="meetup.rsvps").order_by("-seq").first()
    assert last.payload == {
        "meetup": meetup.pk,
        "going_count": 1,
        "maybe_count": 1 if how == "maybe" else 0,
        "waitlist_count": 1,
        "seats_left": 0,
    }


def test_raising_capacity_promotes_the_waiting_list(api, public_group, host):
    meetup = make_meetup(public_group, host, capacity=1)
    _seated, first, second = _members(public_group, 3)
    for user in (_seated, first, second):
        _rsvp(api, user, meetup)
    response = api(host).patch(f"/api/v1/meetups/{meetup.pk}/", {"capacity": None}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["waitlist_count"] == 0 and response.json()["going_count"] == 3
    assert set(Notification.objects.filter(kind="meetup.promoted").values_list("user_id", flat=True)) == {
        first.pk,
        second.pk,
    }


def test_only_active_members_respond(api, meetup, outsider, public_group, member):
    response = _rsvp(api, outsider, meetup)
    assert response.status_code == 400 and response.json()["code"] == "not_a_member"
    pending = make_user("Wacht")
    add_member(public_group, pending, state=MembershipState.PENDING)
    assert _rsvp(api, pending, meetup).json()["code"] == "not_a_member"
    guest = User.objects.create(email="", display_name="Gast", is_guest=True)
    assert _rsvp(api, guest, meetup).status_code in (403, 404)  # a guest sees only its own meetup
    assert _rsvp(api, member, meetup, "sometimes").json()["code"] == "validation_error"
    assert (
        api(None).put(f"/api/v1/meetups/{meetup.pk}/rsvp/", {"answer": "going"}, format="json").status_code
        == 401
    )
    assert not Rsvp.objects.exists()


def test_a_guest_of_the_meetup_cannot_rsvp(api, meetup):
    from meetups.models import Guest

    guest = User.objects.create(email="", display_name="Gast", is_guest=True)
    Guest.objects.create(user=guest, meetup=meetup, expires_at=timezone.now() + timedelta(hours=3))
    response = _rsvp(api, guest, meetup)
    assert response.status_code == 403 and response.json()["code"] == "guests_cannot_rsvp"


def test_only_published_future_meetups_take_answers(api, public_group, host, member):
    draft = make_meetup(public_group, host, status=MeetupStatus.DRAFT)
    assert _rsvp(api, host, draft).json()["code"] == "meetup_not_open"
    started = make_meetup(public_group, host, starts_at=timezone.now() - timedelta(minutes=5))
    response = _rsvp(api, member, started)
    assert response.status_code == 409 and response.json()["code"] == "meetup_not_open"


def test_host_list_and_csv_show_names_only_when_shared(api, public_group, host, member):
    meetup = make_meetup(public_group, host, capacity=1)
    sneaky = make_user('=HYPERLINK("http://evil")')
    shy = make_user("Verlegen")
    add_member(public_group, sneaky)
    add_member(public_group, shy)
    _rsvp(api, member, meetup)
    _rsvp(api, sneaky, meetup)
    _rsvp(api, shy, meetup, share_name=False)
    assert api(member).get(f"/api/v1/meetups/{meetup.pk}/rsvps/").status_code == 403
    body = api(host).get(f"/api/v1/meetups/{meetup.pk}/rsvps/").json()
    assert [a["name"] for a in body["going"]] == ["Anouk"]
    assert [(a["name"], a["position"]) for a in body["waitlist"]] == [(sneaky.display_name, 1), (None, 2)]
    assert body["maybe"] == [] and body["not_going"] == []
    response = api(host).get(f"/api/v1/meetups/{meetup.pk}/rsvps.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["name", "answer", "waitlist_position", "responded_at"]
    assert [r[0] for r in rows[1:]] == ["Anouk", '\'=HYPERLINK("http://evil")', ""]
    assert api(member).get(f"/api/v1/meetups/{meetup.pk}/rsvps.csv").status_code == 403


# --- concurrency -----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_exactly_one_gets_the_last_seat_under_concurrency():
    library = make_library()
    host = make_user("Host")
    group = make_group(library)
    add_member(group, host, role="host")
    meetup = make_meetup(group, host, capacity=1)
    racers = _members(group, 2)

    def take(i: int) -> bool:
        fresh = Meetup.objects.select_related("group").get(pk=meetup.pk)
        return services.rsvp_set(actor=racers[i], meetup=fresh, answer="going").waitlisted_at is not None

    waitlisted = in_threads(2, take)
    assert sorted(waitlisted) == [False, True]
    seated = Rsvp.objects.filter(meetup=meetup, answer="going", waitlisted_at__isnull=True)
    assert seated.count() == 1
    assert Rsvp.objects.filter(meetup=meetup, waitlisted_at__isnull=False).count() == 1
