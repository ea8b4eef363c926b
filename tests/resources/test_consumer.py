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
