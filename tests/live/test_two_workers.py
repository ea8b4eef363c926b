"""Two daphne workers, real websockets clients: what one worker's client does reaches the other
worker's clients, and a client that reconnects — to either worker — catches up exactly."""

from __future__ import annotations

import asyncio
import json
import urllib.request
import uuid

import pytest
from channels.db import database_sync_to_async

from chat.models import Message, Thread
from chat.services import thread_create

from .conftest import FRAME_TIMEOUT

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

BURST = 50


@pytest.fixture
def thread(closed_group, librarian) -> Thread:
    return thread_create(actor=librarian, group=closed_group, title="Energie besparen")


@pytest.fixture
def open_thread(public_group, librarian) -> Thread:
    return thread_create(actor=librarian, group=public_group, title="Open vragen")


async def _send_and_ack(client, thread_id: int, body: str, client_id: str | None = None) -> dict:
    """Send over the socket and return the ack (the client is not subscribed: acks only)."""
    client_id = client_id or str(uuid.uuid4())
    await client.send("message.send", thread=thread_id, body=body, client_id=client_id)
    ack = await client.expect("ack")
    assert ack["client_id"] == client_id
    return ack


async def test_clients_on_different_workers_chat_with_each_other(
    workers, open_client, token_for, member, other_member, closed_group, thread
):
    anouk = await open_client(workers[0], await token_for(member))
    bram = await open_client(workers[1], await token_for(other_member))
    # Presence is shared between the workers too. (Presence follows `subscribed`: wait for Anouk's
    # before Bram subscribes, or the two could be computed in either order.)
    await anouk.subscribe(closed_group.slug)
    alone = [{"id": member.pk, "display_name": "Anouk"}]
    assert (await anouk.expect("presence", ignore=()))["online"] == alone
    await bram.subscribe(closed_group.slug)
    both = sorted([member.pk, other_member.pk])
    assert [user["id"] for user in (await anouk.expect("presence", ignore=()))["online"]] == both

    client_id = str(uuid.uuid4())
    await anouk.send("message.send", thread=thread.pk, body="Hallo vanaf worker A", client_id=client_id)
    heard = await bram.expect("message.created")
    assert heard["message"]["body"] == "Hallo vanaf worker A"
    assert heard["message"]["client_id"] == client_id
    assert heard["message"]["author"]["id"] == member.pk
    own = {frame["type"]: frame for frame in [await anouk.next(), await anouk.next()]}
    assert own["ack"]["id"] == heard["message"]["id"]
    assert own["message.created"] == heard

    await bram.send("message.send", thread=thread.pk, body="En terug vanaf B", client_id=str(uuid.uuid4()))
    answer = await anouk.expect("message.created")
    assert answer["message"]["body"] == "En terug vanaf B"
    assert answer["seq"] == heard["seq"] + 1


@pytest.mark.parametrize("reconnect_to", [0, 1], ids=["same-worker", "other-worker"])
async def test_a_client_that_reconnects_gets_exactly_what_it_missed_in_order(
    workers, open_client, token_for, member, other_member, closed_group, thread, reconnect_to
):
    reader_token = await token_for(member)
    reader = await open_client(workers[0], reader_token)
    _catch_up, subscribed = await reader.subscribe(closed_group.slug)
    last_seen = subscribed["last_seq"]
    await reader.close()

    sender = await open_client(workers[1], await token_for(other_member))
    acks = [await _send_and_ack(sender, thread.pk, f"Bericht {n}") for n in range(BURST)]

    reader = await open_client(workers[reconnect_to], reader_token)
    catch_up, subscribed = await reader.subscribe(closed_group.slug, after_seq=last_seen)
    assert [frame["type"] for frame in catch_up] == ["message.created"] * BURST
    assert [frame["seq"] for frame in catch_up] == list(range(last_seen + 1, last_seen + BURST + 1))
    assert [frame["message"]["id"] for frame in catch_up] == [ack["id"] for ack in acks]
    assert [frame["message"]["body"] for frame in catch_up] == [f"Bericht {n}" for n in range(BURST)]
    assert subscribed["last_seq"] == last_seen + BURST

    # Then live, continuing the sequence with nothing repeated in between.
    live = await _send_and_ack(sender, thread.pk, "En nu live")
    frame = await reader.expect("message.created")
    assert (frame["seq"], frame["message"]["id"]) == (last_seen + BURST + 1, live["id"])


