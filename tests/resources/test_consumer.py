"""`message.send` with attachments over the WebSocket: bad input gets a typed error, stores
nothing, and the socket keeps working."""

from __future__ import annotations

import uuid

import pytest
from channels.db import database_sync_to_async

from chat.models import Message
from resources.models import Resource, Source

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("resources", "code"),
    [
        ("abc", "validation_error"),
        ([0], "validation_error"),
        ([{"id": 1}], "validation_error"),
        (list(range(1, 12)), "validation_error"),
        ([10**12], "not_found"),
        ([2**70], "validation_error"),
    ],
)
async def test_bad_attachments_are_refused_and_nothing_is_stored(
    connect, public_group, public_thread, member, resources, code
):
    _ok, ws = await connect(member)
    await ws.subscribe(public_group)
    await ws.send(
        "message.send",
        thread=public_thread.pk,
        body="Hallo",
        client_id=str(uuid.uuid4()),
        resources=resources,
    )
    error = await ws.expect("error")
    assert error["code"] == code
    assert not await database_sync_to_async(Message.objects.exists)()
    await ws.ping()  # still open


async def test_a_catalogue_book_is_sent_with_the_message(
    connect, public_group, public_thread, member, library
):
    book = await database_sync_to_async(Resource.objects.create)(
        title="Het zonnepaneel", kind="book", library=library, record_id="R1", source=Source.CATALOGUE
    )
    _ok, ws = await connect(member)
    await ws.subscribe(public_group)
    await ws.send(
        "message.send",
        thread=public_thread.pk,
        body="Lees dit",
        client_id=str(uuid.uuid4()),
        resources=[book.pk],
    )
    frames = [await ws.next(ignore=("presence", "thread.suggestions")) for _ in range(2)]
    created = next(f for f in frames if f["type"] == "message.created")
    assert {f["type"] for f in frames} == {"ack", "message.created"}
    assert [r["title"] for r in created["message"]["resources"]] == ["Het zonnepaneel"]


async def test_a_closed_groups_resource_events_reach_only_its_members(
    connect, public_group, closed_group, member, outsider, librarian, library
):
    from chat import services as chat_services
    from resources import services

    def setup():
        thread = chat_services.thread_create(actor=librarian, group=closed_group, title="Intern")
        book = Resource.objects.create(
            title="Geheim", library=library, record_id="G1", source=Source.CATALOGUE
        )
        return thread, book

    thread, book = await database_sync_to_async(setup)()
    _ok, inside = await connect(member)
    _ok, outside = await connect(outsider)
    await inside.subscribe(closed_group)
    await outside.subscribe(public_group)
    await outside.send("subscribe", group=closed_group.slug)
    assert (await outside.expect("error"))["code"] == "not_found"

    await database_sync_to_async(services.thread_resource_add)(actor=librarian, thread=thread, resource=book)
    added = await inside.expect("thread.resource_added")
    assert added["resource"]["title"] == "Geheim" and added["thread"] == thread.pk
    await outside.ping()  # nothing of the closed group arrived before the pong
