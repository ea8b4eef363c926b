"""The Redis channel layer's connections must outlast its own blocking reads."""

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