async def test_reconnecting_while_the_other_keeps_sending_misses_and_repeats_nothing(
    workers, open_client, token_for, member, other_member, closed_group, thread
):
    """Catch-up from the database and live events from the other worker overlap here; the client
    must still see one gapless run."""
    reader_token = await token_for(member)
    reader = await open_client(workers[0], reader_token)
    _catch_up, subscribed = await reader.subscribe(closed_group.slug)
    last_seen = subscribed["last_seq"]
    await reader.close()

    sender = await open_client(workers[1], await token_for(other_member))
    some_sent = asyncio.Event()
    acks: list[dict] = []

    async def keep_sending() -> None:
        for n in range(BURST):
            acks.append(await _send_and_ack(sender, thread.pk, f"Bericht {n}"))
            if n == 9:
                some_sent.set()

    sending = asyncio.create_task(keep_sending())
    await asyncio.wait_for(some_sent.wait(), timeout=30)
    reader = await open_client(workers[0], reader_token)
    frames, _subscribed = await reader.subscribe(closed_group.slug, after_seq=last_seen)
    while not frames or frames[-1]["seq"] < last_seen + BURST:
        frames.append(await reader.expect("message.created"))
    await sending

    assert [frame["seq"] for frame in frames] == list(range(last_seen + 1, last_seen + BURST + 1))
    assert [frame["message"]["id"] for frame in frames] == [ack["id"] for ack in acks]


async def test_the_same_client_id_sent_to_two_workers_at_once_stores_one_message(
    workers, open_client, token_for, member, closed_group, thread
):
    token = await token_for(member)
    tab_a = await open_client(workers[0], token)
    tab_b = await open_client(workers[1], token)
    client_ids = [str(uuid.uuid4()) for _ in range(10)]
    for client_id in client_ids:
        frame = {"thread": thread.pk, "body": "Eén keer, hoop ik", "client_id": client_id}
        await asyncio.gather(tab_a.send("message.send", **frame), tab_b.send("message.send", **frame))
        ack_a, ack_b = await asyncio.gather(tab_a.expect("ack"), tab_b.expect("ack"))
        assert ack_a == ack_b
        assert ack_a["client_id"] == client_id

    counts = await database_sync_to_async(
        lambda: [Message.objects.filter(client_id=c).count() for c in client_ids]
    )()
    assert counts == [1] * len(client_ids)


async def test_removal_over_rest_on_one_worker_unsubscribes_sockets_on_both(
    workers,
    open_client,
    token_for,
    member,
    host,
    other_member,
    closed_group,
    thread,
    public_group,
    open_thread,
):
    token = await token_for(member)
    tabs = [await open_client(worker, token) for worker in workers]
    for tab in tabs:
        await tab.subscribe(closed_group.slug)
        await tab.subscribe(public_group.slug)

    request = urllib.request.Request(
        f"{workers[0].http_url}/api/v1/groups/{closed_group.slug}/members/{member.pk}/",
        method="DELETE",
        headers={"Authorization": f"Bearer {await token_for(host)}"},
    )
    response = await asyncio.to_thread(urllib.request.urlopen, request, timeout=FRAME_TIMEOUT)
    assert response.status == 204

    for tab in tabs:
        assert await tab.expect("unsubscribed") == {
            "type": "unsubscribed",
            "group": closed_group.slug,
            "reason": "removed",
        }
    # Nothing of the closed group after that: the public group's next event comes first.
    writer = await open_client(workers[1], await token_for(other_member))
    await _send_and_ack(writer, thread.pk, "Zonder Anouk")
    await _send_and_ack(writer, open_thread.pk, "Openbaar")
    for tab in tabs:
        frame = await tab.expect("message.created")
        assert frame["group"] == public_group.slug, json.dumps(frame)


async def test_an_oversized_frame_through_daphne_gets_an_error_and_the_socket_lives_on(
    workers, open_client, token_for, member, thread
):
    client = await open_client(workers[0], await token_for(member))
    client_id = str(uuid.uuid4())
    await client.send("message.send", thread=thread.pk, body="x" * 100 * 1024, client_id=client_id)
    error = await client.expect("error")
    assert error["code"] == "frame_too_large"
    await client.send("ping")
    await client.expect("pong")
    await _send_and_ack(client, thread.pk, "Kort genoeg")
    assert await database_sync_to_async(Message.objects.filter(client_id=client_id).count)() == 0
