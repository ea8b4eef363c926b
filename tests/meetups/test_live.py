"""Live mode (hosts start and end it), the QR code, the join code (wrong, expired, rate limited) and
the live snapshot — through REST."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from meetups.models import Guest, Meetup, MeetupStatus
from tests.meetups.factories import make_guest, make_live, make_meetup

pytestmark = pytest.mark.django_db

JOIN_CODE_INVALID_NL = (
    "Deze deelnamecode bestaat niet. Controleer de code op het scherm en probeer het opnieuw."
)
JOIN_CODE_EXPIRED_NL = "Deze bijeenkomst is voorbij: de deelnamecode werkt niet meer."


def _start(client: APIClient, meetup: Meetup):
    return client.post(f"/api/v1/meetups/{meetup.pk}/live/start/")


# --- live start / end ------------------------------------------------------------------------------


def test_a_host_starts_live_mode_and_gets_a_join_code(api, host, meetup):
    response = _start(api(host), meetup)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["live"] is True
    code = body["join_code"]
    assert len(code) == 6 and not set(code) & set("0O1I")
    assert body["join_url"] == f"/m/{code}"
    meetup.refresh_from_db()
    assert meetup.join_code == code and meetup.live_started_at is not None and meetup.live_ended_at is None


def test_starting_records_a_meetup_changed_event(
    api, host, meetup, layer_listener, django_capture_on_commit_callbacks
):
    listener = layer_listener.listen(meetup.group)
    with django_capture_on_commit_callbacks(execute=True):
        _start(api(host), meetup)
    events = [e for e in listener.published() if e["type"] == "meetup.changed"]
    assert events and events[-1]["meetup"]["id"] == meetup.pk and events[-1]["meetup"]["live"] is True
    # What every member hears carries no join code: that is for hosts (and the screen in the room).
    assert events[-1]["meetup"]["join_code"] is None


def test_a_member_sees_live_without_the_code(api, host, member, meetup):
    _start(api(host), meetup)
    body = api(member).get(f"/api/v1/meetups/{meetup.pk}/live/").json()
    assert body["meetup"]["live"] is True and body["meetup"]["join_code"] is None


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_only_hosts_start_and_end_live_mode(api, request, host, meetup, who):
    user = request.getfixturevalue(who)
    assert _start(api(user), meetup).status_code == 403
    assert api(user).post(f"/api/v1/meetups/{meetup.pk}/live/end/").status_code == 403
    meetup.refresh_from_db()
    assert meetup.join_code is None and meetup.live_started_at is None


def test_anonymous_cannot_start(meetup):
    assert _start(APIClient(), meetup).status_code == 401


def test_closed_meetup_is_invisible_to_outsiders(api, outsider, closed_meetup):
    assert _start(api(outsider), closed_meetup).status_code == 404


@pytest.mark.parametrize("status", [MeetupStatus.DRAFT, MeetupStatus.CANCELLED, MeetupStatus.FINISHED])
def test_only_published_meetups_go_live(api, host, public_group, status):
    meetup = make_meetup(public_group, host, status=status)
    response = _start(api(host), meetup)
    assert response.status_code == 409 and response.json()["code"] == "meetup_not_published"


def test_ending_live_mode_stops_the_code_for_new_guests(api, host, meetup):
    code = _start(api(host), meetup).json()["join_code"]
    ended = api(host).post(f"/api/v1/meetups/{meetup.pk}/live/end/")
    assert ended.status_code == 200 and ended.json()["live"] is False and ended.json()["join_code"] is None
    response = APIClient().post(f"/api/v1/join/{code}/", {"display_name": "Gerda"}, format="json")
    assert response.status_code == 410 and response.json()["code"] == "join_code_expired"
    # Starting again reopens the same code (the QR code on the wall keeps working).
    assert _start(api(host), meetup).json()["join_code"] == code
    assert APIClient().get(f"/api/v1/join/{code}/").status_code == 200


# --- QR code ---------------------------------------------------------------------------------------


def test_the_qr_code_is_an_svg_of_the_join_url(api, host, member, meetup):
    code = _start(api(host), meetup).json()["join_code"]
    for user in (host, member):
        response = api(user).get(f"/api/v1/meetups/{meetup.pk}/qr.svg")
        assert response.status_code == 200
        assert response["Content-Type"] == "image/svg+xml"
        svg = response.content.decode()
        assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "http://www.w3.org/2000/svg" in svg
        assert f"http://testserver/m/{code}" in svg  # its title: the URL it encodes
        assert "http" not in svg.replace("http://www.w3.org/2000/svg", "").replace(
            f"http://testserver/m/{code}", ""
        )


def test_no_qr_code_before_live_mode(api, host, member, meetup):
    response = api(host).get(f"/api/v1/meetups/{meetup.pk}/qr.svg")
    assert response.status_code == 409 and response.json()["code"] == "meetup_not_live"
    assert api(member).get(f"/api/v1/meetups/{meetup.pk}/qr.svg").status_code == 404


def test_no_qr_code_of_a_closed_group_for_outsiders(api, outsider, closed_meetup):
    make_live(closed_meetup)
    assert api(outsider).get(f"/api/v1/meetups/{closed_meetup.pk}/qr.svg").status_code == 404


# --- joining by code -------------------------------------------------------------------------------


def test_anyone_sees_what_a_code_opens(meetup):
    make_live(meetup, "ABCDEF")
    response = APIClient().get("/api/v1/join/abcdef/")
    assert response.status_code == 200
    body = response.json()
    assert body["live"] is True
    assert body["meetup"] == {
        "id": meetup.pk,
        "title": meetup.title,
        "starts_at": meetup.starts_at.isoformat().replace("+00:00", "Z"),
        "ends_at": meetup.ends_at.isoformat().replace("+00:00", "Z"),
        "group": {"slug": meetup.group.slug, "name": meetup.group.name},
    }


def test_an_anonymous_visitor_joins_as_a_guest_with_a_session(meetup):
    make_live(meetup, "ABCDEF")
    client = APIClient()
    response = client.post("/api/v1/join/ABCDEF/", {"display_name": "  Gerda  "}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["guest"] is True and body["can_post"] is True
    assert body["thread"] == meetup.thread_id
    assert body["group"] == {"slug": meetup.group.slug, "name": meetup.group.name}
    assert body["signup_url"] == "/signup"
    assert body["user"]["display_name"] == "Gerda"
    guest = Guest.objects.select_related("user").get(meetup=meetup)
    user = guest.user
    assert user.is_guest and not user.has_usable_password() and user.email.endswith("@guest.invalid")
    grace = timedelta(minutes=60)
    assert guest.expires_at == meetup.ends_at + grace
    # The session is the guest's: /me/ answers as the guest.
    me = client.get("/api/v1/me/")
    assert me.status_code == 200 and me.json()["id"] == user.pk and me.json()["display_name"] == "Gerda"


def test_a_member_joins_as_themselves(api, member, meetup):
    make_live(meetup, "ABCDEF")
    response = api(member).post("/api/v1/join/ABCDEF/", {"display_name": "whatever"}, format="json")
    body = response.json()
    assert response.status_code == 200
    assert body["guest"] is False and body["can_post"] is True and body["user"]["id"] == member.pk
    assert not Guest.objects.exists()


def test_a_guest_joining_another_meetup_becomes_a_guest_there(host, public_group, meetup):
    other = make_live(make_meetup(public_group, host, title="Taalcafé"), "GHJKLM")
    make_live(meetup, "ABCDEF")
    client = APIClient()
    first = client.post("/api/v1/join/ABCDEF/", {"display_name": "Gerda"}, format="json").json()
    again = client.post("/api/v1/join/ABCDEF/", {"display_name": "Gerda"}, format="json").json()
    assert again["user"]["id"] == first["user"]["id"]  # the same meetup: the same guest
    second = client.post("/api/v1/join/GHJKLM/", {"display_name": "Gerda"}, format="json").json()
    assert second["guest"] is True and second["user"]["id"] != first["user"]["id"]
    assert Guest.objects.get(user_id=second["user"]["id"]).meetup_id == other.pk
    assert client.get("/api/v1/me/").json()["id"] == second["user"]["id"]


@pytest.mark.parametrize("name", ["", "   ", "x" * 61])
def test_a_display_name_is_required_and_short(meetup, name):
    make_live(meetup, "ABCDEF")
    response = APIClient().post("/api/v1/join/ABCDEF/", {"display_name": name}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "validation_error"
    assert "display_name" in response.json()["fields"]
    assert not Guest.objects.exists()


def test_a_wrong_code_is_refused_with_a_clear_dutch_message(meetup):
    make_live(meetup, "ABCDEF")
    for response in (
        APIClient().get("/api/v1/join/ZZZZZZ/"),
        APIClient().post("/api/v1/join/ZZZZZZ/", {"display_name": "Gerda"}, format="json"),
    ):
        assert response.status_code == 404
        assert response.json() == {"code": "join_code_invalid", "detail": JOIN_CODE_INVALID_NL}
    assert not Guest.objects.exists()


def test_the_message_follows_the_language(meetup):
    response = APIClient().get("/api/v1/join/ZZZZZZ/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["detail"].startswith("This join code does not exist")


@pytest.mark.parametrize(
    "change",
    [
        {"live_ended_at": "now"},
        {"status": MeetupStatus.FINISHED},
        {"status": MeetupStatus.CANCELLED},
        {"starts_at": "long ago"},
    ],
)
def test_an_expired_code_is_refused_with_a_clear_dutch_message(host, public_group, change):
    meetup = make_live(make_meetup(public_group, host), "ABCDEF")
    if "live_ended_at" in change:
        meetup.live_ended_at = timezone.now()
    if "status" in change:
        meetup.status = change["status"]
    if "starts_at" in change:  # ended more than the grace period ago
        meetup.starts_at = timezone.now() - timedelta(hours=4)
        meetup.ends_at = timezone.now() - timedelta(minutes=61)
    meetup.save()
    for response in (
        APIClient().get("/api/v1/join/ABCDEF/"),
        APIClient().post("/api/v1/join/ABCDEF/", {"display_name": "Gerda"}, format="json"),
    ):
        assert response.status_code == 410
        assert response.json() == {"code": "join_code_expired", "detail": JOIN_CODE_EXPIRED_NL}
    assert not Guest.objects.exists()


def test_a_code_still_works_within_the_grace_period(host, public_group):
    meetup = make_meetup(public_group, host, starts_at=timezone.now() - timedelta(hours=2, minutes=30))
    make_live(meetup, "ABCDEF")  # ended half an hour ago; grace is an hour
    assert APIClient().get("/api/v1/join/ABCDEF/").status_code == 200


def test_joining_is_rate_limited_per_address(settings, meetup):
    settings.KENNISCLOUD = {**settings.KENNISCLOUD, "JOIN_RATE_PER_MINUTE": 3}
    make_live(meetup, "ABCDEF")
    client = APIClient(REMOTE_ADDR="203.0.113.7")
    assert client.get("/api/v1/join/ZZZZZZ/").status_code == 404  # wrong codes count too
    assert client.get("/api/v1/join/ABCDEF/").status_code == 200
    assert client.post("/api/v1/join/ABCDEF/", {"display_name": "A"}, format="json").status_code == 200
    for response in (
        client.get("/api/v1/join/ABCDEF/"),
        APIClient(REMOTE_ADDR="203.0.113.7").post(
            "/api/v1/join/ABCDEF/", {"display_name": "B"}, format="json"
        ),
    ):
        assert response.status_code == 429
        assert response.json()["code"] == "join_rate_limited"
        assert 1 <= int(response["Retry-After"]) <= 61
        assert response.json()["retry_after"] == int(response["Retry-After"])
    assert Guest.objects.count() == 1  # the refused join made nobody
    # Another address is not affected.
    assert APIClient(REMOTE_ADDR="203.0.113.8").get("/api/v1/join/ABCDEF/").status_code == 200


# --- the live snapshot -----------------------------------------------------------------------------


def test_the_live_snapshot(api, host, member, meetup):
    from chat.services import message_send

    make_live(meetup)
    guest = make_guest(meetup)
    message_send(author=member, thread=meetup.thread, body="Hallo allemaal", client_id=uuid.uuid4())
    message_send(author=member, thread=meetup.thread, body="Nog een", client_id=uuid.uuid4())
    message_send(author=guest, thread=meetup.thread, body="Hoi!", client_id=uuid.uuid4())
    asked = api(member).post(
        f"/api/v1/meetups/{meetup.pk}/questions/", {"body": "Wat kost het?"}, format="json"
    )
    assert asked.status_code == 201, asked.json()
    response = api(member).get(f"/api/v1/meetups/{meetup.pk}/live/")
    assert response.status_code == 200
    body = response.json()
    assert body["meetup"]["id"] == meetup.pk and body["meetup"]["live"] is True
    assert [q["body"] for q in body["questions"]] == ["Wat kost het?"]
    assert body["spotlight"] is None
    assert body["participants"] == 2  # the member and the guest (who also wrote), each once


def test_the_live_snapshot_of_a_closed_group_is_hidden(api, outsider, closed_meetup):
    assert api(outsider).get(f"/api/v1/meetups/{closed_meetup.pk}/live/").status_code == 404
