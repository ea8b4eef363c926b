"""History pages (`GET /api/v1/threads/<id>/messages/`, with cursors, and `?after_seq=` catch-up):
every kind of viewer gets each message as it should see it, page by page in both directions, and
a closed group stays NotFound for those who may not see it — in a bounded number of statements.

The history is read with plain SQL (chat.selectors.access_thread_to_read, message_page). The
expected payloads here come from the ORM instead: each message read on its own with
`Message.objects.get`, its reactions and resources through their related managers, the viewer's
moderator role from moderation.selectors.is_moderator — and the few facts that matter most
(hidden text, held messages, reactions, a resource's library and image) are also spelled out."""

from __future__ import annotations

import base64
import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from accounts.services import api_token_create
from chat import services as chat_services
from chat.events import full_view, message_payload
from chat.models import Message
from moderation import services as moderation_services
from moderation.selectors import is_moderator
from resources import services as resource_services
from resources.models import Resource, ResourceImage, Source
from tests.chat.conftest import make_thread
from tests.conftest import PASSWORD
from tests.meetups.factories import make_guest, make_live, make_meetup

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

# Who reads, and whether they read as a moderator (hidden and removed messages in full, marked).
VIEWERS = {
    "member": False,
    "host": True,
    "librarian": True,
    "staff": True,
    "outsider": False,
    "guest": False,
    "anonymous": False,
}


def send(author, thread, body: str) -> Message:
    return chat_services.message_send(author=author, thread=thread, body=body, client_id=uuid.uuid4()).message


@pytest.fixture
def people(member, other_member, host, librarian, staff, outsider):
    return {
        "member": member,
        "other": other_member,
        "host": host,
        "librarian": librarian,
        "staff": staff,
        "outsider": outsider,
    }


@pytest.fixture
def history(public_group, library, people):
    """The conversation of a live meetup of the public group (so its guest reads it too), with a
    message in every state a viewer sees differently, and enough plain ones for several pages."""
    member, other, host, librarian = people["member"], people["other"], people["host"], people["librarian"]
    meetup = make_live(make_meetup(public_group, host))
    guest = make_guest(meetup)
    thread = meetup.thread
    said = {}
    said["plain"] = send(other, thread, "Wie heeft er ervaring met **zonnepanelen**?")
    said["reacted"] = send(member, thread, "Ik! Sinds vorig jaar.")
    chat_services.reaction_add(actor=other, message=said["reacted"], emoji="👍")
    chat_services.reaction_add(actor=host, message=said["reacted"], emoji="🎉")
    chat_services.reaction_add(actor=member, message=said["reacted"], emoji="👍")
    said["link"] = send(other, thread, "Zie https://example.org/zon en https://example.org/dak")
    said["book"] = send(member, thread, "Dit boek hielp mij")
    book = Resource.objects.create(
        title="Het zonnepaneel", kind="book", library=library, record_id="R1", source=Source.CATALOGUE
    )
    ResourceImage.objects.create(resource=book, content_type="image/png", data=b"png", sha256="0" * 64)
    resource_services.message_resource_attach(
        actor=member, message=said["book"], resource=book, needs_preview=False
    )
    said["hidden"] = send(other, thread, "Koop mijn panelen https://example.org/koop")
    chat_services.reaction_add(actor=member, message=said["hidden"], emoji="❤️")
    moderation_services.message_hide(actor=host, message=said["hidden"], reason="reclame")
    said["held_own"] = send(member, thread, "Even wachten op de moderator")
    said["held_other"] = send(other, thread, "Ook ik wacht")
    Message.objects.filter(pk__in=[said["held_own"].pk, said["held_other"].pk]).update(
        held_at=timezone.now(), moderation_reason="nieuw lid"
    )
    said["removed"] = send(other, thread, "Iets wat niet mag")
    moderation_services.message_remove(actor=librarian, message=said["removed"], reason="spam")
    said["deleted"] = send(member, thread, "Foutje")
    chat_services.message_delete(actor=member, message=said["deleted"])
    said["pinned"] = send(host, thread, "Welkom allemaal!")
    moderation_services.message_pin(actor=host, message=said["pinned"], pinned=True)
    said["edited"] = send(member, thread, "Eerste versie")
    chat_services.message_edit(actor=member, message=said["edited"], body="Tweede _versie_")
    said["guest"] = send(guest, thread, "Hallo vanuit de zaal")
    for n in range(9):
        send([member, other, host][n % 3], thread, f"bericht {n}")
    return {"thread": thread, "guest": guest, "said": said, "group": public_group}


def client_for(kind: str, people: dict, guest) -> tuple[APIClient, object]:
    """A client as each kind of viewer reaches the API: a personal token (bots, the benchmark),
    a browser session, or a forced login; anonymous without any."""
    client = APIClient()
    if kind == "anonymous":
        return client, None
    user = guest if kind == "guest" else people[kind]
    if kind in ("member", "staff"):
        _token, raw = api_token_create(email=user.email, password=PASSWORD, name="script")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    elif kind in ("librarian", "guest"):
        client.force_login(user)
    else:
        client.force_authenticate(user)
    return client, user


