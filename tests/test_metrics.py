"""Prometheus metrics (`GET /metrics`): the figures move as sockets open and close, messages are
stored, events are delivered live or from the event log and background tasks queue up; and only
loopback callers or holders of the metrics token may read them.

The in-process WebSocket clients run their consumers in this process, so the registry that
`/metrics` serves here is theirs. Other tests count into the same registry: every check is a
difference between two scrapes.
"""

# ruff: noqa: F811  (the chat fixtures imported below are requested by name as test arguments)
from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from backend import realtime
from chat import services as chat_services
from tests.chat.conftest import (  # noqa: F401  (fixtures are found by name)
    _fresh_channel_layer,
    connect,
    db_call,
    fast_password_hashing,
    public_thread,
)

Figures = dict[tuple[str, tuple[tuple[str, str], ...]], float]
TOKEN = "metrics-token-" + "k" * 24


def scrape(**request: Any) -> Figures:
    response = Client().get("/metrics", **request)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def moved(before: Figures, after: Figures, name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


async def ascrape(call: Callable[..., Awaitable[Any]]) -> Figures:
    # The scrape reads the task table: run it where the ORM may run.
    return await call(scrape)


# --- the figures --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_sockets_messages_and_live_deliveries_are_counted(
    connect, db_call, member, other_member, public_group, public_thread
):
    start = await ascrape(db_call)
    _ok, sender = await connect(member, token=True)
    _ok, reader = await connect(other_member)
    _accepted, refused = await connect(None)  # anonymous: accepted, then closed at once
    assert await refused.closed_with() == 4001
    assert moved(start, await ascrape(db_call), "kenniscloud_open_sockets") == 3
    await refused.close()
    assert moved(start, await ascrape(db_call), "kenniscloud_open_sockets") == 2

    await sender.subscribe(public_group)
    await reader.subscribe(public_group)
    before = await ascrape(db_call)
    client_id = await sender.send_message(public_thread, "Wie komt er donderdag?")
    frames = {frame["type"]: frame for frame in await sender.next_n(2)}
    created = await reader.expect("message.created")
    assert created["seq"] == frames["message.created"]["seq"] == frames["ack"]["seq"]
    # A retried send (lost ack) is answered from the stored message: nothing new is stored or sent.
    await sender.send_message(public_thread, "Wie komt er donderdag?", client_id=uuid.UUID(client_id))
    assert (await sender.expect("ack"))["id"] == frames["ack"]["id"]
    await reader.ping()
    after = await ascrape(db_call)

    assert moved(before, after, "kenniscloud_messages_total") == 1
    assert moved(before, after, "kenniscloud_deliveries_total") == 2
    # The lag is observed once per event and process: when its frame reached the last local socket.
    assert moved(before, after, "kenniscloud_delivery_lag_seconds_count") == 1
    lag = moved(before, after, "kenniscloud_delivery_lag_seconds_sum")
    print(f"delivery lag of two live frames, in total: {lag * 1000:.1f} ms")
    assert lag >= 0
    assert moved(before, after, "kenniscloud_delivery_lag_seconds_bucket", le="+Inf") == 1
    assert moved(before, after, "kenniscloud_gap_fills_total") == 0

    # A reconnect with after_seq is served from the event log: delivered, but no live lag.
    await reader.close()
    _ok, back = await connect(other_member)
    catch_up, _subscribed = await back.subscribe(public_group, after_seq=created["seq"] - 1)
    assert [frame["seq"] for frame in catch_up] == [created["seq"]]
    resumed = await ascrape(db_call)
    assert moved(after, resumed, "kenniscloud_deliveries_total") == 1
    assert moved(after, resumed, "kenniscloud_delivery_lag_seconds_count") == 0

    await sender.close()
    await back.close()
    assert moved(start, await ascrape(db_call), "kenniscloud_open_sockets") == 0


@pytest.mark.django_db(transaction=True)
async def test_a_gap_in_the_live_events_counts_a_gap_fill_and_the_dropped_delivery(
    connect, db_call, member, other_member, public_group, public_thread
):
    _ok, ws = await connect(member)
    _catch_up, subscribed = await ws.subscribe(public_group)
    seq = subscribed["last_seq"]
    before = await ascrape(db_call)

    def events_overtaken() -> None:
        with transaction.atomic():
            # Registered first: seq + 2 reaches the layer before seq + 1, as if seq + 1 were lost.
            realtime.publish_on_commit(
                public_group.pk,
                {"type": "message.created", "group": public_group.slug, "seq": seq + 2, "message": {}},
            )
            for body in ("Eerste", "Tweede"):
                chat_services.message_send(
                    author=other_member, thread=public_thread, body=body, client_id=uuid.uuid4()
                )

    await db_call(events_overtaken)
    assert [frame["seq"] for frame in await ws.next_n(2)] == [seq + 1, seq + 2]
    await ws.ping()  # the late live events have been seen (and dropped as already delivered)
    after = await ascrape(db_call)

    assert moved(before, after, "kenniscloud_gap_fills_total") == 1
    assert moved(before, after, "kenniscloud_dropped_deliveries_total", reason="gap") == 1
    assert moved(before, after, "kenniscloud_deliveries_total") == 2
    assert moved(before, after, "kenniscloud_messages_total") == 2


