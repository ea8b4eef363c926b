"""Live benchmarks (issue #6): fan-out, slow consumer, reconnect storm, idle sockets and sends.

    .venv/bin/python bench/fanout.py --quick --scenario fanout      # make bench-fanout (< 3 minutes)
    .venv/bin/python bench/fanout.py                               # every scenario, full grid
    .venv/bin/python bench/fanout.py --scenario fanout sends --workers 1 2

The real application (daphne, PostgreSQL, Redis) over real sockets on loopback, driven only over the
wire. Its own database `kenniscloud_bench_fanout` (dropped and re-created) and Redis db 13 (flushed);
one group with as many members as the scenarios need, each with a personal API token.

Pinning (`taskset`): one server on core 0 and the client on core 1; with `--workers 2`, one daphne
per core and the client unpinned (it shares the cores, its CPU is in every row). The client is one
asyncio process with a bare WebSocket protocol (bench/_app.py) that finds `seq` and the send
timestamp in the bytes instead of decoding each frame's JSON, so one core keeps up with well over
40,000 frames/s; `client_cpu_pct` near 100 marks a client-bound row.

Scenarios (each writes bench/results/<scenario>.json and prints a Markdown table):
  fanout  N receiving member sockets in one group; sender sockets (other members, not subscribed)
          send `message.send` open loop, round-robin, at scheduled times (rate ramp), with the
          scheduled time in the body: latency = receipt − scheduled send. Warm-up, 3 runs, medians.
          The same grid against two references in the same run: a raw `websockets.broadcast()`
          server and a stock Channels `group_send` app (bench/reference/), fed by one sender socket
          (they relay frames as they come, so one socket keeps the seq order defined) with frames of
          the same shape and size as ours; ratios in the JSON.
          The ramp for a (server, N, size) stops after the first rate that misses delivery ≥ 99% or
          p99 < 1 s; the highest rate that met both is the saturation point.
  slow    5% of the members stop reading (pause_reading: the kernel buffers fill) for 10 s while
          traffic continues: the others' latency before/during, server RSS, and the slow ones must
          end with every seq (live, or by re-subscribing with after_seq if the server closed them).
  storm   500 members; 10/50/100% drop (abort) for 5/30/120 s while traffic continues, then all
          reconnect at once with after_seq: time until each holds the latest seq, gaps, duplicates.
  idle    2,000 subscribed sockets that ping every 25 s (the browser's interval,
          frontend/src/realtime/client.ts): server CPU over 30 s and RSS per socket.
  sends   persisted sends per second into one group (10 receivers) from K sender sockets, open loop,
          ack latency from the scheduled time; the highest rate with ack p99 ≤ 25 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import socket
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import _app
from _app import WsProtocol

DB = "kenniscloud_bench_fanout"
REDIS_URL = "redis://127.0.0.1:6379/13"
PREFIX = "kcbenchfan"
PING_SECONDS = 25.0  # frontend/src/realtime/client.ts pingIntervalMs
SCENARIOS = ("fanout", "slow", "storm", "idle", "sends")

# Per N, the ramp of message rates (msg/s); N × rate spans ~50 to 100,000 deliveries/s. The first
# N=10 and the 500 × 10 rows are the small-group and meetup targets.
FULL_RATES = {
    10: [5, 50, 100, 200, 400, 800, 1600],
    100: [10, 25, 50, 100, 200, 400, 800],
    500: [10, 20, 40, 80, 120, 160, 200],
    1000: [5, 10, 20, 40, 60, 80, 100],
}
QUICK_RATES = {500: [10, 20, 40, 80, 120]}
GAP_FILLS = "kenniscloud_gap_fills_total"  # server-side: sockets that read the log for a gap
SENDS_RATES = [50, 100, 200, 300, 400, 600, 800, 1200, 1600]
SATURATION_P99_MS = 1000.0
SATURATION_RATIO = 0.99

SEQ = re.compile(rb'"seq":\s*(\d+)')
MARK = re.compile(rb"@R(\d+)T(\d+\.\d+)@")
FILLER = "Wie komt er donderdag naar de bibliotheek om verder te praten over het boek? "


def body_for(run: int, sched: float, size: int) -> str:
    """A message body of `size` characters carrying the run and its scheduled send time."""
    head = f"@R{run}T{sched:.6f}@ "
    return (head + FILLER * (size // len(FILLER) + 1))[:size]


# --- the client side ------------------------------------------------------------------------------


@dataclass
class Tally:
    """What the receivers saw in the current run (shared by all receivers, reset per run)."""

    run: int = 0
    received: int = 0
    latencies: list[float] = field(default_factory=list)
    last_receipt: float = 0.0
    frame_bytes: int = 0
    stale: int = 0  # frames of an earlier run that arrived late
    since: float = 0.0  # only frames scheduled at or after this time count as latency samples
    kinds: dict[str, int] = field(default_factory=dict)  # other frames received, by type


class Receiver(WsProtocol):
    """A member socket: checks the seq order of every live `message.created` and, for frames of the
    current run, records latency = receipt − scheduled time (both from this process's clock)."""

    def __init__(self, port: int, token: str | None, query: str, tally: Tally, track: bool = False) -> None:
        super().__init__(port, token, query)
        self.tally = tally
        self.last_seq: int | None = None
        self.gaps = 0
        self.duplicates = 0
        self.track = track
        self.seen: set[int] = set()
        self.subscribed: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.resyncs = 0
        self.errors: list[str] = []
        self.reached: dict[int, float] = {}  # target seq → when the contiguous seq reached it
        self.target: int | None = None
        self.log: list[tuple[float, float]] | None = None  # (scheduled, received) of every frame
        self.subscribed_at = 0.0

    def text(self, payload: bytes) -> None:
        if b"message.created" in payload[:40]:
            found = SEQ.search(payload)
            if found is None:
                return
            seq = int(found.group(1))
            last = self.last_seq
            if last is not None:
                if seq <= last:
                    self.duplicates += 1
                    return
                if seq > last + 1:
                    self.gaps += seq - last - 1
            self.last_seq = seq
            if self.track:
                self.seen.add(seq)
                if self.target is not None and seq >= self.target and self.target not in self.reached:
                    self.reached[self.target] = time.time()
            mark = MARK.search(payload)
            if mark is None:
                return
            tally = self.tally
            now = time.time()
            sched = float(mark.group(2))
            if self.log is not None:
                self.log.append((sched, now))
            if int(mark.group(1)) == tally.run:
                tally.received += 1
                tally.last_receipt = now
                if sched >= tally.since:
                    tally.latencies.append(now - sched)
                if not tally.frame_bytes:
                    tally.frame_bytes = len(payload)
            else:
                tally.stale += 1
            return
        kinds = self.tally.kinds
        if b'"presence"' in payload[:30]:  # many per ping or subscribe: counted, not decoded
            kinds["presence"] = kinds.get("presence", 0) + 1
            return
        frame = json.loads(payload)
        kind = frame.get("type")
        if kind == "error":
            kind = f"error:{frame.get('code')}"
        kinds[kind] = kinds.get(kind, 0) + 1
        if kind == "subscribed":
            self.subscribed_at = time.time()
            if self.last_seq is None:  # live from here: the next event is last_seq + 1
                self.last_seq = frame["last_seq"]
            if not self.subscribed.done():
                self.subscribed.set_result(frame["last_seq"])
        elif kind == "resync_required":
            self.resyncs += 1
            self.last_seq = frame["last_seq"]
        elif kind.startswith("error:"):
            self.errors.append(frame.get("code", "?"))

    def subscribe(self, group: str, after_seq: int | None = None) -> None:
        frame: dict = {"type": "subscribe", "group": group}
        if after_seq is not None:
            frame["after_seq"] = after_seq
        self.subscribed = asyncio.get_running_loop().create_future()
        self.send_json(frame)


class Sender(WsProtocol):
    """A sender socket (a member that is not subscribed): sends frames, and for our app records the
    ack of each `message.send` (ack latency from the scheduled time, the seq it got)."""

    def __init__(self, port: int, token: str | None, query: str) -> None:
        super().__init__(port, token, query)
        self.pending: dict[str, float] = {}
        self.ack_latencies: list[float] = []
        self.acked = 0
        self.errors: dict[str, int] = {}
        self.max_seq = 0

    def text(self, payload: bytes) -> None:
        frame = json.loads(payload)
        kind = frame.get("type")
        if kind == "ack":
            sched = self.pending.pop(frame.get("client_id"), None)
            self.acked += 1
            self.max_seq = max(self.max_seq, frame.get("seq") or 0)
            if sched is not None:
                self.ack_latencies.append(time.time() - sched)
        elif kind == "error":
            code = frame.get("code", "?")
            self.errors[code] = self.errors.get(code, 0) + 1
            self.pending.pop(frame.get("client_id"), None)


class Target:
    """One server under test (our app, the raw reference or the stock reference): how its sockets
    connect, and what a sender puts on the wire for message i."""

    def __init__(
        self,
        name: str,
        servers: list[_app.Server],
        group: str,
        thread: int,
        send_servers: list[_app.Server] | None = None,
    ) -> None:
        self.name, self.servers, self.group, self.thread = name, servers, group, thread
        self.ours = name == "ours"
        # --sender-process: senders use a process of their own (on the client's core), so the
        # measured servers do the fan-out only; their CPU is what is reported.
        self.send_servers = send_servers or []

    def send_port(self, i: int) -> int:
        servers = self.send_servers or self.servers
        return servers[i % len(servers)].port

    @property
    def pids(self) -> list[int]:
        return [s.pid for s in self.servers]

    def port(self, i: int) -> int:
        return self.servers[i % len(self.servers)].port

    def query(self, sender: bool) -> str:
        return "" if self.ours or not sender else "?role=send"

    def frame(self, seq: int, body: str) -> tuple[str, str]:
        """The text a sender sends for message `seq`, and its client_id."""
        client_id = str(uuid.uuid4())
        if self.ours:
            frame = {"type": "message.send", "thread": self.thread, "body": body, "client_id": client_id}
            return json.dumps(frame), client_id
        # A frame of the same shape and size as our app's message.created (body and its HTML).
        message = {
            "id": seq,
            "group": self.group,
            "thread": self.thread,
            "seq": seq,
            "author": {"id": 2, "display_name": "Lid 0"},
            "body": body,
            "html": f"<p>{body}</p>",
            "created_at": "2026-11-25T14:03:11.120000Z",
            "edited_at": None,
            "deleted": False,
            "reactions": [],
            "client_id": client_id,
            "pinned": False,
            "moderation": None,
            "resources": [],
        }
        frame = {"type": "message.created", "group": self.group, "seq": seq, "message": message}
        return json.dumps(frame), client_id


class Crowd:
    """The sockets of one measurement: receivers and senders on a target."""

    def __init__(self, target: Target, tokens: list[str], receivers: int, senders: int) -> None:
        self.target = target
        self.tally = Tally()
        self.tokens = tokens
        self.receivers: list[Receiver] = []
        self.senders: list[Sender] = []
        self.n_receivers, self.n_senders = receivers, senders
        self.seq = 0  # the references' own sequence
        self.pinger: asyncio.Task | None = None

    def receiver(self, i: int, track: bool = False) -> Receiver:
        t = self.target
        return Receiver(t.port(i), self.tokens[i], t.query(False), self.tally, track)

    async def open(self, track: bool = False) -> None:
        t = self.target
        self.receivers = [self.receiver(i, track) for i in range(self.n_receivers)]
        self.senders = [
            Sender(t.send_port(i), self.tokens[-1 - i], t.query(True)) for i in range(self.n_senders)
        ]
        await _app.connect_all([*self.receivers, *self.senders])
        if t.ours:
            for r in self.receivers:
                r.subscribe(t.group)
            await asyncio.wait_for(asyncio.gather(*(r.subscribed for r in self.receivers)), 120)
            await self.settle()
        else:
            await asyncio.sleep(0.3)  # the raw server adds a socket to its audience after the upgrade
        self.pinger = asyncio.create_task(self.ping())

    async def settle(self, quiet: float = 1.0, cap: float = 60.0) -> None:
        """Wait until the frames that subscribing sets off (presence to every subscriber) stop
        arriving, so a measurement starts from a steady state and not from the connect burst."""
        deadline = time.time() + cap
        while time.time() < deadline:
            before = sum(self.tally.kinds.values())
            await asyncio.sleep(quiet)
            if sum(self.tally.kinds.values()) == before:
                return

    async def ping(self) -> None:
        """Every socket pings every 25 s, spread evenly, as browsers do."""
        while True:
            everyone = [*self.receivers, *self.senders]
            step = PING_SECONDS / max(1, len(everyone))
            for proto in everyone:
                proto.send_text('{"type": "ping"}')
                await asyncio.sleep(step)

    async def close(self) -> None:
        if self.pinger is not None:
            self.pinger.cancel()
        for proto in [*self.receivers, *self.senders]:
            if proto.transport is not None:
                proto.send_frame(8, (1000).to_bytes(2))
                proto.transport.close()
        await asyncio.sleep(0.2)

    async def send(self, rate: float, seconds: float, size: int, run: int) -> int:
        """Open loop: message i is due at t0 + i/rate, sent round-robin by the sender sockets; when
        the client falls behind it sends what is due at once (latency counts from the schedule)."""
        count = max(1, round(rate * seconds))
        t0 = time.time() + 0.02
        senders = self.senders
        k = len(senders)
        for i in range(count):
            sched = t0 + i / rate
            delay = sched - time.time()
            if delay > 0.0005:
                await asyncio.sleep(delay)
            sender = senders[i % k]
            self.seq += 1
            text, client_id = self.target.frame(self.seq, body_for(run, sched, size))
            if self.target.ours:
                sender.pending[client_id] = sched
            sender.send_text(text)
        return count

    async def quiet(self, seconds: float = 1.0, cap: float = 60.0) -> None:
        """Wait until no frame has arrived for `seconds` (an earlier overloaded run drains)."""
        deadline = time.time() + cap
        while time.time() < deadline:
            before = (self.tally.received, self.tally.stale)
            await asyncio.sleep(seconds)
            if (self.tally.received, self.tally.stale) == before:
                return


def ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 2)


