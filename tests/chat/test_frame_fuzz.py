"""Property-based fuzzing of WebSocket frames (issue #7, bad input), on the real
`backend.asgi.application` over the in-process communicator, with real PostgreSQL and Redis.

For every frame: no traceback is logged (nothing at ERROR), the answer is either nothing or a typed
`error` frame whose code is in the documented set (docs/protocol.md, docs/api.md, docs/meetups.md)
— never `server_error` — and the socket still answers the next valid frame; at the end a `ping`
gets its `pong` and a valid `message.send` is stored and acked. More than MAX_BAD_FRAMES malformed
frames in a row close with 4008.

Hypothesis runs in a worker thread and hands each frame to the test's event loop (where the socket
and its consumer live), so one socket takes hundreds of frames. Examples are derandomized: CI sees
the same frames on every run. What only exists on the wire (invalid UTF-8, daphne's transport
limit) is in tests/live/test_wire_fuzz.py.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.conf import settings as django_settings
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework import serializers as drf

from chat.consumers import CLOSE_PROTOCOL_VIOLATION, LiveConsumer
from chat.models import Message
from chat.services import ALLOWED_EMOJI, message_send
from meetups.questions import question_ask
from tests.chat.conftest import WS, make_thread
from tests.conftest import add_member, make_user
from tests.meetups.factories import make_meetup

# Channels closes database connections around consumer handlers: transactional tests only.
channels_db = pytest.mark.django_db(transaction=True)

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_TIMEOUT = 30.0  # one frame and its sentinel: milliseconds; this only bounds a hung consumer
MAX_READ = 200  # frames read while waiting for the sentinel's answer (catch-up, events, pongs)
# Bounded for CI time (10–25 ms per frame here); raise them locally to fuzz longer.
TYPED_EXAMPLES_PER_TYPE = 12  # × every routed frame type (30 now)
RAW_EXAMPLES = 150
PROTOCOL_CODES = {"invalid_json", "frame_too_large", "unknown_type"}


def documented_error_codes() -> set[str]:
    """The closed set of error codes the docs promise to clients."""
    docs = REPO / "docs"
    codes = set(re.findall(r"^\| `([a-z_]+)` \|", (docs / "protocol.md").read_text(), re.M))
    api = (docs / "api.md").read_text()
    codes |= set(re.findall(r"`([a-z_]+)`", api.split("| status | codes |", 1)[1].split("\n\n", 1)[0]))
    for paragraph in re.findall(r"Error codes added by.*?\n\n", api, re.S):
        codes |= set(re.findall(r"`([a-z_]+)`", paragraph))
    meetups = (docs / "meetups.md").read_text().split("### Error codes", 1)[1].split("\n## ", 1)[0]
    codes |= set(re.findall(r"`([a-z_]+)`", meetups))
    return codes


DOCUMENTED = documented_error_codes()


def test_the_documented_set_is_read_from_the_docs():
    # The parser above must find the tables; the fuzz assertions are only as good as this set.
    assert {"invalid_json", "frame_too_large", "unknown_type", "validation_error", "not_found"} <= DOCUMENTED
    assert {"banned", "muted", "blocked_content", "question_empty", "guest_not_allowed"} <= DOCUMENTED


# --- the world the frames act on ---------------------------------------------------------------


@dataclass
class World:
    actor: Any
    thread_ids: list[int]
    message_ids: list[int]
    meetup_ids: list[int]
    question_ids: list[int]
    user_ids: list[int]
    slugs: list[str]
    send_thread: int


@pytest.fixture
def world(library, librarian, public_group, closed_group, member, settings) -> World:
    """The fuzzer is the library's librarian (a moderator everywhere: frames reach every service);
    real ids and slugs are mixed into the fields so frames get past the access checks."""
    # The fuzz sends many valid messages; the limit is tested elsewhere.
    settings.KENNISCLOUD = {**settings.KENNISCLOUD, "RATE_LIMIT_MESSAGES": 100_000}
    victim = make_user("Doelwit")
    add_member(public_group, victim)
    add_member(closed_group, victim)
    threads = [make_thread(closed_group, librarian), make_thread(public_group, member)]
    messages = [
        message_send(author=author, thread=thread, body="Hallo", client_id=uuid.uuid4()).message
        for thread in threads
        for author in (member, librarian)
    ]
    meetup = make_meetup(public_group, librarian)
    question = question_ask(actor=member, meetup=meetup, body="Hoe werkt een warmtepomp?")
    return World(
        actor=librarian,
        thread_ids=[t.pk for t in threads] + [meetup.thread_id],
        message_ids=[m.pk for m in messages],
        meetup_ids=[meetup.pk],
        question_ids=[question.pk],
        # Never the fuzzer itself: a self-ban would make the final send fail for a good reason.
        user_ids=[member.pk, victim.pk],
        slugs=[public_group.slug, closed_group.slug, library.slug],
        send_thread=threads[0].pk,
    )


def route_table() -> dict[str, type | None]:
    """Every client frame type the consumer routes, with its input serializer."""
    consumer = LiveConsumer()
    return {name: serializer for name, (_handler, serializer) in consumer.routes().items()}


ROUTES = route_table()


def test_the_route_table_includes_moderation_and_meetup_frames():
    assert {"message.send", "ping", "member.ban", "message.report", "question.ask", "question.state"} <= set(
        ROUTES
    )


# --- strategies --------------------------------------------------------------------------------

HUGE_INTS = st.one_of(
    st.integers(min_value=2**63 - 2, max_value=2**63 + 2),
    st.integers(min_value=2**64, max_value=10**4000),
    st.integers(max_value=-(2**63), min_value=-(10**300)),
)
ODD_FLOATS = st.sampled_from([float("nan"), float("inf"), float("-inf"), 1e308, -0.0, 1.5, 5.0])
SURROGATES = st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=3)
NASTY_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            " ",
            "<script>alert(1)</script>",
            "\x00",
            "\u202e",
            "𝕂𝕖𝕟𝕟𝕚𝕤",
            "ＳＰＡＭ",
            "x" * 10_001,
            "é" * 3000,
            "9999-99-99T99:99:99",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59+14:00",
            "2026-11-25T14:03:11",
            "1e5",
            "NaN",
            "true",
        ]
    ),
)
JSON_LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(), HUGE_INTS, ODD_FLOATS, st.floats(), NASTY_TEXT
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def _field_values(field: drf.Field, world: World, name: str) -> st.SearchStrategy[Any]:
    """Valid-looking values for one serializer field (real ids, slugs, choices), then the same
    field with the wrong type, out of range or hostile."""
    if isinstance(field, drf.ListField):
        return st.lists(_field_values(field.child, world, name), max_size=12)
    if isinstance(field, drf.BooleanField):
        good: st.SearchStrategy[Any] = st.booleans()
    elif isinstance(field, drf.IntegerField):
        ids = {
            "thread": world.thread_ids,
            "id": world.message_ids,
            "meetup": world.meetup_ids,
            "question": world.question_ids,
            "member": world.user_ids,
            "resources": [1, 2],
        }.get(name, [0, 1, 30, 60, 3600])
        good = st.one_of(st.sampled_from(ids), st.integers(min_value=-5, max_value=10**6))
    elif isinstance(field, drf.ChoiceField):
        good = st.sampled_from(list(field.choices))
    elif isinstance(field, drf.UUIDField):
        good = st.uuids().map(str)
    elif isinstance(field, drf.DateTimeField):
        good = st.datetimes().map(lambda d: d.isoformat() + "Z")
    elif name == "emoji":
        good = st.sampled_from(ALLOWED_EMOJI)
    elif isinstance(field, drf.SlugField) or name in {"group", "library"}:
        good = st.sampled_from(world.slugs)
    else:
        good = NASTY_TEXT
    return st.one_of(good, good, HUGE_INTS, ODD_FLOATS, JSON_VALUES, SURROGATES)


def deep(depth: int, kind: str) -> str:
    """JSON text nested `depth` levels deep (built as text: the stdlib encoder would recurse)."""
    if kind == "list":
        return "[" * depth + "1" + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


@dataclass
class Frame:
    text: str | None = None
    data: bytes | None = None
    frame_type: str = ""  # the route a typed frame aims at

    def size(self) -> int:
        if self.data is not None:
            return len(self.data)
        return len((self.text or "").encode("utf-8", "surrogatepass"))


@st.composite
def typed_frames(draw: st.DrawFn, world: World, frame_type: str) -> Frame:
    """A frame of a real type whose fields are right, wrong, missing, huge, nested or hostile."""
    serializer = ROUTES[frame_type]
    fields = serializer().fields if serializer is not None else {}
    frame: dict[str, Any] = {"type": frame_type}
    for name, field in fields.items():
        if draw(st.integers(0, 5)):  # mostly present
            frame[name] = draw(_field_values(field, world, name))
    frame |= draw(
        st.dictionaries(st.sampled_from(["ref", "client_id", "extra", "type2"]), JSON_VALUES, max_size=2)
    )
    text = json.dumps(frame, ensure_ascii=draw(st.booleans()))
    if fields and draw(st.integers(0, 7)) == 0:
        # One field replaced by deep nesting: hundreds to thousands of levels.
        name = draw(st.sampled_from(sorted(fields)))
        nested = deep(
            draw(st.integers(min_value=50, max_value=5000)), draw(st.sampled_from(["list", "dict"]))
        )
        text = json.dumps({k: v for k, v in frame.items() if k != name}, ensure_ascii=True)
        text = text[:-1] + f', "{name}": {nested}}}'
    return Frame(text=text, frame_type=frame_type)


@st.composite
def raw_frames(draw: st.DrawFn) -> Frame:
    """Anything at all: any JSON value, garbage text, deep nesting, binary frames."""
    choice = draw(st.integers(0, 5))
    if choice == 0:
        return Frame(text=draw(st.text(min_size=1, max_size=60)))  # (empty frames: tests/live)
    if choice == 1:
        return Frame(data=draw(st.binary(min_size=1, max_size=60)))
    if choice == 2:
        value = draw(JSON_VALUES)
        return Frame(data=json.dumps({"type": "ping", "v": value}).encode())  # valid JSON, but binary
    if choice == 3:
        nested = deep(
            draw(st.integers(min_value=1, max_value=100_000)), draw(st.sampled_from(["list", "dict"]))
        )
        return Frame(text=draw(st.sampled_from([nested, '{"type": "ping", "x": ' + nested + "}"])))
    return Frame(text=json.dumps(draw(JSON_VALUES), ensure_ascii=draw(st.booleans())))


SERVICE_CODES = DOCUMENTED - PROTOCOL_CODES
DEEP = 100  # nesting beyond this may or may not parse, depending on the stack at hand


def nesting(text: str) -> int:
    """How deep the JSON text nests arrays and objects (brackets inside strings do not count)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def expected_codes(frame: Frame) -> tuple[set[str], bool]:
    """What the protocol allows as the answer: (acceptable error codes, whether an error is due).
    A frame that gets past parsing and routing may get any documented service code, or none."""
    if frame.size() > django_settings.KENNISCLOUD["MAX_FRAME_BYTES"]:
        return {"frame_too_large"}, True
    if frame.data is not None:
        return {"invalid_json"}, True  # text frames only (docs/protocol.md)
    text = frame.text or ""
    if nesting(text) > DEEP:
        # Parsed or refused as invalid_json, depending on the stack: both are right.
        return DOCUMENTED, False
    try:
        value = json.loads(text)
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (ValueError, UnicodeError):
        return {"invalid_json"}, True
    if not isinstance(value, dict):
        return {"invalid_json"}, True
    if not isinstance(value.get("type"), str) or value["type"] not in ROUTES:
        return {"unknown_type"}, True
    return SERVICE_CODES, False


