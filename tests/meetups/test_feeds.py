"""iCalendar, Atom and JSON feeds of the public agenda, a group and a member's own meetups."""

from __future__ import annotations

import datetime as dt
import json
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from icalendar import Calendar

from meetups.models import MeetupStatus, Rsvp
from tests.conftest import make_group
from tests.meetups.factories import make_meetup, make_room

AMS = ZoneInfo("Europe/Amsterdam")
pytestmark = pytest.mark.django_db


def _events(response) -> dict[str, object]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    assert str(cal["VERSION"]) == "2.0"
    return {str(e["SUMMARY"]): e for e in cal.walk("VEVENT")}


def _agenda(api, library):
    return api().get(f"/api/v1/libraries/{library.slug}/agenda.ics")


def test_library_agenda_parses_and_has_the_event_fields(api, library, public_group, host):
    room = make_room(library, name="Zaal Noord")
    room.branch.address = "Stationsplein 1, Testdorp"
    room.branch.save()
    meetup = make_meetup(public_group, host, title="Repair Café", room=room, description="Neem mee.")
    response = _agenda(api, library)
    event = _events(response)["Repair Café"]
    assert str(event["UID"]) == f"{meetup.uid}@kenniscloud"
    assert int(event["SEQUENCE"]) == meetup.sequence
    assert event["DTSTART"].dt == meetup.starts_at.replace(microsecond=0)  # iCalendar has seconds
    assert event["DTSTART"].dt.utcoffset() == dt.timedelta(0)
    assert event["DTEND"].dt == meetup.ends_at.replace(microsecond=0)
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["LOCATION"]) == "Zaal Noord, Centrale, Stationsplein 1, Testdorp"
    assert str(event["URL"]) == f"http://testserver/bijeenkomsten/{meetup.pk}"
    assert "Neem mee." in str(event["DESCRIPTION"])
    assert "DTSTAMP" in event
    assert library.name in str(Calendar.from_ical(response.content)["X-WR-CALNAME"])
    assert response["ETag"] and "max-age" in response["Cache-Control"]
    again = api().get(f"/api/v1/libraries/{library.slug}/agenda.ics", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_times_are_utc_across_the_dst_change(api, library, public_group, host):
    before = dt.datetime(2026, 10, 20, 19, 30, tzinfo=AMS)  # CEST, UTC+2
    after = dt.datetime(2026, 10, 27, 19, 30, tzinfo=AMS)  # CET, UTC+1 (DST ends Sun 25 Oct)
    make_meetup(public_group, host, title="Voor", starts_at=before)
    make_meetup(public_group, host, title="Na", starts_at=after)
    response = _agenda(api, library)
    events = _events(response)
    assert events["Voor"]["DTSTART"].dt == dt.datetime(2026, 10, 20, 17, 30, tzinfo=dt.UTC)
    assert events["Na"]["DTSTART"].dt == dt.datetime(2026, 10, 27, 18, 30, tzinfo=dt.UTC)
    assert b"DTSTART:20261020T173000Z" in response.content
    assert b"DTSTART:20261027T183000Z" in response.content
    for name in ("Voor", "Na"):
        local = events[name]["DTSTART"].dt.astimezone(AMS)
        assert (local.hour, local.minute) == (19, 30)


def test_cancelled_meetup_is_marked_with_a_higher_sequence_and_a_stable_uid(api, library, public_group, host):
    meetup = make_meetup(public_group, host, title="Leesclub")
    first = _events(_agenda(api, library))["Leesclub"]
    assert str(first["STATUS"]) == "CONFIRMED"
    meetup.status = MeetupStatus.CANCELLED
    meetup.cancelled_at = timezone.now()
    meetup.cancel_reason = "Ziek"
    meetup.sequence += 1
    meetup.save()
    second = _events(_agenda(api, library))["Leesclub"]
    assert str(second["STATUS"]) == "CANCELLED"
    assert int(second["SEQUENCE"]) > int(first["SEQUENCE"])
    assert str(second["UID"]) == str(first["UID"]) == f"{meetup.uid}@kenniscloud"
    assert "Ziek" in str(second["DESCRIPTION"])


def test_closed_groups_and_drafts_never_appear_in_public_feeds(
    api, library, public_group, closed_group, host
):
    make_meetup(closed_group, host, title="Geheim")
    make_meetup(public_group, host, title="Concept", status=MeetupStatus.DRAFT)
    make_meetup(public_group, host, title="Aangevraagd", status=MeetupStatus.REQUESTED)
    make_meetup(public_group, host, title="Open")
    assert set(_events(_agenda(api, library))) == {"Open"}
    assert set(_events(api().get(f"/api/v1/groups/{public_group.slug}/meetups.ics"))) == {"Open"}
    for path in ("agenda.atom", "agenda.json"):
        body = api().get(f"/api/v1/libraries/{library.slug}/{path}").content.decode()
        assert "Open" in body and "Geheim" not in body and "Concept" not in body
    # A closed group's feed does not exist, whoever asks.
    response = api(host).get(f"/api/v1/groups/{closed_group.slug}/meetups.ics")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_bad_slugs_answer_404_in_the_error_shape(api):
    for path in (
        "libraries/bestaat-niet/agenda.ics",
        "libraries/bestaat-niet/agenda.atom",
        "libraries/bestaat-niet/agenda.json",
        "groups/bestaat-niet/meetups.ics",
        "calendar/verkeerd-token.ics",
    ):
        response = api().get(f"/api/v1/{path}", HTTP_ACCEPT="text/calendar")
        assert response.status_code == 404, path
        assert response.json()["code"] == "not_found"


def test_group_feed_only_has_its_own_meetups(api, library, public_group, host, librarian):
    other = make_group(library, creator=librarian)
    make_meetup(public_group, host, title="Hier")
    make_meetup(other, librarian, title="Daar")
    events = _events(api().get(f"/api/v1/groups/{public_group.slug}/meetups.ics"))
    assert set(events) == {"Hier"}
    assert public_group.name in api().get(f"/api/v1/groups/{public_group.slug}/meetups.ics").content.decode()


def test_private_feed_has_own_rsvps_and_the_token_can_be_revoked(
    api, public_group, closed_group, member, host, outsider
):
    going = make_meetup(public_group, host, title="Ga ik heen")
    maybe = make_meetup(closed_group, host, title="Misschien")
    no = make_meetup(public_group, host, title="Niet")
    make_meetup(public_group, host, title="Niet geantwoord")
    Rsvp.objects.create(meetup=going, user=member, answer="going")
    Rsvp.objects.create(meetup=maybe, user=member, answer="maybe")
    Rsvp.objects.create(meetup=no, user=member, answer="not_going")
    Rsvp.objects.create(meetup=no, user=outsider, answer="going")

    url = api(member).get("/api/v1/me/calendar/").json()["url"]
    assert url == api(member).get("/api/v1/me/calendar/").json()["url"]  # stable until rotated
    path = url.removeprefix("http://testserver")
    response = api().get(path)
    assert response["Cache-Control"].startswith("private")
    assert set(_events(response)) == {"Ga ik heen", "Misschien"}

    new_url = api(member).post("/api/v1/me/calendar/").json()["url"]
    assert new_url != url
    old = api().get(path)
    assert old.status_code == 404 and old.json()["code"] == "not_found"
    assert set(_events(api().get(new_url.removeprefix("http://testserver")))) == {"Ga ik heen", "Misschien"}


def test_private_feed_drops_groups_the_member_can_no_longer_see(api, closed_group, member, host):
    from groups.models import Membership

    meetup = make_meetup(closed_group, host, title="Besloten")
    Rsvp.objects.create(meetup=meetup, user=member, answer="going")
    path = api(member).get("/api/v1/me/calendar/").json()["url"].removeprefix("http://testserver")
    assert set(_events(api().get(path))) == {"Besloten"}
    Membership.objects.filter(group=closed_group, user=member).delete()
    assert set(_events(api().get(path))) == set()


def test_my_calendar_needs_an_account(api):
    assert api().get("/api/v1/me/calendar/").status_code == 401
    assert api().post("/api/v1/me/calendar/").status_code == 401


def test_atom_feed_lists_upcoming_public_meetups(api, library, public_group, host):
    make_meetup(public_group, host, title="Komt nog", starts_at=timezone.now() + dt.timedelta(days=3))
    make_meetup(
        public_group,
        host,
        title="Geweest",
        starts_at=timezone.now() - dt.timedelta(days=3),
    )
    response = api().get(f"/api/v1/libraries/{library.slug}/agenda.atom")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ElementTree.fromstring(response.content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.text for e in root.findall("a:entry/a:title", ns)]
    assert titles == ["Komt nog"]


def test_json_feed_is_json_feed_1_1(api, library, public_group, host):
    starts = dt.datetime(2030, 12, 5, 19, 30, tzinfo=AMS)
    meetup = make_meetup(public_group, host, title="Kennis Werkplaats", starts_at=starts)
    response = api().get(f"/api/v1/libraries/{library.slug}/agenda.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/feed+json")
    feed = json.loads(response.content)
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["language"] == "nl"
    (item,) = feed["items"]
    assert item["id"] == f"urn:uuid:{meetup.uid}"
    assert item["url"] == f"http://testserver/bijeenkomsten/{meetup.pk}"
    assert item["_kenniscloud"]["starts_at"] == "2030-12-05T18:30:00Z"
    assert item["summary"] == "do 5 dec 2030, 19:30–21:30"
    english = json.loads(api().get(f"/api/v1/libraries/{library.slug}/agenda.json?lang=en").content)
    assert english["items"][0]["summary"] == "Thu 5 Dec 2030, 19:30–21:30"


def test_feeds_are_in_the_openapi_schema(api):
    schema = api().get("/api/v1/schema/?format=json").json()
    for path in (
        "/api/v1/libraries/{slug}/agenda.ics",
        "/api/v1/libraries/{slug}/agenda.atom",
        "/api/v1/libraries/{slug}/agenda.json",
        "/api/v1/groups/{slug}/meetups.ics",
        "/api/v1/calendar/{token}.ics",
        "/api/v1/me/calendar/",
        "/api/v1/notifications/",
        "/api/v1/notifications/read/",
    ):
        assert path in schema["paths"], path
