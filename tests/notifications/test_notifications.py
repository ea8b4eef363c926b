"""The in-app inbox: `notify`, the REST list and mark-read, and the live `notification` user event."""

from __future__ import annotations

import pytest
from django.db import transaction

from notifications.models import Notification
from notifications.services import notify
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_notify_skips_guests_and_inactive_users(member, other_member):
    guest = make_user("Gast", is_guest=True)
    gone = make_user("Weg", is_active=False)
    notify(
        user_ids=[member.pk, other_member.pk, guest.pk, gone.pk, member.pk],
        kind="meetup.cancelled",
        data={"meetup": 7, "title": "Repair Café"},
    )
    assert sorted(Notification.objects.values_list("user_id", flat=True)) == sorted(
        [member.pk, other_member.pk]
    )


def test_list_is_own_newest_first_with_text_in_the_readers_language(api, member, other_member):
    other_member.language = "en"
    other_member.save()
    notify(
        user_ids=[member.pk, other_member.pk],
        kind="meetup.cancelled",
        data={"meetup": 7, "title": "Leesclub"},
    )
    notify(user_ids=[member.pk], kind="meetup.promoted", data={"meetup": 8, "title": "Repair Café"})
    body = api(member).get("/api/v1/notifications/").json()
    assert body["unread"] == 2
    assert [n["kind"] for n in body["results"]] == ["meetup.promoted", "meetup.cancelled"]
    first = body["results"][0]
    assert set(first) == {"id", "kind", "text", "url", "data", "created_at", "read"}
    assert first["url"] == "/bijeenkomsten/8" and first["read"] is False
    assert first["data"] == {"meetup": 8, "title": "Repair Café"}
    assert "Repair Café" in first["text"]
    english = api(other_member).get("/api/v1/notifications/").json()
    assert english["unread"] == 1
    assert english["results"][0]["text"] == "The meetup “Leesclub” has been cancelled."


@pytest.mark.parametrize(
    ("kind", "data", "expected"),
    [
        (
            "meetup.reminder",
            {"meetup": 1, "title": "X", "starts_at": "2030-12-05T18:30:00Z"},
            "Thu 5 Dec 2030",
        ),
        ("meetup.changed", {"meetup": 1, "title": "X", "starts_at": "2030-12-05T18:30:00Z"}, "19:30"),
        ("support.decided", {"meetup": 1, "title": "X", "state": "approved"}, "approved"),
        ("support.decided", {"meetup": 1, "title": "X", "state": "declined"}, "declined"),
    ],
)
def test_every_kind_has_a_text(api, member, kind, data, expected):
    member.language = "en"
    member.save()
    notify(user_ids=[member.pk], kind=kind, data=data)
    (item,) = api(member).get("/api/v1/notifications/").json()["results"]
    assert expected in item["text"]


def test_mark_read_by_ids_only_touches_own(api, member, other_member):
    notify(user_ids=[member.pk, other_member.pk], kind="meetup.cancelled", data={"meetup": 1, "title": "A"})
    notify(user_ids=[member.pk], kind="meetup.cancelled", data={"meetup": 2, "title": "B"})
    mine = list(Notification.objects.filter(user=member).values_list("pk", flat=True))
    theirs = Notification.objects.get(user=other_member)
    response = api(member).post("/api/v1/notifications/read/", {"ids": [mine[0], theirs.pk]}, format="json")
    assert response.status_code == 200 and response.json() == {"unread": 1}
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert api(member).post("/api/v1/notifications/read/", {"all": True}, format="json").json() == {
        "unread": 0
    }
    assert all(n["read"] for n in api(member).get("/api/v1/notifications/").json()["results"])


def test_mark_read_needs_ids_or_all(api, member):
    response = api(member).post("/api/v1/notifications/read/", {}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "validation_error"
    response = api(member).post("/api/v1/notifications/read/", {"ids": ["x"]}, format="json")
    assert response.status_code == 400


def test_list_shows_at_most_50(api, member):
    for n in range(55):
        notify(user_ids=[member.pk], kind="meetup.cancelled", data={"meetup": n + 1, "title": f"M{n}"})
    body = api(member).get("/api/v1/notifications/").json()
    assert len(body["results"]) == 50 and body["unread"] == 55
    assert body["results"][0]["data"]["title"] == "M54"


def test_anonymous_401_and_guests_403(api):
    guest = make_user("Gast", is_guest=True)
    assert api().get("/api/v1/notifications/").status_code == 401
    assert api().post("/api/v1/notifications/read/", {"all": True}, format="json").status_code == 401
    response = api(guest).get("/api/v1/notifications/")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert api(guest).post("/api/v1/notifications/read/", {"all": True}, format="json").status_code == 403


def test_me_exposes_and_updates_email_reminders(api, member):
    assert api(member).get("/api/v1/me/").json()["email_reminders"] is False
    response = api(member).patch("/api/v1/me/", {"email_reminders": True}, format="json")
    assert response.status_code == 200 and response.json()["email_reminders"] is True
    member.refresh_from_db()
    assert member.email_reminders is True
    guest = make_user("Gast", is_guest=True)
    response = api(guest).patch("/api/v1/me/", {"email_reminders": True}, format="json")
    assert response.status_code == 403


@pytest.mark.django_db(transaction=True)
async def test_notification_arrives_live_on_the_users_socket(connect, db_call, member, other_member):
    accepted, ws = await connect(member)
    assert accepted
    _ok, other_ws = await connect(other_member)
    await ws.ping()
    await other_ws.ping()

    def send() -> None:
        with transaction.atomic():
            notify(user_ids=[member.pk], kind="meetup.cancelled", data={"meetup": 3, "title": "Leesclub"})
            notify(user_ids=[member.pk], kind="meetup.promoted", data={"meetup": 4, "title": "Repair"})

    await db_call(send)
    first = await ws.expect("notification")
    second = await ws.expect("notification")
    assert first["notification"]["kind"] == "meetup.cancelled"
    assert "Leesclub" in first["notification"]["text"]
    assert first["notification"]["url"] == "/bijeenkomsten/3"
    assert {first["unread"], second["unread"]} == {2}
    assert second["notification"]["kind"] == "meetup.promoted"
    # Nobody else receives it.
    await other_ws.ping()