# --- driving one socket from Hypothesis's thread -----------------------------------------------


class Driver:
    """Runs coroutines on the test's event loop (where the socket lives) from Hypothesis's thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop, ws: WS) -> None:
        self.loop = loop
        self.ws = ws
        self.examples = 0
        self.types: set[str] = set()

    def run(self, coroutine: Awaitable[Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(EXAMPLE_TIMEOUT)

    async def send(self, frame: Frame) -> None:
        if frame.data is not None:
            await self.ws.communicator.send_to(bytes_data=frame.data)
        else:
            await self.ws.communicator.send_to(text_data=frame.text)

    async def exchange(self, frame: Frame) -> list[dict[str, Any]]:
        """Send the frame, then a sentinel; return the errors that came before the sentinel's.

        The sentinel is a valid frame answered by an error that echoes its unique `ref` (a
        `message.delete` of a message that does not exist): unlike a ping's pong, nothing the
        fuzzed frame causes can be mistaken for it. Being valid, it also resets the bad-frame count."""
        await self.send(frame)
        ref = uuid.uuid4().hex
        await self.ws.send("message.delete", id=2**62, ref=ref)
        errors = []
        for _ in range(MAX_READ):
            answer = await self.ws.next()  # fails on a close or a crashed consumer
            if answer["type"] == "error":
                if answer.get("ref") == ref:
                    assert answer["code"] == "not_found", answer
                    return errors
                errors.append(answer)
        raise AssertionError(f"no answer to the sentinel within {MAX_READ} frames")


def check_errors(frame: Frame, errors: list[dict[str, Any]]) -> None:
    assert len(errors) <= 1, errors
    allowed, required = expected_codes(frame)
    if required:
        assert errors, f"no error for {frame!r:.300}"
    for error in errors:
        assert error["code"] in allowed, (error, f"{frame!r:.300}")
        assert error["code"] != "server_error", error
        assert isinstance(error["detail"], str) and error["detail"], error


def assert_no_error_logs(caplog: pytest.LogCaptureFixture) -> None:
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not bad, "\n".join(caplog.text.splitlines()[-40:])


FUZZ = hypothesis_settings(
    deadline=None,
    derandomize=True,  # the same frames on every run: CI stays stable
    database=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    report_multiple_bugs=False,
)


async def _fuzz(
    connect: Callable[..., Awaitable[tuple[bool, WS]]],
    world: World,
    caplog: pytest.LogCaptureFixture,
    strategies: list[st.SearchStrategy[Frame]],
    max_examples: int,
) -> Driver:
    """Every strategy in turn gets `max_examples` frames, all on one socket."""
    caplog.set_level(logging.WARNING)
    ok, ws = await connect(world.actor)
    assert ok
    driver = Driver(asyncio.get_running_loop(), ws)

    def one_frame(frame: Frame) -> None:
        driver.examples += 1
        driver.types.add(frame.frame_type)
        check_errors(frame, driver.run(driver.exchange(frame)))

    started = time.monotonic()
    for strategy in strategies:
        await asyncio.to_thread(
            hypothesis_settings(FUZZ, max_examples=max_examples)(given(strategy)(one_frame))
        )
    print(f"{driver.examples} frames in {time.monotonic() - started:.1f} s")
    assert_no_error_logs(caplog)
    # The socket still does real work: a ping is answered, a valid message is stored and acked.
    await ws.send("ping")
    while (frame := await ws.next())["type"] != "pong":
        assert frame["type"] != "error", frame
    client_id = str(uuid.uuid4())
    await ws.send("message.send", thread=world.send_thread, body="Nog steeds hier", client_id=client_id)
    while (frame := await ws.next())["type"] != "ack":
        assert frame["type"] != "error", frame
    assert frame["client_id"] == client_id
    stored = database_sync_to_async(lambda: Message.objects.filter(client_id=client_id).count())
    assert await stored() == 1
    return driver


@channels_db
async def test_frames_of_every_type_with_wrong_huge_nested_or_hostile_fields(connect, world, caplog):
    strategies = [typed_frames(world, frame_type) for frame_type in sorted(ROUTES)]
    driver = await _fuzz(connect, world, caplog, strategies, max_examples=TYPED_EXAMPLES_PER_TYPE)
    assert driver.examples >= TYPED_EXAMPLES_PER_TYPE * len(ROUTES)
    assert driver.types == set(ROUTES)


@channels_db
async def test_arbitrary_json_garbage_deep_nesting_and_binary_frames(connect, world, caplog):
    driver = await _fuzz(connect, world, caplog, [raw_frames()], max_examples=RAW_EXAMPLES)
    assert driver.examples >= RAW_EXAMPLES


# --- sizes: the limit counts bytes, not characters ---------------------------------------------


def _ping_of(size: int, filler: str = "x") -> str:
    """A valid ping frame of exactly `size` UTF-8 bytes (filler: 1- or 2-byte characters)."""
    head, tail = '{"type": "ping", "pad": "', '"}'
    room = size - len(head) - len(tail)
    width = len(filler.encode())
    text = head + filler * (room // width) + "x" * (room % width) + tail
    assert len(text.encode()) == size
    return text


@channels_db
async def test_frames_just_under_and_over_the_size_limit_and_binary_frames(connect, world, caplog):
    """The limit counts UTF-8 bytes, not characters; binary frames are refused (text frames only)."""
    caplog.set_level(logging.WARNING)
    limit = django_settings.KENNISCLOUD["MAX_FRAME_BYTES"]
    _ok, ws = await connect(world.actor)
    cases: list[tuple[Frame, str]] = [
        (Frame(text=_ping_of(limit - 1)), "pong"),
        (Frame(text=_ping_of(limit, "é")), "pong"),
        (Frame(text=_ping_of(limit + 1)), "frame_too_large"),
        (Frame(text=_ping_of(limit + 1, "é")), "frame_too_large"),
        (Frame(text=_ping_of(2 << 20)), "frame_too_large"),
        (Frame(data=b'{"type": "ping"}'), "invalid_json"),
        (Frame(data=b"\xff\xfe\x00"), "invalid_json"),
        (Frame(data=b"x" * (limit + 1)), "frame_too_large"),
        (Frame(data=b"x" * (2 << 20)), "frame_too_large"),
    ]
    driver = Driver(asyncio.get_running_loop(), ws)
    for frame, answer in cases:
        await driver.send(frame)
        reply = await ws.next()
        assert (reply["type"] if answer == "pong" else reply["code"]) == answer, (reply, frame.size())
    await ws.ping()
    assert_no_error_logs(caplog)


# --- too many bad frames in a row --------------------------------------------------------------

BAD_FRAMES = st.one_of(
    st.text(min_size=1, max_size=30).filter(lambda t: expected_codes(Frame(text=t))[1]),
    st.binary(min_size=1, max_size=30),
    st.builds(lambda t: json.dumps({"type": t}), st.text(max_size=20).filter(lambda t: t not in ROUTES)),
    st.sampled_from(sorted(ROUTES))
    .filter(lambda t: ROUTES[t] is not None)
    .map(lambda t: json.dumps({"type": t})),
)


@channels_db
async def test_more_than_the_allowed_bad_frames_in_a_row_close_with_4008(connect, world, caplog):
    caplog.set_level(logging.WARNING)
    allowed = django_settings.KENNISCLOUD["MAX_BAD_FRAMES"]
    loop = asyncio.get_running_loop()
    runs = 0

    async def one_run(frames: list[str | bytes]) -> int | None:
        _ok, ws = await connect(world.actor)
        for frame in frames:
            await ws.communicator.send_to(
                **{"bytes_data" if isinstance(frame, bytes) else "text_data": frame}
            )
        for _ in frames:
            error = await ws.expect("error")
            assert error["code"] in {"invalid_json", "unknown_type", "validation_error"}, error
        return await ws.closed_with()

    @hypothesis_settings(FUZZ, max_examples=4)
    @given(st.lists(BAD_FRAMES, min_size=allowed + 1, max_size=allowed + 1))
    def bad_run(frames: list[str | bytes]) -> None:
        nonlocal runs
        runs += 1
        assert asyncio.run_coroutine_threadsafe(one_run(frames), loop).result(EXAMPLE_TIMEOUT) == (
            CLOSE_PROTOCOL_VIOLATION
        )

    await asyncio.to_thread(bad_run)
    assert runs == 4
    assert_no_error_logs(caplog)
