"""The one entry point to live delivery.

Features publish through these functions only; consumers join and leave through them.

A knowledge group's frames go through `backend.broadcast` — one Redis pub/sub subscription per
server process and group, one serialised frame per kind of viewer — never one channel-layer message
per member (docs/architecture.md, "Live fan-out"). Consumer method in brackets:
- `group.event` [fan_out]: a stored, sequenced change of a knowledge group.
- `group.ephemeral` [fan_out]: typing and presence; not stored, no seq.
- `group.access_changed` [fan_out]: who may see the group changed (it became closed);
  every subscribed socket checks its access again.
- `group.revoked` [fan_out]: one user lost access to the group; their sockets stop at once.

Frames for one user, token, login session or library's moderators are few and go over the
Channels layer (consumer handler in brackets):
- `user.event` [user_event]: a frame for all sockets of one user (unread counts).
- `user.kicked` [user_kicked]: close all of the user's sockets now.
- `token.revoked` [token_revoked]: the personal token a socket opened with was revoked: close it.
- `moderation.event` [moderation_event]: the live report queue, to a library's moderators only.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from backend import broadcast
from backend.channel_layer import REDIS_DOWN

logger = logging.getLogger(__name__)


def user_channel(user_id: int) -> str:
    return f"kuser.{user_id}"


def token_channel(token_id: int) -> str:
    return f"ktoken.{token_id}"


def session_channel(session_key: str) -> str:
    """The sockets opened with one login session (a hash: the key itself never leaves the process)."""
    return f"session.{hashlib.sha256(session_key.encode()).hexdigest()[:32]}"


def moderators_channel(library_id: int) -> str:
    return f"kmod.{library_id}"


def _send(channel_group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(channel_group, message)
    except REDIS_DOWN as error:
        # Stored all the same: subscribers fill the gap by seq (on the next event or ping).
        logger.warning("publishing to %s failed: Redis unavailable (%s)", channel_group, error)
    except Exception:
        # The change is stored; clients catch up from the event log by seq. Never fail the caller.
        logger.exception("publishing to %s failed", channel_group)


def _broadcast(group_id: int, message: dict[str, Any]) -> None:
    try:
        broadcast.publish(group_id, message)
    except REDIS_DOWN as error:
        # Stored all the same: subscribers fill the gap by seq (on the next event or ping).
        logger.warning("publishing to group %s failed: Redis unavailable (%s)", group_id, error)
    except Exception:
        # The change is stored; clients catch up from the event log by seq. Never fail the caller.
        logger.exception("publishing to group %s failed", group_id)


def publish_on_commit(group_id: int, event: dict[str, Any]) -> None:
    """Broadcast a sequenced event to a group's subscribers after the current transaction commits.
    `committed_at` (epoch seconds, taken at commit) lets consumers measure the delivery lag."""
    transaction.on_commit(
        lambda: _broadcast(
            group_id,
            {"type": "group.event", "group_id": group_id, "event": event, "committed_at": time.time()},
        )
    )


def publish_ephemeral(group_id: int, event: dict[str, Any]) -> None:
    """Broadcast a frame that is not stored (typing, presence) right away."""
    _broadcast(group_id, {"type": "group.ephemeral", "group_id": group_id, "event": event})


def publish_ephemeral_on_commit(group_id: int, event: dict[str, Any]) -> None:
    """An unsequenced frame (derived state, e.g. suggestions) to a group's sockets after commit."""
    transaction.on_commit(lambda: publish_ephemeral(group_id, event))


async def apublish_ephemeral(group_id: int, event: dict[str, Any]) -> None:
    await broadcast.apublish(group_id, {"type": "group.ephemeral", "group_id": group_id, "event": event})


def notify_user_on_commit(user_id: int, event: dict[str, Any]) -> None:
    """Send a frame to every open socket of one user after commit."""
    transaction.on_commit(lambda: _send(user_channel(user_id), {"type": "user.event", "event": event}))


def revoke_on_commit(*, user_id: int, group_id: int, reason: str) -> None:
    """Stop delivering a group to every open socket of a user, once the change is committed. Sent on
    the group's own channel, so every event published after it reaches the user's sockets after it
    too: they have stopped by then."""
    transaction.on_commit(
        lambda: _broadcast(
            group_id, {"type": "group.revoked", "group_id": group_id, "user_id": user_id, "reason": reason}
        )
    )


def publish_to_moderators_on_commit(library_id: int, event: dict[str, Any]) -> None:
    """Send a frame to the library's moderators' sockets (the live report queue) after commit."""
    transaction.on_commit(
        lambda: _send(moderators_channel(library_id), {"type": "moderation.event", "event": event})
    )


async def join_moderators(channel_name: str, library_id: int) -> None:
    await get_channel_layer().group_add(moderators_channel(library_id), channel_name)


async def leave_moderators(channel_name: str, library_id: int) -> None:
    await get_channel_layer().group_discard(moderators_channel(library_id), channel_name)


def close_token_sockets_on_commit(token_id: int) -> None:
    """Close every socket opened with a personal token once its revocation commits."""
    transaction.on_commit(lambda: _send(token_channel(token_id), {"type": "token.revoked"}))


async def join_token(channel_name: str, token_id: int) -> None:
    await get_channel_layer().group_add(token_channel(token_id), channel_name)


async def leave_token(channel_name: str, token_id: int) -> None:
    await get_channel_layer().group_discard(token_channel(token_id), channel_name)


def kick_on_commit(*, user_id: int, reason: str) -> None:
    """Close every open socket of a user once the change commits (they may reconnect)."""
    transaction.on_commit(lambda: _send(user_channel(user_id), {"type": "user.kicked", "reason": reason}))


def end_session_sockets(session_key: str) -> None:
    """Close the sockets of one login session (logout): they no longer have a session."""
    _send(session_channel(session_key), {"type": "session.ended"})


def recheck_sessions_on_commit(user_id: int) -> None:
    """Make every session socket of a user reconnect (password changed or reset): a socket whose
    session the change invalidated is then refused at the handshake, the others come back.
    Token sockets are not sessions: kept."""
    transaction.on_commit(lambda: _send(user_channel(user_id), {"type": "sessions.recheck"}))


async def join_session(channel_name: str, session_key: str) -> None:
    await get_channel_layer().group_add(session_channel(session_key), channel_name)


async def leave_session(channel_name: str, session_key: str) -> None:
    await get_channel_layer().group_discard(session_channel(session_key), channel_name)


def recheck_access_on_commit(group_id: int) -> None:
    """Make every socket subscribed to the group check its access again, once the change commits."""
    transaction.on_commit(
        lambda: _broadcast(group_id, {"type": "group.access_changed", "group_id": group_id})
    )


async def join_group(listener: broadcast.Listener, group_id: int) -> None:
    """Deliver the group's frames to a socket; returns once nothing published from now on can be
    missed (so a catch-up read after it is complete). Idempotent."""
    await broadcast.join(group_id, listener)


async def leave_group(listener: broadcast.Listener, group_id: int) -> None:
    await broadcast.leave(group_id, listener)


async def join_user(channel_name: str, user_id: int) -> None:
    await get_channel_layer().group_add(user_channel(user_id), channel_name)


async def leave_user(channel_name: str, user_id: int) -> None:
    await get_channel_layer().group_discard(user_channel(user_id), channel_name)
