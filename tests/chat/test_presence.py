"""Presence on Redis: touches that arrive together share one trip and still answer each socket."""

from __future__ import annotations

import asyncio

from chat import presence


def test_touches_at_once_answer_each_socket_as_one_by_one_would(settings):
    assert settings.REDIS_URL
    store = presence._get_store()

    async def storm() -> tuple[list[bool], list[bool], list[int], int]:
        # 200 users arrive at once; user 0 with a second socket in the same burst.
        first = await asyncio.gather(
            *(presence.touch(7001, user, f"socket-{user}") for user in range(200)),
            presence.touch(7001, 0, "socket-0b"),
        )
        again = await asyncio.gather(*(presence.touch(7001, user, f"socket-{user}") for user in range(200)))
        online = await presence.online_user_ids(7001)
        pool = store._client().connection_pool
        connections = len(pool._available_connections) + len(pool._in_use_connections)
        return first, again, online, connections

    first, again, online, connections = asyncio.run(storm())
    assert first == [True] * 200 + [False]  # the second socket's user was already online
    assert again == [False] * 200
    assert online == list(range(200))
    assert connections <= 2  # not one per arriving socket


def test_a_failed_trip_fails_every_touch_in_it_and_the_next_ones_work(settings):
    store = presence._get_store()

    async def broken_then_fine() -> tuple[list[object], bool]:
        real = store._client
        store._client = lambda: real().__class__.from_url("redis://127.0.0.1:1/0")  # nothing listens
        try:
            failed = await asyncio.gather(
                *(presence.touch(7002, user, f"s-{user}") for user in range(3)), return_exceptions=True
            )
        finally:
            del store._client
        return failed, await presence.touch(7002, 1, "s-1")

    failed, recovered = asyncio.run(broken_then_fine())
    assert all(isinstance(error, Exception) for error in failed)
    assert recovered is True


def test_a_user_last_seen_before_the_ttl_counts_as_arriving_again(settings):
    store = presence._get_store()

    async def seen_long_ago() -> list[bool]:
        return [
            await store.touch(7003, 1, "s-1", now=1_000.0, since=0.0),  # never seen: arrives
            await store.touch(7003, 1, "s-1", now=1_010.0, since=500.0),  # seen at 1,000: online
            await store.touch(7003, 1, "s-2", now=5_000.0, since=2_000.0),  # last seen 1,010: gone
        ]

    assert asyncio.run(seen_long_ago()) == [True, False, True]


def test_the_online_lists_read_for_announcements_are_not_kept_past_their_use(settings):
    async def two_groups_apart() -> tuple[set[int], set[int]]:
        await presence.online_briefs(7101)
        kept_first = set(presence._briefs[asyncio.get_running_loop()])
        await asyncio.sleep(presence.ANNOUNCE_DELAY + 0.1)
        await presence.online_briefs(7102)  # a later read sweeps the lists older than their use
        return kept_first, set(presence._briefs[asyncio.get_running_loop()])

    kept_first, kept_later = asyncio.run(two_groups_apart())
    assert 7101 in kept_first
    assert kept_later == {7102}
