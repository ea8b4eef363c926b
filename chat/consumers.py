"""The live WebSocket interface (`/ws/`), documented in docs/protocol.md.

The consumer holds only the user and their subscriptions (group → last seq delivered). It parses a
frame, calls one service through `_call`, and answers DomainErrors with an `error` frame — the socket
stays open. It guarantees in-order, gapless delivery per group: a live event that skips ahead makes it
fill the gap from the database first; anything already delivered is dropped.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers as drf_serializers

from backend import channel_layer, metrics, orm_turns, realtime, shutdown, wire
from backend.broadcast import Frames
from backend.channel_layer import REDIS_DOWN
from backend.exceptions import DomainError, NotFound, error_payload, validation_error_from
from backend.wire import Wire
from groups.models import Group
from groups.selectors import access_group, standings_remembered
from meetups.frames import QUESTION_FRAMES
from meetups.live import (
    GuestScope,
    access_guest_group_live,
    active_guest,
    guest_event_visible,
    guest_group_seqs,
)
from moderation.frames import MODERATION_FRAMES
from moderation.selectors import moderated_library
from moderation.serializers import LibraryRefInput

from . import ping_checks, presence, serializers, services
from .selectors import (
    CatchUp,
    GroupRef,
    access_group_live,
    access_message,
    access_thread,
    access_thread_to_send,
    group_events_after,
)

try:  # daphne's WebSocket layer raises this when sending on a connection the client closed
    from autobahn.exception import Disconnected as ClientGone
except ImportError:  # pragma: no cover - another ASGI server
    ClientGone = ()  # type: ignore[assignment,misc]

logger = logging.getLogger(__name__)

CLOSE_NOT_AUTHENTICATED = 4001
CLOSE_FORBIDDEN = 4003
CLOSE_PROTOCOL_VIOLATION = 4008
CLOSE_KICKED = 4009
CLOSE_TRY_AGAIN = 1013  # Redis is unavailable at connect: reconnect with back-off
TYPING_THROTTLE_SECONDS = 2.0
CATCH_UP_STALL = 10.0  # seconds a catch-up waits for a client that does not read
CATCH_UP_CHUNK = 32 * 1024  # bytes of catch-up frames written at once

MSG_SERVER_ERROR = _("Something went wrong.")
MSG_FRAME_TOO_LARGE = _("The frame is larger than %(limit)s bytes.")
MSG_INVALID_JSON = _("The frame is not a JSON object.")
MSG_BINARY_FRAME = _("Send frames as text (JSON), not as binary data.")
MSG_UNKNOWN_TYPE = _("Unknown frame type.")


@dataclass(slots=True)
class Subscription:
    group: GroupRef  # not the Group instance: kept by every subscribed socket
    last_seq: int
    moderator: bool = False  # moderators receive hidden/removed messages marked, members withheld
    # A meetup guest's subscription: only events about its meetup and its conversation are sent;
    # the others advance last_seq silently (meetups.live.guest_event_visible).
    guest: GuestScope | None = None
    # While the socket fills a gap from the event log, live events wait here (in arrival order).
    filling: bool = False
    pending: list[tuple[dict[str, Any], Frames, float | None]] = field(default_factory=list)

    def withholds(self, event: dict[str, Any]) -> bool:
        return self.guest is not None and not guest_event_visible(event, self.guest)

    def guest_expired(self) -> bool:
        return self.guest is not None and time.time() >= self.guest.expires_at.timestamp()


@dataclass
class _Flight:
    """One catch-up read shared by the sockets that asked for the same range (see
    LiveConsumer._shared_catch_up)."""

    # The events, and each one's Frames: serialised once per kind of viewer for all the sockets.
    future: asyncio.Future[tuple[CatchUp, list[Frames]]]
    started: float | None = None  # when the read began, in its thread
    task: asyncio.Future[None] | None = None


# Per event loop (weak: a closed loop's reads go with it): (group, after_seq, language) → read.
_flights: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[int, int, str], _Flight]] = (
    weakref.WeakKeyDictionary()
)


class ProtocolError(DomainError):
    """A malformed frame; `code` is one of invalid_json, frame_too_large, unknown_type."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


def _protocol_error(code: str, detail: str) -> ProtocolError:
    return ProtocolError(code, detail)


# --- the synchronous work behind each frame: access check + one service ------------------------


def _send(
    *, user, thread: int, body: str, client_id, resources: list[int] | None = None
) -> services.SendResult:
    return services.message_send(
        author=user,
        thread=access_thread_to_send(user=user, thread_id=thread, client_id=client_id),
        body=body,
        client_id=client_id,
        resources=resources,
    )


def _edit(*, user, id: int, body: str) -> None:
    services.message_edit(actor=user, message=access_message(user=user, message_id=id), body=body)


