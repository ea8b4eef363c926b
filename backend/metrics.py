"""Prometheus metrics of this server process (issue #7, part 4).

Every process keeps its own registry; `GET /metrics` serves it (scrape every worker: each counts
only its own sockets and deliveries). Features count through the objects and helpers below and
nothing else. The task queue depth is read from the database when scraped, so any process reports it.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import time
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

REGISTRY = CollectorRegistry(auto_describe=True)

OPEN_SOCKETS = Gauge(
    "kenniscloud_open_sockets", "WebSocket connections open on this process.", registry=REGISTRY
)
GROUP_SOCKETS = Gauge(
    "kenniscloud_group_sockets",
    "Subscriptions of sockets to knowledge groups on this process (one per socket and group).",
    registry=REGISTRY,
)
GROUP_CHANNELS = Gauge(
    "kenniscloud_group_channels",
    "Knowledge groups whose Redis pub/sub channel this process subscribes to (backend/broadcast.py).",
    registry=REGISTRY,
)
MESSAGES = Counter("kenniscloud_messages", "Messages stored by this process.", registry=REGISTRY)
DELIVERIES = Counter(
    "kenniscloud_deliveries", "Sequenced events written to sockets by this process.", registry=REGISTRY
)
DELIVERY_LAG = Histogram(
    "kenniscloud_delivery_lag_seconds",
    "Time from an event's commit until its frame was written to the last of this process's sockets "
    "(one observation per event and process).",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
DROPPED_DELIVERIES = Counter(
    "kenniscloud_dropped_deliveries",
    "Deliveries that did not reach a socket live (the client catches up by seq), by reason.",
    ["reason"],
    registry=REGISTRY,
)
REORDERED = Counter(
    "kenniscloud_reordered_events",
    "Sequenced frames that reached this process ahead of an earlier one (two publishers' frames "
    "crossed) and were held until it came (backend/broadcast.py), by outcome: `in_order` (it came) "
    "or `expired` (it did not within the hold; the sockets filled the gap from the event log).",
    ["outcome"],
    registry=REGISTRY,
)
GAP_FILLS = Counter(
    "kenniscloud_gap_fills",
    "Times a socket found a gap in the live events and filled it from the event log.",
    registry=REGISTRY,
)


def delivered(committed_at: float | None = None, *, count: int = 1) -> None:
    """A sequenced event frame was written to `count` sockets; `committed_at` (epoch seconds, set
    by backend.realtime when the event's transaction committed) for live events, None for catch-up.
    The live fan-out counts once per event and process, after writing to its last socket."""
    DELIVERIES.inc(count)
    if committed_at is not None:
        # Wall clocks of two hosts may differ a little: never a negative lag.
        DELIVERY_LAG.observe(max(0.0, time.time() - committed_at))


def gap_filled(missed: int, *, reason: str = "gap") -> None:
    """A socket filled a gap from the event log: `missed` events had not arrived live. Reasons:
    `gap` — a later event arrived first (the missed ones were dropped, or overtaken in the channel
    layer); `ping` — at a ping the log was ahead of the socket (dropped, or still on their way: under
    heavy load this counts deliveries that were merely late)."""
    GAP_FILLS.inc()
    if missed > 0:
        DROPPED_DELIVERIES.labels(reason=reason).inc(missed)


# --- the task queue, read when scraped ------------------------------------------------------------

TASK_QUEUE_NAME = "kenniscloud_task_queue_depth"
TASK_QUEUE_HELP = (
    "Background tasks not started yet, by queue; state ready (due) or waiting (run_after later)."
)


class TaskQueueCollector(Collector):
    """django-tasks-db's rows in status READY: due ones are `ready`, those with a later `run_after`
    are `waiting`. One grouped query per scrape."""

    def describe(self) -> Iterable[Metric]:
        # Without this, registering would run collect() (a query) at import time.
        return [GaugeMetricFamily(TASK_QUEUE_NAME, TASK_QUEUE_HELP, labels=["queue", "state"])]

    def collect(self) -> Iterator[Metric]:
        from django.db.models import Case, Count, Q, Value, When
        from django.utils import timezone
        from django_tasks_db.compat import TaskResultStatus
        from django_tasks_db.models import DBTaskResult, get_date_max

        family = GaugeMetricFamily(TASK_QUEUE_NAME, TASK_QUEUE_HELP, labels=["queue", "state"])
        due = Q(run_after=get_date_max()) | Q(run_after__lte=timezone.now())
        try:
            rows = list(
                DBTaskResult.objects.filter(status=TaskResultStatus.READY)
                .annotate(state=Case(When(due, then=Value("ready")), default=Value("waiting")))
                .values("queue_name", "state")
                .annotate(n=Count("id"))
                .order_by()
            )
        except DatabaseError:
            logger.warning("task queue depth unavailable: the database did not answer")
            return
        depth = {("default", "ready"): 0, ("default", "waiting"): 0}
        for row in rows:
            depth[(row["queue_name"], row["state"])] = row["n"]
        for (queue, state), n in sorted(depth.items()):
            family.add_metric([queue, state], n)
        yield family


REGISTRY.register(TaskQueueCollector())


# --- GET /metrics ---------------------------------------------------------------------------------


def _direct_loopback(request: HttpRequest) -> bool:
    """A request from this host itself. Not when it names a forwarded client: behind a proxy (and
    with daphne's --proxy-headers) REMOTE_ADDR is whatever that header says."""
    if "HTTP_X_FORWARDED_FOR" in request.META:
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR") or "")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def _bearer_ok(request: HttpRequest) -> bool:
    token = settings.KENNISCLOUD_METRICS_TOKEN
    if not token:
        return False
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def metrics_view(request: HttpRequest) -> HttpResponse:
    """This process's metrics in Prometheus' text format: for loopback callers, or anyone with
    `Authorization: Bearer <KENNISCLOUD_METRICS_TOKEN>`. Everyone else gets a plain 404."""
    if not (_direct_loopback(request) or _bearer_ok(request)):
        raise Http404
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
