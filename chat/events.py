"""Typed payloads of the live protocol (docs/protocol.md). REST serialises messages with the same
functions, so a message looks the same everywhere."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, TypedDict

from .models import Message, Reaction, Thread

MESSAGE_EVENT_TYPES: frozenset[str] = frozenset(
    {
        "message.created",
        "message.edited",
        "message.deleted",
        "reaction.changed",
        "message.hidden",
        "message.unhidden",
        "message.removed",
        "message.pinned",
        "message.unpinned",
        "message.approved",
        "message.resources",  # its attached resources changed, or a link preview arrived
    }
)
THREAD_EVENT_TYPES: frozenset[str] = frozenset({"thread.created", "thread.locked", "thread.unlocked"})


class UserBrief(TypedDict):
    id: int
    display_name: str


class ReactionSummary(TypedDict):
    emoji: str
    count: int
    users: list[int]


class MessagePayload(TypedDict):
    id: int
    group: str
    thread: int
    seq: int
    author: UserBrief
    body: str
    html: str
    created_at: str
    edited_at: str | None
    deleted: bool
    reactions: list[ReactionSummary]
    client_id: str
    pinned: bool
    moderation: dict[str, str] | None
    resources: list[dict[str, Any]]


def _iso(value) -> str | None:
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z")


def user_brief(user) -> UserBrief:
    return {"id": user.id, "display_name": user.display_name}


def reactions_summary(reactions: list[Reaction]) -> list[ReactionSummary]:
    if not reactions:
        return []  # most messages: nothing to sort or group
    by_emoji: dict[str, list[int]] = defaultdict(list)
    for reaction in sorted(reactions, key=lambda r: (r.created_at, r.pk)):
        by_emoji[reaction.emoji].append(reaction.user_id)
    return [{"emoji": e, "count": len(u), "users": u} for e, u in by_emoji.items()]


def _reactions(message: Message) -> list[Reaction]:
    prefetched = getattr(message, "reaction_list", None)  # chat.selectors._messages
    return list(message.reactions.all()) if prefetched is None else prefetched


def _resources(message: Message) -> list[dict[str, Any]]:
    links = getattr(message, "resource_link_list", None)  # chat.selectors._messages
    if links is None:
        links = message.resource_links.all()
    if not links:
        return []  # most messages; the import below costs a microsecond per call
    from resources.payloads import resource_brief  # resources depends on chat, not the reverse

    return [resource_brief(link.resource) for link in links]


def message_payload(message: Message, *, group_slug: str, full: bool = False) -> MessagePayload:
    """The message as a member sees it; `full=True` is the moderator's view (the text of a hidden or
    removed message, marked). Preconditions: `author` selected, `reactions` and `resource_links`
    prefetched (resources.selectors.message_resources_prefetch) or few."""
    deleted = message.deleted_at is not None
    moderation = None
    if message.removed_at is not None:
        moderation = {"state": "removed", "reason": message.moderation_reason}
    elif message.hidden_at is not None:
        moderation = {"state": "hidden", "reason": message.moderation_reason}
    elif message.held_at is not None:
        moderation = {"state": "held", "reason": message.moderation_reason}
    withheld = deleted or (moderation is not None and not full)
    return {
        "id": message.pk,
        "group": group_slug,
        "thread": message.thread_id,
        "seq": message.seq,
        "author": user_brief(message.author),
        "body": "" if withheld else message.body,
        "html": "" if withheld else message.html,
        "created_at": _iso(message.created_at) or "",
        "edited_at": _iso(message.edited_at),
        "deleted": deleted or (message.removed_at is not None and not full),
        "reactions": [] if withheld else reactions_summary(_reactions(message)),
        "client_id": str(message.client_id),
        "pinned": message.pinned_at is not None,
        "moderation": moderation,
        "resources": [] if withheld else _resources(message),
    }


def full_view(message: Message, *, moderator: bool, viewer_id: int | None) -> bool:
    """Whether a viewer gets the message's text despite its moderation state (see `redact`)."""
    return moderator or (message.held_at is not None and message.author_id == viewer_id)


def redact(event: dict[str, Any], *, moderator: bool, viewer_id: int | None = None) -> dict[str, Any]:
    """Shape a published event (rendered with full=True) for one viewer: members never receive the
    text of a hidden, held or removed message — except their own held message, which they see
    waiting for approval."""
    message = event.get("message")
    if moderator or not message or not message.get("moderation"):
        return event
    if message["moderation"]["state"] == "held" and message["author"]["id"] == viewer_id:
        return event
    removed = message["moderation"]["state"] == "removed"
    shaped = {
        **message,
        "body": "",
        "html": "",
        "reactions": [],
        "resources": [],
        "deleted": message["deleted"] or removed,
    }
    return {**event, "message": shaped}


def thread_payload(thread: Thread, *, group_slug: str) -> dict[str, Any]:
    return {
        "id": thread.pk,
        "group": group_slug,
        "title": thread.title,
        "created_by": user_brief(thread.created_by) if thread.created_by else None,
        "created_at": _iso(thread.created_at),
        "last_message_at": _iso(thread.last_message_at),
        "message_count": thread.message_count,
        "locked": thread.locked_at is not None,
    }


def message_event(event_type: str, *, seq: int, message: Message, group_slug: str) -> dict[str, Any]:
    """A sequenced message event in the full (moderator) form; consumers `redact` it per viewer."""
    return {
        "type": event_type,
        "group": group_slug,
        "seq": seq,
        "message": message_payload(message, group_slug=group_slug, full=True),
    }


def thread_event(
    *, seq: int, thread: Thread, group_slug: str, event_type: str = "thread.created"
) -> dict[str, Any]:
    return {
        "type": event_type,
        "group": group_slug,
        "seq": seq,
        "thread": thread_payload(thread, group_slug=group_slug),
    }
