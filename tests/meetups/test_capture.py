"""Finishing a meetup and its knowledge summary: the draft made from a scripted evening, editing,
publishing, and who sees what (docs/meetups.md, "Summary")."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from chat import services as chat_services
from chat.models import GroupEvent, Message
from meetups.models import Guest, Meetup, MeetupStatus, Rsvp, Summary
from resources.models import MessageResource, Resource, Source, ThreadResource
from tests.conftest import add_member, make_user
from tests.meetups.factories import make_meetup


def say(author, meetup, body: str) -> Message:
    return chat_services.message_send(
        author=author, thread=meetup.thread, body=body, client_id=uuid.uuid4()
    ).message


def finish(api, user, meetup):
    return api(user).post(f"/api/v1/meetups/{meetup.pk}/finish/")


def summary_of(api, user, meetup):
    return api(user).get(f"/api/v1/meetups/{meetup.pk}/summary/")


@pytest.fixture
def evening(api, public_group, host, member, other_member):
    """A meetup that took place: RSVPs, a conversation with a pinned message and shared resources,
    a guest, and questions with votes, one of them answered."""
    meetup = make_meetup(public_group, host, starts_at=timezone.now() - timedelta(hours=2))
    waiting, doubter = make_user("Wachtend"), make_user("Twijfel")
    for user in (waiting, doubter):
        add_member(public_group, user)
    Rsvp.objects.create(meetup=meetup, user=member, answer="going")
    Rsvp.objects.create(meetup=meetup, user=other_member, answer="going")
    Rsvp.objects.create(meetup=meetup, user=waiting, answer="going", waitlisted_at=timezone.now())
    Rsvp.objects.create(meetup=meetup, user=doubter, answer="maybe")
    guest = make_user("Bezoeker", is_guest=True)
    Guest.objects.create(user=guest, meetup=meetup, expires_at=timezone.now() + timedelta(hours=1))

    say(member, meetup, "Welkom allemaal!")
    pinned = say(host, meetup, "Kernpunt: eerst isoleren,\ndan pas een warmtepomp.")
    chat_services.message_set_pinned(message=pinned, pinned=True)
    with_link = say(other_member, meetup, "Dit artikel hielp mij")
    article = Resource.objects.create(
        title="Isoleren [stap voor stap]", url="https://example.org/isoleren", source=Source.PREVIEW
    )
    MessageResource.objects.create(message=with_link, resource=article, origin="attached")
    gone = say(member, meetup, "Oeps, verkeerde link")
    hidden_resource = Resource.objects.create(title="Weggehaald", url="https://example.org/weg")
    MessageResource.objects.create(message=gone, resource=hidden_resource)
    Message.objects.filter(pk=gone.pk).update(deleted_at=timezone.now())
    book = Resource.objects.create(title="Het warmtepompboek", source=Source.MEMBER)
    ThreadResource.objects.create(thread=meetup.thread, resource=book, added_by=host)
    hidden_pin = say(member, meetup, "Verborgen pin")
    Message.objects.filter(pk=hidden_pin.pk).update(pinned_at=timezone.now(), hidden_at=timezone.now())

    def ask(user, body):
        return (
            api(user)
            .post(f"/api/v1/meetups/{meetup.pk}/questions/", {"body": body}, format="json")
            .json()["id"]
        )

    low = ask(member, "Wat kost het?")
    top = ask(other_member, "Werkt het in een oud huis?")
    mid = ask(member, "Subsidie?")
    withdrawn = ask(other_member, "Laat maar")
    for voter in (member, other_member, host):
        api(voter).put(f"/api/v1/questions/{top}/vote/")
    for voter in (host, other_member):
        api(voter).put(f"/api/v1/questions/{mid}/vote/")
    api(host).post(f"/api/v1/questions/{mid}/state/", {"state": "answered"}, format="json")
    api(other_member).delete(f"/api/v1/questions/{withdrawn}/")
    return {
        "meetup": meetup,
        "questions": (top, mid, low),
        "article": article,
        "book": book,
        "pinned": pinned,
    }


def test_finishing_drafts_the_summary_from_what_happened(api, evening, host, member):
    meetup = evening["meetup"]
    response = finish(api, host, meetup)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "finished" and response.json()["finished_at"]
    assert Meetup.objects.get(pk=meetup.pk).status == MeetupStatus.FINISHED

    draft = summary_of(api, host, meetup).json()
    assert draft["state"] == "draft" and draft["published_at"] is None and draft["meetup"] == meetup.pk
    facts = draft["facts"]
    # Live messages only: the deleted and the hidden message do not count.
    assert facts["participants"] == {"rsvp_going": 2, "in_conversation": 3, "guests": 1, "messages": 3}
    top, mid, low = evening["questions"]
    assert [(q["id"], q["votes"], q["answered"]) for q in facts["questions"]] == [
        (top, 3, False),
        (mid, 2, True),
        (low, 0, False),
    ]
    assert {r["id"] for r in facts["resources"]} == {evening["article"].pk, evening["book"].pk}
    pinned = evening["pinned"]
    assert facts["pinned"] == [
        {
            "id": pinned.pk,
            "author": {"id": host.pk, "display_name": host.display_name},
            "body": pinned.body,
            "url": f"/groups/{meetup.group.slug}/threads/{meetup.thread_id}#message-{pinned.pk}",
        }
    ]
    body = draft["body"]
    assert body.startswith(f"# {meetup.title}\n")
    positions = [body.index(text) for text in ("Werkt het in een oud huis?", "Subsidie?", "Wat kost het?")]
    assert positions == sorted(positions)
    assert "Laat maar" not in body and "Verborgen pin" not in body and "Weggehaald" not in body
    assert "Subsidie? (" in body and "✓" in body.split("Subsidie?")[1].split("\n")[0]
    assert "✓" not in body.split("Werkt het in een oud huis?")[1].split("\n")[0]
    assert f"(/resources/{evening['article'].pk})" in body and "https://example.org/isoleren" in body
    assert "> Kernpunt: eerst isoleren,\n> dan pas een warmtepomp." in body
    html = draft["html"]
    assert "<blockquote>" in html and f'href="/resources/{evening["book"].pk}"' in html
    assert "<script" not in html

    # Drafts are for hosts only.
    assert summary_of(api, member, meetup).status_code == 404
    assert summary_of(api, None, meetup).status_code == 404


def test_finishing_is_idempotent_and_keeps_edits(api, evening, host):
    meetup = evening["meetup"]
    finish(api, host, meetup)
    api(host).patch(f"/api/v1/meetups/{meetup.pk}/summary/", {"body": "Eigen tekst"}, format="json")
    changed = GroupEvent.objects.filter(group=meetup.group, type="meetup.changed").count()
    again = finish(api, host, meetup)
    assert again.status_code == 200 and again.json()["status"] == "finished"
    assert Summary.objects.get(meetup=meetup).body == "Eigen tekst"
    assert GroupEvent.objects.filter(group=meetup.group, type="meetup.changed").count() == changed


def test_a_live_meetup_ends_live_mode_when_it_finishes(api, evening, host):
    meetup = evening["meetup"]
    Meetup.objects.filter(pk=meetup.pk).update(live_started_at=timezone.now(), join_code="ABCDEF")
    assert finish(api, host, meetup).json()["live"] is False
    assert Meetup.objects.get(pk=meetup.pk).live_ended_at is not None


def test_only_published_meetups_finish_and_only_hosts_finish_them(api, public_group, host, member):
    draft = make_meetup(public_group, host, status=MeetupStatus.DRAFT)
    response = finish(api, host, draft)
    assert (response.status_code, response.json()["code"]) == (409, "meetup_not_published")
    published = make_meetup(public_group, host)
    assert finish(api, member, published).status_code == 403
    assert not Summary.objects.exists()


def test_hosts_edit_the_markdown(api, evening, host, member):
    meetup = evening["meetup"]
    finish(api, host, meetup)
    url = f"/api/v1/meetups/{meetup.pk}/summary/"
    edited = api(host).patch(url, {"body": "## Terugblik\n\n**Mooi** <b>avond</b>"}, format="json")
    assert edited.status_code == 200
    assert (
        edited.json()["html"] == "<h2>Terugblik</h2>\n<p><strong>Mooi</strong> &lt;b&gt;avond&lt;/b&gt;</p>"
    )
    empty = api(host).patch(url, {"body": "  "}, format="json")
    assert (empty.status_code, empty.json()["code"]) == (400, "summary_empty")
    too_long = api(host).patch(url, {"body": "x" * 20001}, format="json")
    assert (too_long.status_code, too_long.json()["code"]) == (400, "summary_too_long")
    assert api(member).patch(url, {"body": "Van mij"}, format="json").status_code == 403


def test_publishing_shows_it_to_members_and_records_the_event(api, evening, host, member, outsider):
    meetup = evening["meetup"]
    finish(api, host, meetup)
    assert api(member).post(f"/api/v1/meetups/{meetup.pk}/summary/publish/").status_code == 403
    published = api(host).post(f"/api/v1/meetups/{meetup.pk}/summary/publish/")
    assert published.status_code == 200
    body = published.json()
    assert body["state"] == "published" and body["published_by"]["id"] == host.pk
    event = GroupEvent.objects.filter(group=meetup.group, type="meetup.summary").get()
    assert event.payload == {
        "meetup": meetup.pk,
        "summary": {"state": "published", "published_at": body["published_at"]},
    }
    for viewer in (member, outsider, None):  # a public group
        seen = summary_of(api, viewer, meetup)
        assert seen.status_code == 200 and seen.json()["body"] == body["body"]
    # Publishing again changes nothing.
    api(host).post(f"/api/v1/meetups/{meetup.pk}/summary/publish/")
    assert GroupEvent.objects.filter(group=meetup.group, type="meetup.summary").count() == 1
    listed = api(member).get(f"/api/v1/groups/{meetup.group.slug}/summaries/").json()
    assert [s["meetup"] for s in listed] == [
        {
            "id": meetup.pk,
            "title": meetup.title,
            "starts_at": meetup.starts_at.isoformat().replace("+00:00", "Z"),
            "thread": meetup.thread_id,
        }
    ]
    assert api(member).get(f"/api/v1/meetups/{meetup.pk}/").json()["summary"]["state"] == "published"


def test_group_summaries_list_the_published_newest_first(api, public_group, host, member):
    first, second, unpublished = (make_meetup(public_group, host, title=f"Avond {n}") for n in range(3))
    for meetup in (first, second, unpublished):
        finish(api, host, meetup)
    for meetup in (first, second):
        api(host).post(f"/api/v1/meetups/{meetup.pk}/summary/publish/")
    listed = api(member).get(f"/api/v1/groups/{public_group.slug}/summaries/").json()
    assert [s["meetup"]["id"] for s in listed] == [second.pk, first.pk]


def test_closed_group_summaries_are_invisible_to_outsiders(api, closed_group, host, member, outsider):
    meetup = make_meetup(closed_group, host)
    finish(api, host, meetup)
    api(host).post(f"/api/v1/meetups/{meetup.pk}/summary/publish/")
    assert summary_of(api, member, meetup).status_code == 200
    for viewer in (outsider, None):
        assert summary_of(api, viewer, meetup).status_code == 404
        assert api(viewer).get(f"/api/v1/groups/{closed_group.slug}/summaries/").status_code == 404
    assert finish(api, outsider, meetup).status_code == 404
    assert api(outsider).post(f"/api/v1/meetups/{meetup.pk}/summary/publish/").status_code == 404


def test_the_draft_is_dutch_by_default(api, public_group, host):
    meetup = make_meetup(public_group, host, starts_at=datetime(2026, 12, 3, 18, 30, tzinfo=UTC))
    finish(api, host, meetup)
    body = Summary.objects.get(meetup=meetup).body
    assert "do 3 dec 2026, 19:30–21:30" in body