async def measure_run(
    crowd: Crowd, rate: float, seconds: float, size: int, run: int, drain: float = 5.0
) -> dict:
    """One timed run: send for `seconds` at `rate`, wait until every receiver has every message (or
    nothing arrives for 1 s, or `drain` s after the last send), and tally."""
    target, tally = crowd.target, crowd.tally
    tally.run, tally.received, tally.latencies, tally.frame_bytes, tally.stale = run, 0, [], 0, 0
    tally.since = 0.0
    for s in crowd.senders:
        s.ack_latencies, s.errors = [], {}
    gaps0 = sum(r.gaps for r in crowd.receivers)
    dups0 = sum(r.duplicates for r in crowd.receivers)
    fills0 = await asyncio.to_thread(_app.counter, target.servers, GAP_FILLS) if target.ours else 0
    cpu0 = sum(_app.cpu_seconds(pid) for pid in target.pids)
    client0 = _app.self_cpu_seconds()
    start = time.time()
    sent = await crowd.send(rate, seconds, size, run)
    expected = sent * len(crowd.receivers)
    end_sending = time.time()
    last_progress, last_count = time.time(), -1
    while tally.received < expected and time.time() - end_sending < drain:
        await asyncio.sleep(0.05)
        if tally.received != last_count:
            last_count, last_progress = tally.received, time.time()
        elif time.time() - last_progress > 1.0:
            break
    window = max(1e-3, (tally.last_receipt or time.time()) - start)
    cpu = sum(_app.cpu_seconds(pid) for pid in target.pids) - cpu0
    client = _app.self_cpu_seconds() - client0
    fills = await asyncio.to_thread(_app.counter, target.servers, GAP_FILLS) if target.ours else 0
    acks = [lat for s in crowd.senders for lat in s.ack_latencies]
    errors: dict[str, int] = {}
    for s in crowd.senders:
        for code, n in s.errors.items():
            errors[code] = errors.get(code, 0) + n
    lat = tally.latencies
    return {
        "sent": sent,
        "deliveries": tally.received,
        "deliveries_per_s": tally.received / window,
        "delivery_ratio": tally.received / expected if expected else 1.0,
        "p50_ms": ms(_app.pct(lat, 0.50)),
        "p95_ms": ms(_app.pct(lat, 0.95)),
        "p99_ms": ms(_app.pct(lat, 0.99)),
        "max_ms": ms(max(lat) if lat else None),
        "gaps": sum(r.gaps for r in crowd.receivers) - gaps0,
        "duplicates": sum(r.duplicates for r in crowd.receivers) - dups0,
        "gap_fills": fills - fills0,
        "server_cpu_us_per_delivery": cpu / tally.received * 1e6 if tally.received else None,
        "server_cpu_pct": 100 * cpu / window,
        "client_cpu_pct": 100 * client / window,
        "server_rss_mb": sum(_app.rss_kb(pid) for pid in target.pids) / 1024,
        "frame_bytes": tally.frame_bytes,
        "acked": len(acks),
        "ack_p50_ms": ms(_app.pct(acks, 0.50)),
        "ack_p99_ms": ms(_app.pct(acks, 0.99)),
        "send_errors": errors,
        "window_s": window,
    }