@pytest.mark.django_db
def test_the_task_queue_depth_counts_ready_and_waiting_tasks(
    api, member, public_thread, django_capture_on_commit_callbacks
):
    before = scrape()
    with django_capture_on_commit_callbacks(execute=True):
        sent = api(member).post(
            f"/api/v1/threads/{public_thread.pk}/messages/",
            {"body": "Zie https://example.org/zonnepanelen-op-het-dak", "client_id": str(uuid.uuid4())},
            format="json",
        )
    assert sent.status_code == 201, sent.content
    after = scrape()
    # The link's preview is due now; the thread's collection suggestions wait for their debounce.
    assert moved(before, after, "kenniscloud_task_queue_depth", queue="default", state="ready") == 1
    assert moved(before, after, "kenniscloud_task_queue_depth", queue="default", state="waiting") == 1
    assert moved(before, after, "kenniscloud_messages_total") == 1


# --- who may read them --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token_set", "request_extra", "status"),
    [
        (False, {"REMOTE_ADDR": "127.0.0.1"}, 200),
        (False, {"REMOTE_ADDR": "::1"}, 200),
        (False, {"REMOTE_ADDR": "203.0.113.7"}, 404),
        (False, {"REMOTE_ADDR": "10.0.0.5", "HTTP_AUTHORIZATION": "Bearer "}, 404),
        # A loopback address that only stands for a forwarded client (a proxy in front) is not trusted.
        (False, {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "127.0.0.1"}, 404),
        (True, {"REMOTE_ADDR": "203.0.113.7"}, 404),
        (True, {"REMOTE_ADDR": "203.0.113.7", "HTTP_AUTHORIZATION": f"Bearer {TOKEN}x"}, 404),
        (True, {"REMOTE_ADDR": "203.0.113.7", "HTTP_AUTHORIZATION": f"Basic {TOKEN}"}, 404),
        (True, {"REMOTE_ADDR": "203.0.113.7", "HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}, 200),
        (True, {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "1.2.3.4"}, 404),
        (
            True,
            {
                "REMOTE_ADDR": "127.0.0.1",
                "HTTP_X_FORWARDED_FOR": "1.2.3.4",
                "HTTP_AUTHORIZATION": f"Bearer {TOKEN}",
            },
            200,
        ),
    ],
)
@pytest.mark.django_db
def test_only_loopback_or_the_token_may_read_the_metrics(settings, token_set, request_extra, status):
    settings.KENNISCLOUD_METRICS_TOKEN = TOKEN if token_set else ""
    response = Client().get("/metrics", **request_extra)
    assert response.status_code == status
    if status == 404:
        assert b"kenniscloud_" not in response.content
    else:
        assert b"# TYPE kenniscloud_open_sockets gauge" in response.content


@pytest.mark.django_db
def test_metrics_answer_over_plain_http_and_stay_out_of_the_api_schema(settings):
    schema = Client().get("/api/v1/schema/?format=json")
    assert schema.status_code == 200
    assert not [path for path in schema.json()["paths"] if "metrics" in path]
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["kenniscloud.example.nl"]
    settings.SECURE_SSL_REDIRECT = True
    production = Client(HTTP_HOST="kenniscloud.example.nl")
    assert production.get("/groups/energie").status_code == 301  # the redirect is on
    assert production.get("/metrics").status_code == 200  # scraped on the worker, like /healthz


def test_the_public_proxy_answers_metrics_itself():
    # deploy/Caddyfile: Caddy runs `respond` before `reverse_proxy`, so /metrics never reaches a worker.
    caddyfile = (Path(__file__).resolve().parent.parent / "deploy" / "Caddyfile").read_text()
    directives = [line.split("#")[0].split() for line in caddyfile.splitlines()]
    assert ["respond", "/metrics", "404"] in directives
    assert ["respond", "/metrics/*", "404"] in directives