def expected_payload(message_id: int, *, viewer, moderator: bool, group_slug: str) -> dict:
    """The message as this viewer should see it, read through the ORM without prefetches."""
    message = Message.objects.select_related("author").get(pk=message_id)
    full = full_view(message, moderator=moderator, viewer_id=viewer.pk if viewer else None)
    return message_payload(message, group_slug=group_slug, full=full)


def rendered(data) -> bytes:
    return JSONRenderer().render(data)


def newest_first(thread) -> list[int]:
    return list(Message.objects.filter(thread=thread).order_by("-seq").values_list("pk", flat=True))


def path(url: str) -> str:
    return url.removeprefix("http://testserver")


def walk(client, thread, page_size: int) -> list[dict]:
    """Every page from the newest, following `next`, then back from the oldest, following `previous`."""
    response = client.get(f"/api/v1/threads/{thread.pk}/messages/?page_size={page_size}")
    pages = [response]
    while response.json()["next"]:
        response = client.get(path(response.json()["next"]))
        pages.append(response)
    while response.json()["previous"]:
        response = client.get(path(response.json()["previous"]))
        pages.append(response)
    return pages


@pytest.mark.parametrize("kind", list(VIEWERS))
def test_every_viewer_gets_every_message_as_it_should_see_it(kind, people, history):
    thread, slug = history["thread"], history["group"].slug
    client, viewer = client_for(kind, people, history["guest"])
    moderator = VIEWERS[kind]
    if viewer is not None:
        assert is_moderator(viewer, history["group"]) is moderator

    ids = newest_first(thread)
    chunks = [ids[i : i + 4] for i in range(0, len(ids), 4)]
    pages = walk(client, thread, page_size=4)

    assert len(pages) == 2 * len(chunks) - 1  # forward through all, back to the first
    assert [[m["id"] for m in p.json()["results"]] for p in pages] == chunks + chunks[-2::-1]
    for response in pages:
        assert response.status_code == 200
        body = response.json()
        expected = [
            expected_payload(m["id"], viewer=viewer, moderator=moderator, group_slug=slug)
            for m in body["results"]
        ]
        # Byte for byte: the same payloads, in the same JSON.
        assert response.content == rendered(
            {"next": body["next"], "previous": body["previous"], "results": expected}
        )

    catch_up_from = history["said"]["book"].seq
    response = client.get(f"/api/v1/threads/{thread.pk}/messages/?after_seq={catch_up_from}")
    later = list(reversed([i for i in ids if Message.objects.get(pk=i).seq > catch_up_from]))
    assert response.content == rendered(
        {
            "results": [
                expected_payload(i, viewer=viewer, moderator=moderator, group_slug=slug) for i in later
            ],
            "complete": True,
        }
    )

    seen = {m["id"]: m for p in pages for m in p.json()["results"]}
    said = {name: seen[m.pk] for name, m in history["said"].items()}
    member, other, host = people["member"], people["other"], people["host"]
    assert said["reacted"]["reactions"] == [
        {"emoji": "👍", "count": 2, "users": [other.pk, member.pk]},
        {"emoji": "🎉", "count": 1, "users": [host.pk]},
    ]
    assert [r["url"] for r in said["link"]["resources"]] == [
        "https://example.org/zon",
        "https://example.org/dak",
    ]
    [book] = said["book"]["resources"]
    assert (book["title"], book["library"], book["image"]) == (
        "Het zonnepaneel",
        history["group"].library.slug,
        f"/api/v1/resources/{book['id']}/image/",
    )
    assert said["hidden"]["moderation"] == {"state": "hidden", "reason": "reclame"}
    assert said["removed"]["moderation"] == {"state": "removed", "reason": "spam"}
    assert said["pinned"]["pinned"] is True
    assert said["edited"]["edited_at"] is not None and said["edited"]["body"] == "Tweede _versie_"
    assert said["deleted"]["deleted"] is True and said["deleted"]["body"] == ""
    assert said["guest"]["author"]["display_name"] == "Gast Gerda"
    if moderator:
        assert said["hidden"]["body"] == "Koop mijn panelen https://example.org/koop"
        assert [r["emoji"] for r in said["hidden"]["reactions"]] == ["❤️"]
        assert len(said["hidden"]["resources"]) == 1
        assert (said["removed"]["body"], said["removed"]["deleted"]) == ("Iets wat niet mag", False)
        assert said["held_other"]["body"] == "Ook ik wacht"
    else:
        assert (said["hidden"]["body"], said["hidden"]["reactions"], said["hidden"]["resources"]) == (
            "",
            [],
            [],
        )
        assert (said["removed"]["body"], said["removed"]["deleted"]) == ("", True)
        assert said["held_other"]["body"] == ""
    own_held = "Even wachten op de moderator" if moderator or kind == "member" else ""
    assert said["held_own"]["body"] == own_held


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("member", 200),
        ("host", 200),
        ("librarian", 200),
        ("staff", 200),
        ("outsider", 404),
        ("guest", 404),
        ("anonymous", 404),
    ],
)
def test_a_closed_group_is_not_found_for_those_who_may_not_see_it(
    kind, status, people, history, closed_group
):
    thread = make_thread(closed_group, people["librarian"], "Binnenkamer")
    message = send(people["member"], thread, "Alleen voor leden")
    client, viewer = client_for(kind, people, history["guest"])
    missing = client.get("/api/v1/threads/999999999/messages/")

    for url in (
        f"/api/v1/threads/{thread.pk}/messages/",
        f"/api/v1/threads/{thread.pk}/messages/?after_seq=0",
    ):
        response = client.get(url)
        assert response.status_code == status, response.content
        if status == 404:
            assert response.content == missing.content  # exactly like a thread that does not exist
        else:
            [seen] = response.json()["results"]
            assert seen == expected_payload(
                message.pk, viewer=viewer, moderator=VIEWERS[kind], group_slug=closed_group.slug
            )