MEDIAN_KEYS = (
    "deliveries_per_s",
    "delivery_ratio",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "max_ms",
    "server_cpu_us_per_delivery",
    "server_cpu_pct",
    "client_cpu_pct",
    "server_rss_mb",
    "ack_p50_ms",
    "ack_p99_ms",
    "acks_per_s",
)


def median_row(runs: list[dict]) -> dict:
    row: dict = {}
    for r in runs:
        r["acks_per_s"] = r["acked"] / r["window_s"]
    for key in MEDIAN_KEYS:
        values = [r[key] for r in runs if r.get(key) is not None]
        row[key] = round(statistics.median(values), 3) if values else None
    row["gaps"] = sum(r["gaps"] for r in runs)
    row["duplicates"] = sum(r["duplicates"] for r in runs)
    row["gap_fills"] = sum(r["gap_fills"] for r in runs)
    row["frame_bytes"] = max(r["frame_bytes"] for r in runs)
    codes = {code for r in runs for code in r["send_errors"]}
    row["send_errors"] = {k: sum(r["send_errors"].get(k, 0) for r in runs) for k in sorted(codes)}
    row["client_bound"] = bool(row["client_cpu_pct"] and row["client_cpu_pct"] > 90)
    row["deliveries_per_s_runs"] = [round(r["deliveries_per_s"]) for r in runs]
    return row


