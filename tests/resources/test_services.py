"""Attaching resources: through the services, with the database state and the published events
(sequenced, so catch-up replays them) — and never a way around moderation or a closed group."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from backend.exceptions import NotFound, PermissionDenied
from chat import services as chat_services
from chat.selectors import group_events_after
from groups.errors import NotAMember
from moderation import services as moderation_services
from resources import services
from resources.errors import AlreadyInCollection, InvalidIsbn, InvalidUrl, TitleRequired, TooManyResources
from resources.models import CollectionItem, MessageResource, Resource, Source, ThreadResource
from resources.selectors import access_resource, resource_discussions

pytestmark = pytest.mark.django_db


@pytest.fixture
def thread(public_group, member):
    return chat_services.thread_create(actor=member, group=public_group, title="Zonnepanelen")


@pytest.fixture
def book(library) -> Resource:
    return Resource.objects.create(
        title="Het zonnepaneel",
        kind="book",
        library=library,
        record_id="R1",
        isbn13="9789024401239",
        source=Source.CATALOGUE,
    )


def send(author, thread, body: str, resources: list[int] | None = None):
    return chat_services.message_send(
        author=author, thread=thread, body=body, client_id=uuid.uuid4(), resources=resources
    ).message


def test_resolving_identifiers_de_duplicates(member, book):
    a, _ = services.resource_resolve(actor=member, url="HTTPS://Example.org:443/pagina?utm_source=x#top")
    b, _ = services.resource_resolve(actor=member, url="https://example.org/pagina")
    assert a.pk == b.pk and a.url == "https://example.org/pagina"
    assert services.resource_resolve(actor=member, isbn="90-244-0123-2")[0].pk == book.pk  # ISBN-10 → 13
    assert services.resource_resolve(actor=member, isbn="978 90 244 0123 9")[0].pk == book.pk
    with pytest.raises(InvalidIsbn):
        services.resource_resolve(actor=member, isbn="978-90-244-0123-0")
    with pytest.raises(TitleRequired):
        services.resource_resolve(actor=member, isbn="9780306406157")
    own, _ = services.resource_resolve(
        actor=member, isbn="9780306406157", title="Eigen boek", creators=["Jan"]
    )
    assert (own.kind, own.source, own.title, own.creators) == ("book", "member", "Eigen boek", ["Jan"])
    for bad in ("javascript:alert(1)", "ftp://example.org/x", "http://user:pw@example.org/", "geen url"):
        with pytest.raises(InvalidUrl):
            services.resource_resolve(actor=member, url=bad)


def test_composer_attachments_travel_with_the_message(
    member, thread, book, layer_listener, public_group, django_capture_on_commit_callbacks
):
    layer_listener.listen(public_group)
    with django_capture_on_commit_callbacks(execute=True):
        message = send(member, thread, "Dit boek en https://example.org/artikel", resources=[book.pk])
    [event] = layer_listener.published()
    assert event["type"] == "message.created"
    cards = event["message"]["resources"]
    assert [(c["title"], c["kind"]) for c in cards] == [
        ("example.org/artikel", "website"),
        ("Het zonnepaneel", "book"),
    ]
    assert cards[0]["preview_status"] == "pending" and cards[1]["isbn13"] == "9789024401239"
    assert MessageResource.objects.filter(message=message).count() == 2


def test_a_resource_the_author_cannot_see_cannot_be_attached(member, thread, closed_group, librarian):
    secret_thread = chat_services.thread_create(actor=librarian, group=closed_group, title="Intern")
    secret = (
        send(librarian, secret_thread, "Alleen voor ons: https://example.org/geheim")
        .resource_links.get()
        .resource
    )
    outsider_view = chat_services.thread_create(actor=member, group=thread.group, title="Openbaar")
    secret_only = Resource.objects.create(title="Geheim", source=Source.MEMBER, created_by=librarian)
    ThreadResource.objects.create(thread=secret_thread, resource=secret_only, added_by=librarian)
    # `member` is in the closed group (fixture); a fresh outsider is not.
    from tests.conftest import add_member, make_user

    stranger = make_user("Vreemde")
    add_member(thread.group, stranger)
    with pytest.raises(NotFound):
        send(stranger, outsider_view, "Kijk", resources=[secret_only.pk])
    assert not MessageResource.objects.filter(resource=secret_only).exists()
    with pytest.raises(NotFound):
        access_resource(user=stranger, resource_id=secret.pk)
    assert access_resource(user=member, resource_id=secret.pk).pk == secret.pk


def test_at_most_ten_resources_per_message(member, thread, library):
    many = [
        Resource.objects.create(title=f"T{n}", library=library, record_id=f"M{n}", source=Source.CATALOGUE)
        for n in range(11)
    ]
    with pytest.raises(TooManyResources):
        send(member, thread, "Veel", resources=[r.pk for r in many])
    message = send(member, thread, "Tien", resources=[r.pk for r in many[:10]])
    with pytest.raises(TooManyResources):
        services.message_resource_attach(
            actor=member, message=message, resource=many[10], needs_preview=False
        )


def test_attaching_later_is_sequenced_and_replayed(member, other_member, thread, book, public_group):
    message = send(member, thread, "Wat vinden jullie?")
    with pytest.raises(PermissionDenied):
        services.message_resource_attach(
            actor=other_member, message=message, resource=book, needs_preview=False
        )
    before = public_group.__class__.objects.get(pk=public_group.pk).last_seq
    services.message_resource_attach(actor=member, message=message, resource=book, needs_preview=False)
    catch_up = group_events_after(group=public_group, after_seq=before)
    [event] = catch_up.events
    assert event["type"] == "message.resources" and event["seq"] == before + 1
    assert [c["title"] for c in event["message"]["resources"]] == ["Het zonnepaneel"]
    services.message_resource_detach(actor=member, message=message, resource_id=book.pk)
    assert group_events_after(group=public_group, after_seq=before).events[-1]["message"]["resources"] == []


def test_thread_sources_events_and_rights(member, other_member, host, outsider, thread, book, public_group):
    link = services.thread_resource_add(actor=member, thread=thread, resource=book)
    assert services.thread_resource_add(actor=member, thread=thread, resource=book).pk == link.pk  # no-op
    with pytest.raises(NotAMember):
        services.thread_resource_add(actor=outsider, thread=thread, resource=book)
    with pytest.raises(PermissionDenied):
        services.thread_resource_remove(actor=other_member, thread=thread, resource_id=book.pk)
    services.thread_resource_remove(actor=host, thread=thread, resource_id=book.pk)
    events = group_events_after(group=public_group, after_seq=thread.seq).events
    assert [(e["type"], e["resource"]["id"], e["thread"]) for e in events] == [
        ("thread.resource_added", book.pk, thread.pk),
        ("thread.resource_removed", book.pk, thread.pk),
    ]
    assert events[0]["by"]["display_name"] == member.display_name


def test_collections_are_curated_by_hosts_and_librarians(
    member, host, librarian, public_group, book, library
):
    other = Resource.objects.create(title="Zon", library=library, record_id="R2", source=Source.CATALOGUE)
    with pytest.raises(PermissionDenied):
        services.collection_item_add(actor=member, group=public_group, resource=book)
    first = services.collection_item_add(actor=host, group=public_group, resource=book, note="  Begin hier ")
    second = services.collection_item_add(actor=librarian, group=public_group, resource=other)
    assert (first.position, second.position, first.note) == (1, 2, "Begin hier")
    with pytest.raises(AlreadyInCollection):
        services.collection_item_add(actor=host, group=public_group, resource=book)
    services.collection_reorder(actor=host, group=public_group, item_ids=[second.pk, first.pk])
    assert list(CollectionItem.objects.filter(group=public_group).values_list("pk", flat=True)) == [
        second.pk,
        first.pk,
    ]
    from backend.exceptions import ValidationFailed

    for wrong in ([first.pk], [first.pk, first.pk], [first.pk, second.pk, 999]):
        with pytest.raises(ValidationFailed):
            services.collection_reorder(actor=host, group=public_group, item_ids=wrong)
    events = [
        e
        for e in group_events_after(group=public_group, after_seq=0).events
        if e["type"] == "collection.changed"
    ]
    assert [e["action"] for e in events] == ["added", "added", "reordered"]


def test_hidden_messages_withhold_their_resources(
    member, other_member, librarian, thread, public_group, layer_listener, django_capture_on_commit_callbacks
):
    message = send(member, thread, "Zie https://example.org/spam")
    resource = message.resource_links.get().resource
    layer_listener.listen(public_group)
    with django_capture_on_commit_callbacks(execute=True):
        moderation_services.message_hide(actor=librarian, message=message, reason="Reclame")
    [event] = [e for e in layer_listener.published() if e["type"] == "message.hidden"]
    from chat.events import redact

    assert event["message"]["resources"]  # the moderator's full form
    assert redact(event, moderator=False, viewer_id=other_member.pk)["message"]["resources"] == []
    # Nor does the hidden message count as a place where the link was discussed.
    assert resource_discussions(user=other_member, resource=resource) == []
    with pytest.raises(NotFound):
        access_resource(user=other_member, resource_id=resource.pk)


def test_an_isbn_no_library_imported_is_looked_up_in_the_remote_catalogue(member, preview_server, settings):
    """The SRU adapter against a real local HTTP server replaying a recorded response."""
    recorded = (Path(__file__).parent / "fixtures" / "sru-9789024401239.xml").read_bytes()
    preview_server.routes["/sru"] = (recorded, "application/xml; charset=utf-8")
    settings.KENNISCLOUD = {**settings.KENNISCLOUD, "SRU_URL": f"{preview_server.url}/sru"}
    book, _ = services.resource_resolve(actor=member, isbn="978-90-244-0123-9")
    assert (book.title, book.creators, book.year, book.publisher) == (
        "Warmtepompen uitgelegd: van lucht tot bodem",
        ["Vermeer, Lotte"],
        2021,
        "Uitgeverij Warmte",
    )
    assert (book.kind, book.source, book.isbn13) == ("book", "member", "9789024401239")
    [request] = preview_server.requests
    assert "query=bath.isbn%3D%229789024401239%22" in request and "recordSchema=marcxml" in request
    # Known now: no second lookup.
    assert services.resource_resolve(actor=member, isbn="9789024401239")[0].pk == book.pk
    assert len(preview_server.requests) == 1


def test_an_unreachable_remote_catalogue_asks_for_a_title(member, preview_server, settings):
    settings.KENNISCLOUD = {**settings.KENNISCLOUD, "SRU_URL": f"{preview_server.url}/bestaat-niet"}
    with pytest.raises(TitleRequired):
        services.resource_resolve(actor=member, isbn="9789024401239")


def test_a_failed_preview_is_tried_again_at_most_once_an_hour(member):
    from datetime import timedelta

    from django.utils import timezone

    resource, needs = services.resource_resolve(actor=member, url="https://example.org/kapot")
    assert needs is True and resource.preview_status == "pending"
    Resource.objects.filter(pk=resource.pk).update(preview_status="failed", previewed_at=timezone.now())
    again, needs = services.resource_resolve(actor=member, url="https://example.org/kapot")
    assert (again.pk, needs, again.preview_status) == (resource.pk, False, "failed")
    Resource.objects.filter(pk=resource.pk).update(previewed_at=timezone.now() - timedelta(hours=2))
    later, needs = services.resource_resolve(actor=member, url="https://example.org/kapot")
    assert (needs, later.preview_status) == (True, "pending")
