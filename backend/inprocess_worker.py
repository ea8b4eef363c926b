"""The background task worker inside the server process — for the zero-configuration `make run`.

With the in-memory channel layer (no `REDIS_URL`) a separate `db_worker` process could store a
preview but never reach the server's sockets: the layer lives in the server's memory. So in that
mode the server runs the task queue itself: a loop on its event loop hands each batch of ready tasks
to a worker thread (`sync_to_async`, not thread-sensitive), and what the tasks publish through
`backend.realtime` (`async_to_sync`) comes back to this event loop and its in-memory layer.

With Redis (`REDIS_URL`), run `manage.py db_worker` processes instead (docker-compose's `worker`).
"""

from __future__ import annotations

import asyncio
import logging

from asgiref.sync import sync_to_async
from django.conf import settings

logger = logging.getLogger(__name__)

_started = False


def _run_ready_tasks() -> None:
    from django_tasks_db.management.commands.db_worker import Worker

    Worker(
        queue_names=["*"],
        excluded_queue_names=[],
        interval=0,
        batch=True,  # every ready task, then return
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="in-process",
    ).run()


async def _loop(interval: float) -> None:
    logger.info("running background tasks in the server process")
    while True:
        try:
            await sync_to_async(_run_ready_tasks, thread_sensitive=False)()
        except Exception:  # a broken task run must not end the loop
            logger.exception("in-process task worker failed; retrying")
        await asyncio.sleep(interval)


def start_if_enabled() -> None:
    """Start the loop once, on the running event loop, when KENNISCLOUD_INPROCESS_WORKER is on."""
    global _started
    if _started or not settings.KENNISCLOUD["INPROCESS_WORKER"]:
        return
    _started = True
    asyncio.get_running_loop().create_task(_loop(settings.KENNISCLOUD["INPROCESS_WORKER_INTERVAL"]))


class StartWorker:
    """ASGI middleware: starts the in-process worker with the first connection the server takes
    (daphne has no lifespan events)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        start_if_enabled()
        return await self.app(scope, receive, send)