def far_off(run: dict) -> bool:
    return (run["delivery_ratio"] or 0) < 0.9 or (run["p99_ms"] or 1e9) > 3 * SATURATION_P99_MS


def ok(row: dict) -> bool:
    return (row["delivery_ratio"] or 0) >= SATURATION_RATIO and (row["p99_ms"] or 1e9) < SATURATION_P99_MS


# --- scenarios ------------------------------------------------------------------------------------

RUN_IDS = iter(range(1, 10**9))
STARTED = time.time()


async def ramp(
    target: Target,
    tokens: list[str],
    members: int,
    rates: list[float],
    sizes: list[int],
    args: argparse.Namespace,
    scenario: str,
    stop: Callable[[dict], bool],
) -> list[dict]:
    # The references relay frames as they come: one sender socket keeps their seq order defined
    # (a receiver's gap or duplicate is then a real loss). Ours orders by the database, so its
    # senders can be many; one socket's sends are handled one after another.
    senders = args.senders if target.ours else 1
    crowd = Crowd(target, tokens, members, senders)
    opened = time.time()
    await crowd.open()
    print(f"{time.time() - STARTED:5.0f}s {target.name}: {members} sockets in {time.time() - opened:.1f} s")
    rows = []
    try:
        for size in sizes:
            await measure_run(crowd, rates[0], args.warmup, size, next(RUN_IDS))  # warm-up
            await crowd.quiet(0.5)
            for rate in rates:
                runs = []
                for n in range(args.runs):
                    spy = None
                    if args.profile and target.ours and n == 0:
                        name = f"profile-{scenario}-w{len(target.servers)}-n{members}-r{rate:g}-s{size}"
                        raw = _app.RESULTS / f"{name}.raw"
                        spy = _app.py_spy(target.pids[0], args.duration, raw)
                    runs.append(await measure_run(crowd, rate, args.duration, size, next(RUN_IDS)))
                    if spy is not None:
                        await asyncio.to_thread(spy.wait, 30)
                        if raw.exists():
                            raw.with_suffix(".txt").write_text(_app.profile_summary(raw))
                    await crowd.quiet(0.3)
                    if far_off(runs[-1]):  # clearly past saturation: more runs add only backlog
                        break
                row = {
                    "scenario": scenario,
                    "server": target.name,
                    "workers": len(target.servers),
                    "members": members,
                    "group_members": len(tokens),  # members in the group, online or not
                    "senders": senders,
                    "sender_process": bool(target.send_servers),
                    "rate": rate,
                    "size": size,
                    "offered_deliveries_per_s": rate * members,
                    "runs": len(runs),
                    "duration_s": args.duration,
                    **median_row(runs),
                }
                row["ok"] = not stop(row)
                rows.append(row)
                print(f"{time.time() - STARTED:5.0f}s {line(row)}", flush=True)
                if stop(row):
                    await crowd.quiet(1.0, cap=60)
                    break
    finally:
        await crowd.close()
    return rows


def line(row: dict) -> str:
    def f(v: float | None, fmt: str = "{:.1f}") -> str:
        return "–" if v is None else fmt.format(v)

    extra = f"  ack p99 {f(row['ack_p99_ms'])}" if row.get("ack_p99_ms") is not None else ""
    return (
        f"{row['scenario']:6} {row['server']:5} w={row['workers']} N={row['members']:<5} "
        f"rate={row['rate']:<6} size={row['size']:<5} {f(row['deliveries_per_s'], '{:.0f}'):>7}/s "
        f"ratio {f(row['delivery_ratio'], '{:.3f}')} p50 {f(row['p50_ms'])} p99 {f(row['p99_ms'])} "
        f"max {f(row['max_ms'])} ms gaps {row['gaps']} dups {row['duplicates']} fills {row.get('gap_fills', 0):g} "
        f"cpu {f(row['server_cpu_us_per_delivery'])} µs/del server {f(row['server_cpu_pct'], '{:.0f}')}% "
        f"client {f(row['client_cpu_pct'], '{:.0f}')}%{extra}"
    )


def saturation(rows: list[dict]) -> list[dict]:
    """Per (server, workers, members, size): the highest rate that met delivery ≥ 99%, p99 < 1 s."""
    out: dict[tuple, dict] = {}
    for row in rows:
        key = (row["server"], row["workers"], row["members"], row["size"])
        best = out.setdefault(
            key,
            {
                "server": row["server"],
                "workers": row["workers"],
                "members": row["members"],
                "size": row["size"],
                "rate": None,
                "deliveries_per_s": None,
                "max_deliveries_per_s": 0.0,
            },
        )
        best["max_deliveries_per_s"] = max(best["max_deliveries_per_s"], row["deliveries_per_s"] or 0)
        if row["ok"] and (best["rate"] is None or row["rate"] > best["rate"]):
            best["rate"], best["deliveries_per_s"] = row["rate"], row["deliveries_per_s"]
            best["p99_ms"] = row["p99_ms"]
            best["server_cpu_us_per_delivery"] = row["server_cpu_us_per_delivery"]
    return list(out.values())


def ratios(points: list[dict]) -> list[dict]:
    """ours / stock and ours / raw: of the peak deliveries per second and of the CPU per delivery."""
    by = {(p["server"], p["workers"], p["members"], p["size"]): p for p in points}
    out = []
    for (server, workers, members, size), p in by.items():
        if server != "ours":
            continue
        item: dict = {"workers": workers, "members": members, "size": size}
        for ref in ("stock", "raw"):
            q = by.get((ref, workers, members, size)) or by.get((ref, 1, members, size))
            if q is None:
                continue
            if q["max_deliveries_per_s"]:
                item[f"ours_over_{ref}_max_deliveries_per_s"] = round(
                    p["max_deliveries_per_s"] / q["max_deliveries_per_s"], 3
                )
            if p.get("server_cpu_us_per_delivery") and q.get("server_cpu_us_per_delivery"):
                item[f"{ref}_over_ours_cpu_per_delivery"] = round(
                    q["server_cpu_us_per_delivery"] / p["server_cpu_us_per_delivery"], 3
                )
        out.append(item)
    return out


@dataclass
class Stack:
    """The servers of one configuration, started once and shared by the scenarios."""

    env: dict[str, str]
    seeded: _app.Seeded
    pinning: _app.Pinning
    ours: Target


