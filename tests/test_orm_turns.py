"""The consumers' database calls (backend/orm_turns.py): taken in turns by Channels' one ORM thread,
in the order made, each caller answered with its own result or error."""

from __future__ import annotations

import asyncio
import threading

import pytest

from backend import orm_turns


def held(release: threading.Event) -> str:
    release.wait(30)
    return threading.current_thread().name


def where() -> str:
    return threading.current_thread().name


@pytest.fixture
def release():
    event = threading.Event()
    yield event
    event.set()


async def test_calls_made_while_the_thread_is_busy_run_after_it_on_that_thread_in_order(release):
    first = asyncio.ensure_future(orm_turns.run(held, release))
    await asyncio.sleep(0.05)  # the ORM thread is now inside `held`
    started: list[int] = []
    calls = [asyncio.ensure_future(orm_turns.run(started.append, n)) for n in range(20)]
    threads = [asyncio.ensure_future(orm_turns.run(where)) for _ in range(3)]
    done, _ = await asyncio.wait(calls + threads, timeout=0.3)
    assert done == set()  # one thread: they wait for it
    release.set()
    orm_thread = await first
    await asyncio.gather(*calls)
    assert started == list(range(20))
    assert {await task for task in threads} == {orm_thread}


async def test_a_failing_call_answers_its_caller_only(release):
    first = asyncio.ensure_future(orm_turns.run(held, release))
    await asyncio.sleep(0.05)

    def fails() -> None:
        raise ValueError("kapot")

    failing = asyncio.ensure_future(orm_turns.run(fails))
    fine = asyncio.ensure_future(orm_turns.run(where))
    release.set()
    with pytest.raises(ValueError, match="kapot"):
        await failing
    assert await fine == await first


async def test_a_call_whose_caller_is_gone_is_skipped(release):
    first = asyncio.ensure_future(orm_turns.run(held, release))
    await asyncio.sleep(0.05)
    ran: list[str] = []
    gone = asyncio.ensure_future(orm_turns.run(ran.append, "gone"))
    kept = asyncio.ensure_future(orm_turns.run(ran.append, "kept"))
    await asyncio.sleep(0)
    gone.cancel()
    release.set()
    await first
    await kept
    assert ran == ["kept"]