def cursor(query: str) -> str:
    return base64.b64encode(query.encode()).decode()


def test_cursors_as_drf_reads_them(people, history):
    """Offsets, reversed cursors and positions beyond every seq read the rows the ORM would."""
    thread = history["thread"]
    client, _ = client_for("member", people, history["guest"])
    seqs = list(Message.objects.filter(thread=thread).order_by("-seq").values_list("seq", flat=True))
    ids_by_seq = dict(Message.objects.filter(thread=thread).values_list("seq", "pk"))
    at = seqs[6]

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/v1/threads/{thread.pk}/messages/?page_size=4&cursor={cursor(query)}")
        assert response.status_code == 200, response.content
        return [m["id"] for m in response.json()["results"]]

    older = [s for s in seqs if s < at]
    newer = sorted(s for s in seqs if s > at)
    assert ids(f"p={at}") == [ids_by_seq[s] for s in older[:4]]
    assert ids(f"o=2&p={at}") == [ids_by_seq[s] for s in older[2:6]]
    assert ids(f"r=1&p={at}") == [ids_by_seq[s] for s in reversed(newer[:4])]
    assert ids(f"o=1&r=1&p={at}") == [ids_by_seq[s] for s in reversed(newer[1:5])]
    assert ids("o=3") == [ids_by_seq[s] for s in seqs[3:7]]
    beyond = 10**30  # more than any BigIntegerField holds
    assert ids(f"p={beyond}") == [ids_by_seq[s] for s in seqs[:4]]
    assert ids(f"r=1&p={beyond}") == []
    assert ids(f"p=-{beyond}") == []
    assert ids(f"r=1&p=-{beyond}") == [ids_by_seq[s] for s in reversed(sorted(seqs)[:4])]
    response = client.get(f"/api/v1/threads/{thread.pk}/messages/?after_seq={beyond}")
    assert response.json() == {"results": [], "complete": True}


def queries_for(client, url: str) -> list[str]:
    assert client.get(url).status_code == 200  # warm: a token's last use, per-process caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def test_a_page_without_reactions_or_resources_is_two_statements(people, public_group, settings):
    """The access check with the viewer's standing, then the page with its authors — also for
    anonymous readers and staff; a personal token adds its own lookup."""
    settings.KENNISCLOUD = {**settings.KENNISCLOUD, "RATE_LIMIT_MESSAGES": 100}
    thread = make_thread(public_group, people["librarian"], "Rustig gesprek")
    for n in range(60):
        send(people["other"], thread, f"bericht {n}")
    url = f"/api/v1/threads/{thread.pk}/messages/"
    for user in (people["member"], people["host"], people["staff"], None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        assert len(queries_for(client, url)) == 2
        assert len(queries_for(client, f"{url}?after_seq=0")) == 2
        assert len(client.get(url).json()["results"]) == 50

    token_client, _ = client_for("member", people, None)
    assert len(queries_for(token_client, url)) == 3


def test_reactions_and_resources_take_one_statement_each(people, history):
    client = APIClient()
    client.force_authenticate(people["member"])
    url = f"/api/v1/threads/{history['thread'].pk}/messages/?page_size=50"
    sql = queries_for(client, url)
    assert len(sql) == 4, "\n".join(sql)
    assert len(queries_for(client, f"/api/v1/threads/{history['thread'].pk}/messages/?after_seq=0")) == 4
    # Only the messages that have any are asked about.
    said = history["said"]
    [reactions] = [s for s in sql if s.startswith('SELECT "chat_reaction"')]
    asked = set(re.search(r"IN \(([^)]*)\)", reactions).group(1).split(", "))
    assert asked == {str(said["reacted"].pk), str(said["hidden"].pk)}
    [links] = [s for s in sql if s.startswith('SELECT "resources_messageresource"')]
    asked = set(re.search(r"IN \(([^)]*)\)", links).group(1).split(", "))
    assert asked == {str(said[name].pk) for name in ("link", "book", "hidden")}