async def scenario_fanout(stack: Stack, args: argparse.Namespace, refs: dict[str, Target]) -> dict:
    grid = QUICK_RATES if args.quick else FULL_RATES
    if args.members:
        grid = {n: grid.get(n) or FULL_RATES.get(n) or [10, 20, 40, 80] for n in args.members}
    sizes = [200] if args.quick else [200, 2048]
    targets = [stack.ours, *refs.values()]
    rows: list[dict] = []
    for members, rates in grid.items():
        for target in targets:
            rows += await ramp(
                target, stack.seeded.tokens, members, rates, sizes, args, "fanout", lambda r: not ok(r)
            )
    points = saturation(rows)
    return {"rows": rows, "saturation": points, "ratios": ratios(points)}


async def scenario_sends(stack: Stack, args: argparse.Namespace) -> dict:
    rates = SENDS_RATES[:6] if args.quick else SENDS_RATES

    def missed(row: dict) -> bool:
        return (
            (row["ack_p99_ms"] or 1e9) > 25
            or row["acks_per_s"] is None
            or (row["delivery_ratio"] or 0) < SATURATION_RATIO
        )

    rows = await ramp(stack.ours, stack.seeded.tokens, 10, rates, [200], args, "sends", missed)
    best = max((r for r in rows if r["ok"]), key=lambda r: r["rate"], default=None)
    return {"rows": rows, "max_rate_ack_p99_le_25ms": best and best["rate"]}


