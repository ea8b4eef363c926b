"""The Redis channel layer's connections must outlast its own blocking reads."""

import asyncio
import uuid

import pytest
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer


def test_idle_receive_does_not_hit_the_socket_timeout():
    # channels-redis waits for messages with BZPOPMIN(timeout=brpop_timeout); redis-py 8 reads with a
    # default 5 s socket timeout, the same 5 s, so an idle consumer would race it and crash.
    layer = get_channel_layer()
    if not isinstance(layer, RedisChannelLayer):
        pytest.skip("runs with REDIS_URL (the Redis channel layer)")
    pool = layer.create_pool(0)
    connection = pool.connection_class(**pool.connection_kwargs)  # not connected
    assert connection.socket_timeout is not None
    assert connection.socket_timeout > layer.brpop_timeout


def test_the_connection_pool_outgrows_a_burst_of_sockets():
    # redis-py 8's async pool raises (it does not wait) past max_connections, which defaults to 100:
    # ~100 sockets connecting at once crashed consumers (bench/fanout.py) before it was enlarged.
    layer = get_channel_layer()
    if not isinstance(layer, RedisChannelLayer):
        pytest.skip("runs with REDIS_URL (the Redis channel layer)")
    assert layer.create_pool(0).max_connections >= 1000


# --- process-local channels: one reader per process (backend/channel_layer.py) --------------------


@pytest.fixture
async def layer(settings):
    from backend.channel_layer import RedisChannelLayer as OurLayer

    if not settings.REDIS_URL:
        pytest.skip("runs with REDIS_URL (the Redis channel layer)")
    ours = OurLayer(
        hosts=[settings.REDIS_URL],
        prefix=f"test-local-{uuid.uuid4().hex[:8]}",
        capacity=3,  # what waits in the process for one busy consumer
        channel_capacity={"specific*": 1000},  # what Redis holds for the whole process
    )
    yield ours
    await ours.flush()
    await ours.close_pools()


async def test_a_local_channel_receives_what_is_sent_to_it_and_to_its_groups_in_order(layer):
    channel = await layer.new_channel()
    await layer.group_add("readers", channel)
    await layer.send(channel, {"type": "one"})
    await layer.group_send("readers", {"type": "two"})
    received = [await asyncio.wait_for(layer.receive(channel), 5) for _ in range(2)]
    assert [m["type"] for m in received] == ["one", "two"]


async def test_waiting_receivers_share_one_reader_and_leave_nothing_behind(layer):
    channels = [await layer.new_channel() for _ in range(200)]
    before = len(asyncio.all_tasks())
    receivers = [asyncio.ensure_future(layer.receive(c)) for c in channels]
    await asyncio.sleep(0.05)
    # One task per waiting consumer (Channels' own) and one reader for all: channels-redis ran two
    # more per waiting receive (its queue's get and the read lock's acquire).
    assert len(asyncio.all_tasks()) == before + 200 + 1
    for n, channel in enumerate(channels):
        await layer.send(channel, {"type": "hello", "n": n})
    received = await asyncio.wait_for(asyncio.gather(*receivers), 5)
    assert [m["n"] for m in received] == list(range(200))
    await asyncio.sleep(0.05)
    assert len(asyncio.all_tasks()) == before  # nobody waits: no reader


async def test_what_arrives_while_a_consumer_is_busy_waits_for_it_bounded_oldest_dropped(layer):
    busy, waiting = await layer.new_channel(), await layer.new_channel()
    listening = asyncio.ensure_future(layer.receive(waiting))
    await asyncio.sleep(0.05)
    for n in range(5):  # `busy` is not receiving now (its consumer handles a frame)
        await layer.send(busy, {"type": "m", "n": n})
    await layer.send(waiting, {"type": "after"})
    assert (await asyncio.wait_for(listening, 5))["type"] == "after"  # so the five were read
    kept = [await asyncio.wait_for(layer.receive(busy), 5) for _ in range(3)]
    assert [m["n"] for m in kept] == [2, 3, 4]  # capacity 3: the oldest went, as in channels-redis
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(layer.receive(busy), 0.3)


async def test_a_cancelled_receive_loses_nothing_sent_afterwards(layer):
    channel = await layer.new_channel()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(layer.receive(channel), 0.2)
    await layer.send(channel, {"type": "later"})
    assert (await asyncio.wait_for(layer.receive(channel), 5))["type"] == "later"


async def test_two_receivers_on_one_local_channel_are_refused(layer):
    channel = await layer.new_channel()
    first = asyncio.ensure_future(layer.receive(channel))
    await asyncio.sleep(0.01)
    with pytest.raises(RuntimeError):
        await layer.receive(channel)
    first.cancel()


async def test_a_backlog_nobody_comes_for_is_forgotten_after_the_message_expiry(settings):
    from backend.channel_layer import RedisChannelLayer as OurLayer

    if not settings.REDIS_URL:
        pytest.skip("runs with REDIS_URL (the Redis channel layer)")
    layer = OurLayer(hosts=[settings.REDIS_URL], prefix=f"test-local-{uuid.uuid4().hex[:8]}", expiry=1)
    try:
        gone, busy, waiting = [await layer.new_channel() for _ in range(3)]

        async def while_one_waits(target: str, message: dict) -> None:
            listening = asyncio.ensure_future(layer.receive(waiting))
            await asyncio.sleep(0.05)
            await layer.send(target, message)
            await layer.send(waiting, {"type": "after"})
            assert (await asyncio.wait_for(listening, 5))["type"] == "after"

        await while_one_waits(gone, {"type": "for a closed socket"})
        await asyncio.sleep(1.2)  # past the expiry; the next new backlog sweeps
        await while_one_waits(busy, {"type": "for a busy socket"})
        assert (await asyncio.wait_for(layer.receive(busy), 5))["type"] == "for a busy socket"
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(layer.receive(gone), 0.3)
    finally:
        await layer.flush()
        await layer.close_pools()