def _delete(*, user, id: int) -> None:
    services.message_delete(actor=user, message=access_message(user=user, message_id=id))


def _react(*, user, id: int, emoji: str, add: bool) -> None:
    message = access_message(user=user, message_id=id)
    if add:
        services.reaction_add(actor=user, message=message, emoji=emoji)
    else:
        services.reaction_remove(actor=user, message=message, emoji=emoji)


def _typing(*, user, thread: int) -> None:
    services.typing_notify(actor=user, thread=access_thread(user=user, thread_id=thread))


def _read(*, user, thread: int, seq: int) -> None:
    services.thread_mark_read(actor=user, thread=access_thread(user=user, thread_id=thread), seq=seq)


def _guest_ping_state(*, user, group_ids: list[int]) -> tuple[dict[int, int], set[int]]:
    return guest_group_seqs(user=user, group_ids=group_ids), set()


def _frames(catch_up: CatchUp) -> list[Frames]:
    return [Frames(event) for event in catch_up.events]


def _run_translated(language: str, fn: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    # One frame's access check and service: the user's standing in a group is read once (the
    # access check's query reads it along) — see groups.selectors.standings_remembered.
    with translation.override(language), standings_remembered():
        return fn(**kwargs)


def _service_handler(service: Callable[..., Any]) -> Callable[[Any, dict], Any]:
    async def handle(consumer: LiveConsumer, data: dict[str, Any]) -> None:
        await consumer._call(service, **data)

    return handle


class LiveConsumer(AsyncWebsocketConsumer):
    too_slow = False  # dropped for not reading (see _drop_too_slow)
    _route_table: ClassVar[dict[str, tuple[Callable[[Any, dict], Any], type | None]]]  # per class

    async def __call__(
        self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]
    ) -> None:
        # The socket's whole life, refused or crashed ones included: the gauge cannot drift.
        metrics.OPEN_SOCKETS.inc()
        shutdown.track(self)  # a SIGTERMed worker closes it with 1000 (backend/shutdown.py)
        try:
            await super().__call__(scope, receive, send)
        finally:
            shutdown.untrack(self)
            metrics.OPEN_SOCKETS.dec()

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' dispatch (4.2+) first sends every message — each frame, each ping — to the ORM
        thread to close stale database connections, so a ping waited behind other sockets' sends.
        Our database calls check their connection in their own trip (backend/orm_turns.py)."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        user = self.scope.get("user")
        self.wire = Wire(self.base_send)
        self.max_backlog = settings.KENNISCLOUD["MAX_SOCKET_BACKLOG"]  # read per delivery: looked up once
        await self.accept()
        if shutdown.draining():
            await self.close(code=shutdown.CLOSE_SHUTDOWN)
            return
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_NOT_AUTHENTICATED)
            return
        if not user.is_active:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.user = user
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        requested = (query.get("lang") or [""])[0]
        self.language = requested if requested in {"nl", "en"} else (user.language or "nl")
        self.subscriptions: dict[int, Subscription] = {}
        # Groups being (re)subscribed: live events that arrive meanwhile wait for the catch-up.
        self.joining: dict[int, list[tuple[dict[str, Any], Frames, float | None]]] = {}
        self.revoked_while_joining: set[int] = set()
        self.tasks: set[asyncio.Task[None]] = set()  # gap fills, access checks, the ping's answer
        self.pinging: asyncio.Task[None] | None = None  # the ping being answered (on_ping)
        self.pings_owed: list[dict[str, str]] = []  # their echoes (`ref`)
        self.frame_echo: dict[str, str] = {}  # of the frame being handled
        self.slugs: dict[str, int] = {}
        self.bad_frames = 0
        self.last_typing: dict[int, float] = {}
        self.moderating: set[int] = set()
        self.is_guest = bool(getattr(user, "is_guest", False))
        self.token_id = self.scope.get("api_token_id")
        # A browser's socket belongs to its login session: logging out closes it.
        session = self.scope.get("session")
        self.session_key = None if self.token_id or session is None else session.session_key
        try:
            await self._join_own_channels()
        except REDIS_DOWN:
            # Without the channel layer a kick or revocation could not reach this socket.
            logger.warning("socket refused with %s: Redis unavailable", CLOSE_TRY_AGAIN)
            await self.close(code=CLOSE_TRY_AGAIN)

    async def _join_own_channels(self) -> None:
        """The channel groups that reach this socket whatever it subscribed to: its user, token or
        login session, and the report queues it follows. Joined at connect and again on every ping
        (a restarted Redis has forgotten them; group_expiry lets them lapse)."""
        self.joined_after = channel_layer.outages()
        # channels-redis forgets a member after group_expiry: joined again well before that, and
        # at once after Redis was unreachable (a restarted Redis has forgotten everything).
        self.rejoin_at = (
            time.monotonic()
            + settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("group_expiry", 86400) / 4
        )
        await realtime.join_user(self.channel_name, self.user.pk)
        if self.token_id:
            await realtime.join_token(self.channel_name, self.token_id)
        if self.session_key:
            await realtime.join_session(self.channel_name, self.session_key)
        for library_id in self.moderating:
            await realtime.join_moderators(self.channel_name, library_id)

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "subscriptions"):
            return
        for task in list(self.tasks):
            task.cancel()
        try:
            for group_id in list(self.subscriptions):
                await self._end_subscription(group_id, reason=None)
            await realtime.leave_user(self.channel_name, self.user.pk)
            if self.token_id:
                await realtime.leave_token(self.channel_name, self.token_id)
            if self.session_key:
                await realtime.leave_session(self.channel_name, self.session_key)
            for library_id in self.moderating:
                await realtime.leave_moderators(self.channel_name, library_id)
        except REDIS_DOWN:
            # What is left expires by itself (group_expiry; presence after PRESENCE_TTL).
            logger.warning("socket closed without leaving its channel groups: Redis unavailable")

    # --- frames from the client ------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        echo: dict[str, str] = {}
        try:
            frame = self._parse(text_data, bytes_data)
            echo = self._echo(frame)
            handler, serializer_class = self._route(frame.get("type"))
            data = self._validate(serializer_class, frame)
            self.bad_frames = 0
            if self.is_guest:
                await self._guest_check()
            self.frame_echo = echo
            await handler(self, data)
        except Exception as error:  # never let one frame take the socket down
            await self._answer_failure(error, echo)

    async def _answer_failure(self, error: Exception, echo: dict[str, str]) -> None:
        if isinstance(error, DomainError):
            await self._send_error(error, echo)
            return
        with translation.override(self.language):
            mapped = error_payload(error)
        if mapped is None:
            logger.exception("unexpected error handling a frame", exc_info=error)
            payload = {"code": "server_error", "detail": self._t(MSG_SERVER_ERROR)}
        else:
            payload = mapped[1]
        await self._send_frame({"type": "error", **payload, **echo})

    def _parse(self, text_data: str | None, bytes_data: bytes | None) -> dict[str, Any]:
        limit = settings.KENNISCLOUD["MAX_FRAME_BYTES"]
        raw = text_data if text_data is not None else bytes_data or b""
        # "surrogatepass": a lone surrogate must not break the size check; it is refused below.
        size = len(raw.encode("utf-8", "surrogatepass")) if isinstance(raw, str) else len(raw)
        if size > limit:
            self._count_bad_frame()
            raise _protocol_error(
                "frame_too_large",
                self._t(MSG_FRAME_TOO_LARGE) % {"limit": limit},
            )
        if text_data is None:
            self._count_bad_frame()  # text frames only (docs/protocol.md)
            raise _protocol_error("invalid_json", self._t(MSG_BINARY_FRAME))
        try:
            frame = json.loads(raw)
            # Lone UTF-16 surrogates parse, but can be neither stored nor sent back.
            json.dumps(frame, ensure_ascii=False).encode("utf-8")
        except (ValueError, UnicodeError, RecursionError):
            frame = None
        if not isinstance(frame, dict):
            self._count_bad_frame()
            raise _protocol_error("invalid_json", self._t(MSG_INVALID_JSON))
        return frame

    def _route(self, frame_type: Any) -> tuple[Callable[[Any, dict], Any], type | None]:
        routes = type(self).__dict__.get("_route_table")
        if routes is None:
            routes = type(self)._route_table = self.routes()
        if not isinstance(frame_type, str) or frame_type not in routes:
            self._count_bad_frame()
            raise _protocol_error("unknown_type", self._t(MSG_UNKNOWN_TYPE))
        return routes[frame_type]

    @classmethod
    def routes(cls) -> dict[str, tuple[Callable[[Any, dict], Any], type | None]]:
        """Every client frame type: its handler (a function of the consumer and the validated
        data) and input serializer (None: no fields). Built once per class, not per socket: a
        table of bound methods and closures was ~6 KB of every open socket."""
        return {
            "subscribe": (cls.on_subscribe, serializers.SubscribeInput),
            "unsubscribe": (cls.on_unsubscribe, serializers.GroupRefInput),
            "message.send": (cls.on_send, serializers.MessageSendInput),
            "message.edit": (cls.on_edit, serializers.MessageEditInput),
            "message.delete": (cls.on_delete, serializers.MessageRefInput),
            "reaction.add": (cls.on_reaction_add, serializers.ReactionInput),
            "reaction.remove": (cls.on_reaction_remove, serializers.ReactionInput),
            "typing": (cls.on_typing, serializers.ThreadRefInput),
            "read": (cls.on_read, serializers.ReadInput),
            "ping": (cls.on_ping, None),
            "moderation.subscribe": (cls.on_moderation_subscribe, LibraryRefInput),
            # Frames of other apps: each an access check + one service (moderation, meetup questions).
            **{
                name: (_service_handler(service), serializer)
                for name, (service, serializer) in {**MODERATION_FRAMES, **QUESTION_FRAMES}.items()
            },
        }

    def _validate(self, serializer_class: type | None, frame: dict[str, Any]) -> dict[str, Any]:
        if serializer_class is None:
            return {}
        serializer = serializer_class(data=frame)
        try:
            with translation.override(self.language):
                serializer.is_valid(raise_exception=True)
                return dict(serializer.validated_data)
        except drf_serializers.ValidationError as exc:
            self._count_bad_frame()
            with translation.override(self.language):
                raise validation_error_from(exc) from exc

    def _count_bad_frame(self) -> None:
        self.bad_frames += 1

    async def on_subscribe(self, data: dict[str, Any]) -> None:
        guest = None
        if self.is_guest:
            group, guest = await self._call(access_guest_group_live, slug=data["group"])
            moderator = False
        else:
            group, moderator = await self._call(access_group_live, slug=data["group"])
        self.joining[group.pk] = []
        self.revoked_while_joining.discard(group.pk)
        try:
            await realtime.join_group(self, group.pk)
            # Read after joining: whatever commits from here on arrives live too (and waits in
            # `joining` until the catch-up is out).
            after_seq = data.get("after_seq")
            if after_seq is None:
                after_seq = group.last_seq
            catch_up, frames = await self._shared_catch_up(group, after_seq)
            if group.pk in self.revoked_while_joining:
                # Access ended meanwhile: refused as the access check refuses it now.
                await self._call(
                    access_guest_group_live if self.is_guest else access_group_live, slug=data["group"]
                )
        except BaseException:
            self.joining.pop(group.pk, None)
            if group.pk not in self.subscriptions:
                await realtime.leave_group(self, group.pk)
            raise
        if data.get("after_seq") is not None and catch_up.last_seq > after_seq:
            # Changes the client did not get live (its socket dropped, stalled or was offline).
            metrics.DROPPED_DELIVERIES.labels(reason="resumed").inc(catch_up.last_seq - after_seq)
        first = group.pk not in self.subscriptions
        subscription = Subscription(
            group=GroupRef(group.pk, group.slug),
            last_seq=after_seq,
            moderator=moderator,
            guest=guest,
            filling=True,
            pending=self.joining.pop(group.pk),
        )
        self.subscriptions[group.pk] = subscription
        self.slugs[group.slug] = group.pk
        await self._deliver_catch_up(group.pk, catch_up, frames)
        await self._fill(group.pk, subscription, read_log=False)
        await self._send_frame(
            {
                "type": "subscribed",
                "group": group.slug,
                "last_seq": self.subscriptions[group.pk].last_seq,
            }
        )
        if first:
            changed = await presence.touch(group.pk, self.user.pk, self.channel_name)
            await self._presence(group, broadcast=changed)

    async def on_unsubscribe(self, data: dict[str, Any]) -> None:
        group_id = self.slugs.get(data["group"])
        if group_id is not None:
            await self._end_subscription(group_id, reason="requested")
        else:
            await self._send_frame({"type": "unsubscribed", "group": data["group"], "reason": "requested"})

    async def on_send(self, data: dict[str, Any]) -> None:
        result = await self._call(_send, **data)
        await self._send_frame(
            {
                "type": "ack",
                "client_id": str(data["client_id"]),
                "id": result.message.pk,
                "seq": result.message.seq,
            }
        )

    async def on_edit(self, data: dict[str, Any]) -> None:
        await self._call(_edit, **data)

    async def on_delete(self, data: dict[str, Any]) -> None:
        await self._call(_delete, **data)

    async def on_reaction_add(self, data: dict[str, Any]) -> None:
        await self._call(_react, add=True, **data)

    async def on_reaction_remove(self, data: dict[str, Any]) -> None:
        await self._call(_react, add=False, **data)

    async def on_typing(self, data: dict[str, Any]) -> None:
        now = time.monotonic()
        if now - self.last_typing.get(data["thread"], 0.0) < TYPING_THROTTLE_SECONDS:
            return
        self.last_typing[data["thread"]] = now
        await self._call(_typing, **data)

    async def on_moderation_subscribe(self, data: dict[str, Any]) -> None:
        """The live report queue of a library, for its librarians and staff."""
        library = await self._call(moderated_library, slug=data["library"])
        await realtime.join_moderators(self.channel_name, library.pk)
        self.moderating.add(library.pk)
        await self._send_frame({"type": "moderation.subscribed", "library": library.slug})

    async def moderation_event(self, message: dict[str, Any]) -> None:
        await self._send_frame(message["event"])

    async def on_read(self, data: dict[str, Any]) -> None:
        await self._call(_read, **data)

    async def on_ping(self, data: dict[str, Any]) -> None:
        """Keep-alive, and the safety net under live delivery (see _ping_checks). Answered by a task
        of its own, one at a time per socket: the shared re-check waits up to PING_BATCH_SECONDS
        for other sockets' pings, and the frames this socket sends meanwhile — a message typed just
        then — must not wait behind it. Pings that arrive while one is being answered are
        answered together after it, a `pong` (or an error with the ping's `ref`) each."""
        self.pings_owed.append(self.frame_echo)
        if self.pinging is None:
            self.pinging = asyncio.ensure_future(self._answer_pings())
            self.tasks.add(self.pinging)
            self.pinging.add_done_callback(self.tasks.discard)

    async def _answer_pings(self) -> None:
        try:
            while self.pings_owed:
                owed, self.pings_owed = self.pings_owed, []  # those arriving meanwhile: checked after
                failure = None
                try:
                    await self._ping_checks()
                except Exception as error:  # each ping is answered as a failed frame would be
                    failure = error
                for echo in owed:
                    if failure is None:
                        await self._send_frame({"type": "pong"})
                    else:
                        await self._answer_failure(failure, echo)
        finally:
            self.pinging = None

    async def _ping_checks(self) -> None:
        """Re-join the socket's channel groups after a Redis outage and well within channels-redis'
        group_expiry, drop groups the user may no longer see even if a revocation was lost, and
        fill any trailing event that did not arrive. Other frames of the socket run meanwhile: a
        subscription ended or replaced while this waits is left to whoever changed it."""
        if channel_layer.outages() != self.joined_after or time.monotonic() > self.rejoin_at:
            await self._join_own_channels()
        if self.is_guest:
            await self._refresh_guest_pass()
        # The groups still visible (with their last seq) and the ones moderated — roles change: a
        # demoted moderator stops receiving hidden text, a promoted one starts. One query for the
        # pings of all sockets of this process that arrive together (chat.ping_checks).
        checked = dict(self.subscriptions)
        if self.is_guest:
            seqs, moderated = await self._call(_guest_ping_state, group_ids=list(checked))
        else:
            seqs, moderated = await ping_checks.live_state(self.user, list(checked))
        for group_id, subscription in checked.items():
            await self._ping_check(group_id, subscription, seqs.get(group_id), group_id in moderated)

    async def _ping_check(
        self, group_id: int, subscription: Subscription, last_seq: int | None, moderator: bool
    ) -> None:
        """One group's part of a ping's answer (`last_seq` None: no longer visible). Each await lets
        the socket's other frames run: the subscription is checked to be the same after each."""
        if not self._current(group_id, subscription):
            return
        if last_seq is None:
            await self._end_subscription(group_id, reason="removed")
            return
        subscription.moderator = moderator
        await realtime.join_group(self, group_id)  # registers at once: no unsubscribe in between
        if not self._current(group_id, subscription):
            return
        if last_seq > subscription.last_seq and self._claim_fill(subscription):
            metrics.gap_filled(last_seq - subscription.last_seq, reason="ping")
            await self._fill(group_id, subscription)
        if self._current(group_id, subscription) and await presence.touch(
            group_id, self.user.pk, self.channel_name
        ):
            await self._presence(subscription.group, broadcast=True)

    def _current(self, group_id: int, subscription: Subscription) -> bool:
        """Whether `subscription` is still the socket's subscription to the group (not ended, nor
        ended and replaced by a new one) after an await."""
        return self.subscriptions.get(group_id) is subscription

    # --- a group's frames, from backend.broadcast (one decode and serialisation per process) ------

    async def fan_out(self, message: dict[str, Any], frames: Frames) -> None:
        """A frame published to a group this socket joined. Called for every local socket of the
        group in turn, so it never waits on the database: gap fills and access checks run as
        tasks of their own, and a slow client's frames are buffered by the server, not awaited."""
        kind = message["type"]
        group_id = message["group_id"]
        if kind == "group.event":
            await self._live_event(group_id, message["event"], frames, message.get("committed_at"))
        elif kind == "group.ephemeral":
            await self._ephemeral(group_id, message["event"], frames)
        elif kind == "group.revoked":
            if message["user_id"] == self.user.pk:
                self._revoked(group_id, message["reason"])
        elif kind == "group.access_changed":
            self._spawn(self._recheck_access(group_id))
        elif kind == "group.resync":
            subscription = self.subscriptions.get(group_id)
            if subscription is not None and self._claim_fill(subscription):
                self._spawn(self._fill(group_id, subscription))

    async def _live_event(
        self, group_id: int, event: dict[str, Any], frames: Frames, committed_at: float | None
    ) -> None:
        waiting = self.joining.get(group_id)
        if waiting is not None:
            waiting.append((event, frames, committed_at))
            return
        subscription = self.subscriptions.get(group_id)
        if subscription is None:
            return
        if subscription.filling:
            subscription.pending.append((event, frames, committed_at))
            return
        await self._deliver_live(group_id, subscription, event, frames, committed_at)

    async def _deliver_live(
        self,
        group_id: int,
        subscription: Subscription,
        event: dict[str, Any],
        frames: Frames,
        committed_at: float | None,
    ) -> bool:
        """Deliver one live event in order; False when it is ahead of the socket (a gap to fill)."""
        seq = event["seq"]
        if seq <= subscription.last_seq:
            return True
        if subscription.guest_expired():
            self._spawn(self._end_subscription(group_id, reason="expired"))
            return True
        if seq > subscription.last_seq + 1:
            if self._claim_fill(subscription):
                # A frame was lost or overtaken: fill the gap from the event log.
                metrics.gap_filled(seq - subscription.last_seq - 1)
                self._spawn(self._fill(group_id, subscription))
            return False
        subscription.last_seq = seq
        if subscription.withholds(event):
            return True
        if self.too_slow:
            return True
        viewer = {"moderator": subscription.moderator, "viewer_id": self.user.pk}
        if not self.wire.write(frames.framed(**viewer)):
            await self._send_text(frames.text(**viewer), sequenced=True)
        if frames.dispatched:  # it waited for a gap fill
            metrics.delivered(committed_at)
        else:
            frames.delivered += 1
        if self.wire.backlog() > self.max_backlog:
            self._drop_too_slow()
        return True

    @staticmethod
    def _claim_fill(subscription: Subscription) -> bool:
        """Whether the caller may start a gap fill: one at a time per subscription (the others'
        live events wait in `pending` meanwhile)."""
        if subscription.filling:
            return False
        subscription.filling = True
        return True

    async def _fill(self, group_id: int, subscription: Subscription, *, read_log: bool = True) -> None:
        """Fill a gap from the event log, then deliver the live events that waited meanwhile; read
        the log again as long as they skip ahead. Precondition: the caller claimed it
        (`_claim_fill`, or a new subscription), synchronously, so that no other fill starts."""
        try:
            while self._current(group_id, subscription):
                if read_log:
                    catch_up = await self._call_db(
                        group_events_after, group=subscription.group, after_seq=subscription.last_seq
                    )
                    if not self._current(group_id, subscription):
                        return
                    await self._deliver_catch_up(group_id, catch_up, _frames(catch_up))
                waiting, subscription.pending = subscription.pending, []
                read_log = False
                for event, frames, committed_at in waiting:
                    if not await self._deliver_live(group_id, subscription, event, frames, committed_at):
                        read_log = True
                        break
                if not read_log and not subscription.pending:
                    return
        finally:
            subscription.filling = False
            subscription.pending = []

    async def _ephemeral(self, group_id: int, event: dict[str, Any], frames: Frames) -> None:
        subscription = self.subscriptions.get(group_id)
        if subscription is None:
            return
        if subscription.withholds(event):
            return
        if event["type"] == "typing" and event["user"]["id"] == self.user.pk:
            return
        await self._send_text(frames.full())

    def _revoked(self, group_id: int, reason: str) -> None:
        """The user lost access: nothing more is delivered from now on (synchronously, before the
        next frame is dispatched); leaving the group and telling the client follow in a task."""
        if group_id in self.joining:
            self.joining[group_id] = []
            self.revoked_while_joining.add(group_id)
        if group_id in self.subscriptions:
            subscription = self._detach(group_id)
            self._spawn(self._after_detach(group_id, subscription, reason))

    def _spawn(self, work: Any) -> None:
        task = asyncio.ensure_future(self._guarded(work))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    @staticmethod
    async def _guarded(work: Any) -> None:
        """A task started by fan_out: a database or Redis hiccup is logged and the socket lives on
        (its subscription state is unchanged, so the next event or ping retries)."""
        try:
            await work
        except REDIS_DOWN as error:
            logger.warning("live delivery task: Redis unavailable (%s)", error)
        except Exception:
            logger.exception("live delivery task failed")

    async def _recheck_access(self, group_id: int) -> None:
        """Who may see the group changed: check again; a socket that lost it is unsubscribed."""
        subscription = self.subscriptions.get(group_id)
        if subscription is None:
            return
        try:
            await self._call(
                access_guest_group_live if self.is_guest else access_group, slug=subscription.group.slug
            )
        except NotFound:
            if self._current(group_id, subscription):
                await self._end_subscription(group_id, reason="removed")

    # --- messages from the channel layer (see backend/realtime.py) ------------------------------

    async def user_event(self, message: dict[str, Any]) -> None:
        await self._send_frame(message["event"])

    async def token_revoked(self, message: dict[str, Any]) -> None:
        await self.close(code=CLOSE_NOT_AUTHENTICATED)

    async def session_ended(self, message: dict[str, Any]) -> None:
        """Its login session was logged out."""
        await self.close(code=CLOSE_NOT_AUTHENTICATED)

    async def sessions_recheck(self, message: dict[str, Any]) -> None:
        """The password changed: reconnect, so the handshake checks this socket's session again."""
        if self.session_key:
            await self.close(code=CLOSE_KICKED)

    async def user_kicked(self, message: dict[str, Any]) -> None:
        await self.close(code=CLOSE_KICKED)

    # --- helpers ---------------------------------------------------------------------------------

    async def _deliver_catch_up(self, group_id: int, catch_up: CatchUp, frames: list[Frames]) -> None:
        """Send the events the subscription has not had, in order (`frames`: the events'
        serialisations, shared by the sockets of a shared read — see _shared_catch_up)."""
        subscription = self.subscriptions[group_id]
        if catch_up.resync_required:
            subscription.last_seq = catch_up.last_seq
            await self._send_frame(
                {
                    "type": "resync_required",
                    "group": subscription.group.slug,
                    "last_seq": catch_up.last_seq,
                }
            )
            return
        # Framed once per kind of viewer (shared by the sockets of the read), and put on the socket
        # in chunks of CATCH_UP_CHUNK bytes, one write each (backend/wire.py): after a network blip
        # hundreds of sockets catch up on hundreds of events each at once.
        chunk: list[int] = []
        size = 0
        viewer = {"moderator": subscription.moderator, "viewer_id": self.user.pk}
        for index, event in enumerate(catch_up.events):
            if event["seq"] <= subscription.last_seq:
                continue
            if size >= CATCH_UP_CHUNK:
                await self._write_chunk(chunk, frames, viewer)
                chunk, size = [], 0
                if not await self._drained():
                    return
            subscription.last_seq = event["seq"]
            if not subscription.withholds(event):
                chunk.append(index)
                size += len(frames[index].framed(**viewer))
        await self._write_chunk(chunk, frames, viewer)
        subscription.last_seq = max(subscription.last_seq, catch_up.last_seq)

    async def _write_chunk(self, chunk: list[int], frames: list[Frames], viewer: dict[str, Any]) -> None:
        if not chunk:
            return
        if not self.wire.write(b"".join(frames[index].framed(**viewer) for index in chunk)):
            for index in chunk:  # the ordinary path, frame by frame
                await self._send_text(frames[index].text(**viewer), sequenced=True)
        metrics.delivered(count=len(chunk))

    async def _guest_check(self) -> None:
        """A guest whose pass expired loses its subscriptions at its next frame (`expired`); the
        frame itself is then refused by the access checks like any other. The pass's end came
        with the subscription: no query per frame."""
        for group_id, subscription in list(self.subscriptions.items()):
            if subscription.guest_expired() and self._current(group_id, subscription):
                await self._end_subscription(group_id, reason="expired")

    async def _refresh_guest_pass(self) -> None:
        """On ping: the pass as the database has it now (shortened, or ended)."""
        scope = await self._call_db(active_guest, user=self.user)
        for group_id, subscription in list(self.subscriptions.items()):
            if not self._current(group_id, subscription):  # ended meanwhile (a frame's check)
                continue
            if scope is None:
                await self._end_subscription(group_id, reason="expired")
            else:
                subscription.guest = scope

    async def _end_subscription(self, group_id: int, reason: str | None) -> None:
        if group_id not in self.subscriptions:  # ended meanwhile (a ping's answer, a frame, a task)
            return
        await self._after_detach(group_id, self._detach(group_id), reason)

    def _detach(self, group_id: int) -> Subscription:
        subscription = self.subscriptions.pop(group_id)
        if self.slugs.get(subscription.group.slug) == group_id:
            del self.slugs[subscription.group.slug]
        return subscription

    async def _after_detach(self, group_id: int, subscription: Subscription, reason: str | None) -> None:
        if group_id not in self.subscriptions and group_id not in self.joining:
            await realtime.leave_group(self, group_id)
        if await presence.drop(group_id, self.user.pk, self.channel_name):
            await self._presence(subscription.group, broadcast=True)
        if reason is not None:
            await self._send_frame(
                {"type": "unsubscribed", "group": subscription.group.slug, "reason": reason}
            )

    async def _presence(self, group: Group | GroupRef, *, broadcast: bool) -> None:
        if broadcast:
            presence.announce(group.pk, group.slug)
            return
        online = await presence.online_briefs(group.pk)
        await self._send_frame({"type": "presence", "group": group.slug, "online": online})

    async def _shared_catch_up(self, group: Group | GroupRef, after_seq: int) -> tuple[CatchUp, list[Frames]]:
        """The events after `after_seq`, read once for all the sockets of this process that ask for
        the same range at the same time — after a network blip or a deploy, hundreds reconnect
        with the same `after_seq`. The catch-up does not depend on the viewer (each socket redacts
        what it delivers), and a socket only shares a read that had not started before it joined
        the group: whatever committed after its join is in the read or arrives live."""
        joined_at = time.monotonic()
        flights = _flights.setdefault(asyncio.get_running_loop(), {})
        key = (group.pk, after_seq, self.language)
        flight = flights.get(key)
        stale = flight is not None and flight.started is not None and flight.started < joined_at
        if flight is None or flight.future.done() or stale:
            flight = _Flight(asyncio.get_running_loop().create_future())
            flights[key] = flight
            # Not one of this socket's tasks: its disconnect must not cancel the others' read.
            flight.task = asyncio.ensure_future(self._fly(flight, flights, key, group, after_seq))
        return await asyncio.shield(flight.future)

    async def _fly(
        self,
        flight: _Flight,
        flights: dict,
        key: tuple[int, int, str],
        group: Group | GroupRef,
        after_seq: int,
    ) -> None:
        def read() -> CatchUp:
            flight.started = time.monotonic()
            return group_events_after(group=group, after_seq=after_seq)

        try:
            catch_up = await self._call_db(read)
            flight.future.set_result((catch_up, _frames(catch_up)))
        except asyncio.CancelledError:
            flight.future.cancel()
            raise
        except Exception as error:
            flight.future.set_exception(error)
            flight.future.exception()  # retrieved: the sockets waiting for it raise it themselves
        finally:
            if flights.get(key) is flight:
                del flights[key]

    async def _call(self, fn: Callable[..., Any], **kwargs: Any) -> Any:
        """Run one access check + service in a worker thread, in the socket's language."""
        return await orm_turns.run(_run_translated, self.language, fn, {"user": self.user, **kwargs})

    async def _call_db(self, fn: Callable[..., Any], **kwargs: Any) -> Any:
        return await orm_turns.run(_run_translated, self.language, fn, kwargs)

    async def _send_error(self, error: DomainError, echo: dict[str, str]) -> None:
        with translation.override(self.language):
            payload = error.as_payload()
        await self._send_frame({"type": "error", **payload, **echo})
        if self.bad_frames > settings.KENNISCLOUD["MAX_BAD_FRAMES"]:
            await self.close(code=CLOSE_PROTOCOL_VIOLATION)

    @staticmethod
    def _echo(frame: dict[str, Any]) -> dict[str, str]:
        """What an error frame repeats so the client can tie it to its request: the `client_id` of
        a `message.send`, and any short string `ref` the client put on a frame."""
        echo = {}
        if frame.get("type") == "message.send" and isinstance(frame.get("client_id"), str):
            echo["client_id"] = frame["client_id"][:64]
        if isinstance(frame.get("ref"), str):
            echo["ref"] = frame["ref"][:64]
        return echo

    def _t(self, text: Any) -> str:
        with translation.override(self.language):
            return str(text)

    async def _drained(self) -> bool:
        """Before each frame of a catch-up (a burst of up to CATCH_UP_LIMIT events): wait while
        more than half the backlog limit is still unsent, so a client that reads catches up at its
        own pace; one that stops reading for CATCH_UP_STALL seconds is dropped. False: dropped."""
        half = self.max_backlog // 2
        deadline = time.monotonic() + CATCH_UP_STALL
        while self.wire.backlog() > half and not self.too_slow:
            if time.monotonic() > deadline:
                self._drop_too_slow()
                break
            await asyncio.sleep(0.02)
        return not self.too_slow

    def _drop_too_slow(self) -> None:
        """The client stopped reading: drop the connection (a close frame could not get through)
        and the frames waiting for it, so its memory is bounded. It reconnects and resumes by seq."""
        self.too_slow = True
        logger.warning("socket dropped: its client stopped reading (%s bytes waiting)", self.wire.backlog())
        metrics.DROPPED_DELIVERIES.labels(reason="too_slow").inc()
        self.wire.abort()

    async def _send_frame(self, frame: dict[str, Any]) -> None:
        await self._send_text(json.dumps(frame, ensure_ascii=False), sequenced="seq" in frame)

    async def _send_text(self, text: str, *, sequenced: bool = False) -> None:
        if self.too_slow:
            return
        if self.wire.write(wire.frame(text)):  # straight onto the socket, as live frames (backend/wire.py)
            return
        try:
            await self.wire.send({"type": "websocket.send", "text": text})
        except ClientGone:
            # The client closed while this frame was on its way (its disconnect is not handled yet);
            # nothing is lost: it resumes by seq when it reconnects.
            logger.debug("frame dropped: the client has gone")
            if sequenced:
                metrics.DROPPED_DELIVERIES.labels(reason="client_gone").inc()