async def scenario_slow(stack: Stack, args: argparse.Namespace) -> dict:
    """5% stop reading for 10 s while traffic continues at `--slow-rate` with 2-KB bodies."""
    target, members = stack.ours, args.slow_members
    crowd = Crowd(target, stack.seeded.tokens, members, args.senders)
    await crowd.open(track=True)
    for r in crowd.receivers:
        r.log = []
    slow_idx = sorted(random.Random(6).sample(range(members), max(1, members // 20)))
    others = [r for i, r in enumerate(crowd.receivers) if i not in set(slow_idx)]
    rss: list[tuple[float, float]] = []
    sampling = True

    async def sample() -> None:
        while sampling:
            rss.append((time.time(), sum(_app.rss_kb(p) for p in target.pids) / 1024))
            await asyncio.sleep(0.25)

    sampler = asyncio.create_task(sample())
    size, rate = 2048, args.slow_rate
    run = next(RUN_IDS)
    crowd.tally.run, crowd.tally.since = run, float("inf")
    phases: dict[str, tuple[float, float]] = {}
    t0 = time.time()
    await crowd.send(rate, 5.0, size, run)
    phases["before"] = (t0, time.time())
    for i in slow_idx:  # stop calling recv: the client's and then the server's buffers fill
        transport = crowd.receivers[i].transport
        if transport is not None:
            if args.slow_rcvbuf:  # a small receive window, so the server's side fills within 10 s
                transport.get_extra_info("socket").setsockopt(
                    socket.SOL_SOCKET, socket.SO_RCVBUF, args.slow_rcvbuf
                )
            transport.pause_reading()
    t1 = time.time()
    await crowd.send(rate, 10.0, size, run)
    phases["during"] = (t1, time.time())
    closed_by_server = sum(1 for i in slow_idx if crowd.receivers[i].transport is None)
    for i in slow_idx:
        if crowd.receivers[i].transport is not None:
            crowd.receivers[i].transport.resume_reading()
    t2 = time.time()
    await crowd.send(rate, 5.0, size, run)
    phases["after"] = (t2, time.time())
    settle = time.time() + 60  # every send acked: the last seq is then known
    while any(s.pending for s in crowd.senders) and time.time() < settle:
        await asyncio.sleep(0.1)
    final = max(s.max_seq for s in crowd.senders)
    first = min(min(r.seen) for r in crowd.receivers if r.seen)
    everything = set(range(first, final + 1))

    # The slow ones catch up as the browser would: a socket the server closed reconnects and
    # subscribes with after_seq = its last seq; one still open that holds a hole after 5 s
    # re-subscribes with after_seq just before the hole.
    recover_start = time.time()
    reconnected, resubscribed = 0, set()
    recovered_at: dict[int, float] = {}
    while time.time() < recover_start + 60 and len(recovered_at) < len(slow_idx):
        for i in slow_idx:
            r = crowd.receivers[i]
            missing = everything - r.seen
            if not missing:
                recovered_at.setdefault(i, time.time())
                continue
            if r.transport is None and r.closed.done():
                fresh = crowd.receiver(i, track=True)
                fresh.seen, fresh.log, fresh.last_seq = r.seen, r.log, r.last_seq
                try:
                    await _app.connect(fresh)
                except (OSError, ConnectionError, TimeoutError):
                    continue
                fresh.subscribe(target.group, r.last_seq)
                crowd.receivers[i] = fresh
                reconnected += 1
            elif time.time() - recover_start > 5 and i not in resubscribed:
                r.last_seq = min(missing) - 1
                r.subscribe(target.group, r.last_seq)
                resubscribed.add(i)
        await asyncio.sleep(0.1)
    sampling = False
    await sampler
    slow = [crowd.receivers[i] for i in slow_idx]

    def summary(group: Sequence[Receiver], phase: str) -> dict:
        lo, hi = phases[phase]
        lat = [recv - sched for r in group for sched, recv in r.log or [] if lo <= sched < hi]
        return {
            "p50_ms": ms(_app.pct(lat, 0.5)),
            "p99_ms": ms(_app.pct(lat, 0.99)),
            "max_ms": ms(max(lat, default=None)),
        }

    def rss_in(lo: float, hi: float) -> float | None:
        values = [v for t, v in rss if lo <= t < hi]
        return round(max(values), 1) if values else None

    row = {
        "scenario": "slow",
        "server": target.name,
        "workers": len(target.servers),
        "members": members,
        "slow_members": len(slow),
        "rate": rate,
        "size": size,
        "pause_s": 10,
        "messages": len(everything),
        "unacked": sum(len(s.pending) for s in crowd.senders),
        "others_before": summary(others, "before"),
        "others_during": summary(others, "during"),
        "others_after": summary(others, "after"),
        "others_gaps": sum(r.gaps for r in others),
        "others_complete": sum(1 for r in others if everything <= r.seen),
        "others_total": len(others),
        "server_rss_mb_before": rss_in(*phases["before"]),
        "server_rss_mb_during": rss_in(*phases["during"]),
        "server_rss_mb_after": rss_in(phases["after"][0], time.time()),
        "slow_closed_by_server": closed_by_server,
        "slow_reconnected": reconnected,
        "slow_resubscribed": len(resubscribed),
        "slow_live_gaps": sum(r.gaps for r in slow),
        "slow_recovered": len(recovered_at),
        "slow_recovery_s_max": round(max(recovered_at.values()) - recover_start, 2) if recovered_at else None,
    }
    row["p50_ms"], row["p99_ms"] = row["others_during"]["p50_ms"], row["others_during"]["p99_ms"]
    row["gaps"] = row["others_gaps"]
    await crowd.close()
    print(json.dumps(row), flush=True)
    return {"rows": [row]}


async def reconnect_storm(crowd: Crowd, dropped: list[tuple[int, Receiver]], target_seq: int) -> dict:
    """Everyone at once (the worst case: the network or the server comes back): each connects and
    subscribes with after_seq = the last seq it holds; a refused or failed attempt is retried with
    the browser's back-off (full jitter, 0.5 s doubling to 15 s). A client's time runs from the
    first attempt until it holds every seq up to `target_seq` (the latest acked when it began)."""
    target = crowd.target
    kinds0 = dict(crowd.tally.kinds)
    cpu0 = sum(_app.cpu_seconds(p) for p in target.pids)
    started = time.time()
    failures: dict[str, int] = {}
    handshakes: list[float] = []
    subscribed: list[float] = []
    caught: list[float] = []
    totals = {"gaps": 0, "duplicates": 0, "resyncs": 0, "retried_attempts": 0}

    async def back(i: int, old: Receiver) -> None:
        for attempt in range(8):
            if attempt:
                totals["retried_attempts"] += 1
                await asyncio.sleep(random.uniform(0, min(15.0, 0.5 * 2 ** (attempt - 1))))
            fresh = crowd.receiver(i, track=True)
            fresh.last_seq, fresh.seen, fresh.target = old.last_seq, old.seen, target_seq
            crowd.receivers[i] = fresh
            try:
                await _app.connect(fresh, timeout=30)
                handshakes.append(time.time() - started)
                fresh.subscribe(target.group, old.last_seq)
                await asyncio.wait_for(asyncio.shield(fresh.subscribed), 60)
                subscribed.append(fresh.subscribed_at - started)
                while target_seq not in fresh.reached and fresh.transport is not None:
                    await asyncio.sleep(0.01)
                if target_seq in fresh.reached:
                    caught.append(fresh.reached[target_seq] - started)
                    totals["gaps"] += fresh.gaps
                    totals["duplicates"] += fresh.duplicates
                    totals["resyncs"] += fresh.resyncs
                    return
            except (OSError, ConnectionError, TimeoutError) as exc:
                reason = f"{type(exc).__name__}: {str(exc)[:60]}"
                failures[reason] = failures.get(reason, 0) + 1
                fresh.abort()
            old = fresh

    await asyncio.gather(*(back(i, old) for i, old in dropped))
    kinds = {k: v - kinds0.get(k, 0) for k, v in crowd.tally.kinds.items() if v - kinds0.get(k, 0)}
    return {
        "caught_up": len(caught),
        "catchup_p50_ms": ms(_app.pct(caught, 0.5)),
        "catchup_p99_ms": ms(_app.pct(caught, 0.99)),
        "catchup_max_ms": ms(max(caught, default=None)),
        "handshake_p50_ms": ms(_app.pct(handshakes, 0.5)),
        "handshake_p99_ms": ms(_app.pct(handshakes, 0.99)),
        "subscribed_p50_ms": ms(_app.pct(subscribed, 0.5)),
        "subscribed_p99_ms": ms(_app.pct(subscribed, 0.99)),
        **totals,
        "failed_attempts": failures,
        "server_cpu_s_until_caught_up": round(sum(_app.cpu_seconds(p) for p in target.pids) - cpu0, 2),
        "other_frames_during": kinds,
    }


async def scenario_storm(stack: Stack, args: argparse.Namespace) -> dict:
    target, members = stack.ours, args.storm_members
    grid = [(1.0, 30.0)] if args.quick else [(f, d) for d in (5.0, 30.0, 120.0) for f in (0.1, 0.5, 1.0)]
    crowd = Crowd(target, stack.seeded.tokens, members, args.senders)
    await crowd.open(track=True)
    rows = []
    run = next(RUN_IDS)
    crowd.tally.run, crowd.tally.since = run, float("inf")  # no latency samples: catch-up is timed
    traffic_on = True

    async def traffic() -> None:
        while traffic_on:
            await crowd.send(args.storm_rate, 1.0, 200, run)

    sender = asyncio.create_task(traffic())
    await asyncio.sleep(2)
    try:
        for fraction, seconds in grid:
            rng = random.Random(int(fraction * 1000 + seconds))
            idx = sorted(rng.sample(range(members), max(1, round(fraction * members))))
            dropped = [crowd.receivers[i] for i in idx]
            for r in dropped:
                r.abort()
            await asyncio.sleep(seconds)
            target_seq = max(s.max_seq for s in crowd.senders)
            spy = raw = None
            if args.profile:
                raw = _app.RESULTS / f"profile-storm-w{len(target.servers)}-f{fraction:g}-o{seconds:g}.raw"
                spy = _app.py_spy(target.pids[0], 10, raw)  # the reconnects and catch-ups
            figures = await reconnect_storm(crowd, list(zip(idx, dropped, strict=True)), target_seq)
            if spy is not None:
                await asyncio.to_thread(spy.wait, 30)
                if raw.exists():
                    raw.with_suffix(".txt").write_text(_app.profile_summary(raw))
            row = {
                "scenario": "storm",
                "server": target.name,
                "workers": len(target.servers),
                "members": members,
                "dropped": len(dropped),
                "fraction": fraction,
                "offline_s": seconds,
                "rate": args.storm_rate,
                "missed_events": target_seq - min((o.last_seq or 0) for o in dropped),
                **figures,
                "server_rss_mb": sum(_app.rss_kb(p) for p in target.pids) / 1024,
            }
            row["p50_ms"], row["p99_ms"] = row["catchup_p50_ms"], row["catchup_p99_ms"]
            rows.append(row)
            print(
                f"storm {fraction:.0%} for {seconds:.0f} s: {row['caught_up']}/{len(dropped)} caught up, "
                f"p50 {row['catchup_p50_ms']} p99 {row['catchup_p99_ms']} max {row['catchup_max_ms']} ms, "
                f"gaps {row['gaps']} dups {row['duplicates']} resyncs {row['resyncs']} "
                f"retried {row['retried_attempts']}",
                flush=True,
            )
            await asyncio.sleep(2)
    finally:
        traffic_on = False
        await sender
        await crowd.close()
    return {"rows": rows}


async def scenario_idle(stack: Stack, args: argparse.Namespace) -> dict:
    target, n = stack.ours, args.idle_sockets
    rss0 = sum(_app.rss_kb(p) for p in target.pids)
    crowd = Crowd(target, stack.seeded.tokens, n, 0)
    started = time.time()
    await crowd.open()
    connect_s = time.time() - started
    # Connect work settles: the last presence announcements (coalesced per 0.5 s; each a list of
    # up to 2,000 users to 2,000 sockets) can trail the last `subscribed` by seconds.
    await crowd.settle(quiet=3.0)
    # And one ping round: the sockets that subscribed first at the start of the burst ping for the
    # first time only now, past the 60-s presence TTL, and count as coming online again.
    await asyncio.sleep(PING_SECONDS)
    await crowd.settle(quiet=3.0)
    rss1 = sum(_app.rss_kb(p) for p in target.pids)
    cpu0 = sum(_app.cpu_seconds(p) for p in target.pids)
    client0 = _app.self_cpu_seconds()
    kinds0 = dict(crowd.tally.kinds)
    t0 = time.time()
    spy = raw = None
    if args.profile:
        raw = _app.RESULTS / f"profile-idle-w{len(target.servers)}-n{n}.raw"
        spy = _app.py_spy(target.pids[0], args.idle_seconds, raw)
    await asyncio.sleep(args.idle_seconds)
    window = time.time() - t0
    if spy is not None:
        await asyncio.to_thread(spy.wait, 30)
        if raw.exists():
            raw.with_suffix(".txt").write_text(_app.profile_summary(raw))
    kinds = {k: round((v - kinds0.get(k, 0)) / window, 1) for k, v in crowd.tally.kinds.items()}
    cpu = sum(_app.cpu_seconds(p) for p in target.pids) - cpu0
    rss2 = sum(_app.rss_kb(p) for p in target.pids)
    open_now = sum(1 for r in crowd.receivers if r.transport is not None)
    await crowd.close()
    row = {
        "scenario": "idle",
        "server": target.name,
        "workers": len(target.servers),
        "members": n,
        "open_at_end": open_now,
        "connect_s": round(connect_s, 2),
        "seconds": round(window, 1),
        "server_cpu_pct": round(100 * cpu / window, 2),
        "client_cpu_pct": round(100 * (_app.self_cpu_seconds() - client0) / window, 2),
        "server_rss_mb_before": round(rss0 / 1024, 1),
        "server_rss_mb_connected": round(rss1 / 1024, 1),
        "server_rss_mb_end": round(rss2 / 1024, 1),
        # At the end of the window (settled), and at the highest of the two samples.
        "rss_kb_per_socket": round((rss2 - rss0) / n, 1),
        "rss_kb_per_socket_peak": round((max(rss1, rss2) - rss0) / n, 1),
        "frames_per_s_by_type": {k: v for k, v in kinds.items() if v},  # what "idle" sockets receive
    }
    print(json.dumps(row), flush=True)
    return {"rows": [row]}


# --- tables ---------------------------------------------------------------------------------------


def table(rows: list[dict], columns: list[str]) -> str:
    def cell(v: object) -> str:
        if isinstance(v, float):
            return f"{v:.3f}" if abs(v) < 10 else f"{v:,.1f}" if abs(v) < 1e5 else f"{v:,.0f}"
        if isinstance(v, dict):
            return ", ".join(f"{k} {cell(x)}" for k, x in v.items()) or "–"
        return "–" if v is None else str(v)

    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    out += ["| " + " | ".join(cell(r.get(c)) for c in columns) + " |" for r in rows]
    return "\n".join(out)


COLUMNS = {
    "fanout": [
        "server", "workers", "members", "size", "rate", "deliveries_per_s", "delivery_ratio", "p50_ms",
        "p95_ms", "p99_ms", "max_ms", "gaps", "duplicates", "gap_fills", "server_cpu_us_per_delivery",
        "server_rss_mb", "client_cpu_pct",
    ],
    "sends": [
        "workers", "rate", "acks_per_s", "ack_p50_ms", "ack_p99_ms", "p50_ms", "p99_ms", "gaps", "gap_fills",
        "server_cpu_pct", "client_cpu_pct", "send_errors",
    ],
    "slow": [
        "members", "slow_members", "rate", "size", "others_before", "others_during", "others_gaps",
        "server_rss_mb_before", "server_rss_mb_during", "slow_closed_by_server", "slow_reconnected",
        "slow_recovered", "slow_recovery_s_max",
    ],
    "storm": [
        "workers", "fraction", "offline_s", "dropped", "missed_events", "caught_up", "catchup_p50_ms",
        "catchup_p99_ms", "catchup_max_ms", "gaps", "duplicates", "resyncs",
    ],
    "idle": [
        "workers", "members", "open_at_end", "seconds", "server_cpu_pct", "server_rss_mb_before",
        "server_rss_mb_connected", "rss_kb_per_socket",
    ],
}  # fmt: skip


# --- main -----------------------------------------------------------------------------------------


def start_ours(env: dict[str, str], pinning: _app.Pinning) -> list[_app.Server]:
    return [
        _app.start_daphne(f"fanout-ours-{i}", "backend.asgi:application", env, core)
        for i, core in enumerate(pinning.server_cores)
    ]


def start_refs(pinning: _app.Pinning) -> dict[str, list[_app.Server]]:
    core = pinning.server_cores[0]
    raw = _app.start(
        "fanout-raw", [_app.PY, "bench/reference/raw_ws.py", "--port", "{port}"], dict(os.environ), core
    )
    stock_env = stock_environment()
    stock = [
        _app.start_daphne(f"fanout-stock-{i}", "bench.reference.stock_asgi:application", stock_env, c)
        for i, c in enumerate(pinning.server_cores)
    ]
    return {"raw": [raw], "stock": stock}


def stock_environment() -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.reference.stock_settings",
        "STOCK_REDIS_URL": REDIS_URL,
        "STOCK_CHANNEL_PREFIX": f"{PREFIX}-stock",
    }


def start_senders(
    env: dict[str, str], pinning: _app.Pinning, with_stock: bool
) -> dict[str, list[_app.Server]]:
    """One more process of ours (and of the stock app) for the senders, on the client's core."""
    core = min(pinning.client_cores) if pinning.client_cores else None
    out = {"ours": [_app.start_daphne("fanout-ours-senders", "backend.asgi:application", env, core)]}
    if with_stock:
        application = "bench.reference.stock_asgi:application"
        out["stock"] = [_app.start_daphne("fanout-stock-senders", application, stock_environment(), core)]
    return out


def needed_members(args: argparse.Namespace) -> int:
    n = args.senders
    grid = QUICK_RATES if args.quick else FULL_RATES
    if "fanout" in args.scenario:
        n += max(args.members or grid)
    if "slow" in args.scenario:
        n = max(n, args.slow_members + args.senders)
    if "storm" in args.scenario:
        n = max(n, args.storm_members + args.senders)
    if "idle" in args.scenario:
        n = max(n, args.idle_sockets)
    return max(n, 10 + args.senders)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", nargs="+", choices=SCENARIOS, default=list(SCENARIOS))
    parser.add_argument("--quick", action="store_true", help="the reduced grid (make bench-fanout)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1], help="daphne processes (1, 2)")
    parser.add_argument(
        "--scale-out",
        nargs="+",
        choices=SCENARIOS,
        default=list(SCENARIOS),
        help="the scenarios that also run with more than one worker (default: all selected)",
    )
    parser.add_argument(
        "--members", type=int, nargs="+", help="fan-out group sizes (default 10 100 500 1000)"
    )
    parser.add_argument("--senders", type=int, default=8, help="sender sockets (round-robin)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=None, help="seconds per run (2; quick 1.5)")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--no-refs", action="store_true", help="skip the raw and stock references")
    parser.add_argument(
        "--sender-process",
        action="store_true",
        help="senders use one more server process on the client's core: the measured one only fans out",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample our server with py-spy during the first run of each rate (bench/results/profile-*.txt)",
    )
    parser.add_argument("--slow-members", type=int, default=500)
    parser.add_argument("--slow-rate", type=float, default=10.0)
    parser.add_argument(
        "--slow-rcvbuf", type=int, default=65536, help="SO_RCVBUF of a paused socket (0: the kernel's)"
    )
    parser.add_argument("--storm-members", type=int, default=500)
    parser.add_argument("--storm-rate", type=float, default=5.0)
    parser.add_argument("--idle-sockets", type=int, default=2000)
    parser.add_argument("--idle-seconds", type=float, default=30.0)
    args = parser.parse_args()
    if args.duration is None:
        args.duration = 1.5 if args.quick else 2.0
    _app.raise_open_files()
    _app.RESULTS.mkdir(parents=True, exist_ok=True)
    began = time.time()

    env = _app.app_env(DB, REDIS_URL, PREFIX)
    print(f"setup: {DB}, Redis db 13, {needed_members(args)} members", flush=True)
    _app.reset(DB, REDIS_URL, env)
    seeded = _app.seed(env, needed_members(args))
    print(f"setup done in {time.time() - began:.0f} s", flush=True)

    results: dict[str, dict] = {s: {"rows": []} for s in args.scenario}
    pinnings = {}
    for workers in args.workers:
        pinning = _app.plan_pinning(workers)
        pinnings[workers] = pinning.describe()
        _app.pin_client(pinning)
        servers = start_ours(env, pinning)
        refs: dict[str, list[_app.Server]] = {}
        senders: dict[str, list[_app.Server]] = {}
        try:
            if "fanout" in args.scenario and not args.no_refs:
                refs = start_refs(pinning)
                if workers > 1:  # the raw server has no cross-process broadcast
                    _app.stop(refs.pop("raw"))
            if args.sender_process:
                senders = start_senders(env, pinning, with_stock="stock" in refs)
            ours = Target("ours", servers, seeded.group, seeded.thread, senders.get("ours"))
            stack = Stack(env, seeded, pinning, ours)
            ref_targets = {
                k: Target(k, v, seeded.group, seeded.thread, senders.get(k)) for k, v in refs.items()
            }
            for scenario in args.scenario:
                if workers > 1 and scenario not in args.scale_out:
                    continue
                print(f"\n== {scenario}, {workers} worker(s): {pinning.describe()}", flush=True)
                if scenario == "fanout":
                    part = asyncio.run(scenario_fanout(stack, args, ref_targets))
                else:
                    part = asyncio.run(globals()[f"scenario_{scenario}"](stack, args))
                for key, value in part.items():
                    results[scenario].setdefault(key, [])
                    if isinstance(value, list):
                        results[scenario][key] += value
                    else:
                        results[scenario][key] = value
        finally:
            _app.stop([s for group in [*refs.values(), *senders.values()] for s in group])
            _app.stop(servers)

    for scenario, result in results.items():
        out = {
            "scenario": scenario,
            "quick": args.quick,
            "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
            "machine": _app.machine(),
            "pinning": pinnings,
            "runs": args.runs,
            "duration_s": args.duration,
            **result,
        }
        path = _app.RESULTS / f"{scenario}.json"
        path.write_text(json.dumps(out, indent=1))
        print(f"\n### {scenario} ({path.relative_to(_app.ROOT)})\n")
        print(table(result["rows"], COLUMNS[scenario]))
        if scenario == "fanout":
            print("\nSaturation (highest rate with delivery ≥ 99% and p99 < 1 s):\n")
            print(table(result.get("saturation", []), ["server", "workers", "members", "size", "rate",
                                                       "deliveries_per_s", "max_deliveries_per_s",
                                                       "p99_ms", "server_cpu_us_per_delivery"]))  # fmt: skip
            print("\nRatios:\n")
            print(table(result.get("ratios", []), sorted({k for r in result.get("ratios", []) for k in r})))
    print(f"\ntotal {time.time() - began:.0f} s", flush=True)


if __name__ == "__main__":
    main()
