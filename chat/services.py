"""Writes for conversations. Every change clients can see takes the group's next seq, is stored
with a GroupEvent row in the same transaction, and is published only after commit."""

from __future__ import annotations

import math
import time
import uuid
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from backend import counters, metrics, realtime, rows
from backend.exceptions import NotFound, PermissionDenied, RateLimited, ValidationFailed
from groups.models import Group
from groups.selectors import ensure_can_post, standings_remembered
from groups.services import group_allocate_seq
from moderation import automatic as moderation_automatic
from moderation import checks as moderation_checks
from moderation import selectors as moderation_selectors
from moderation.models import SanctionKind

from . import markdown
from .errors import BodyEmpty, BodyTooLong, InvalidEmoji, MessageDeleted
from .events import message_event, thread_event
from .models import GroupEvent, Message, Reaction, ReadState, Thread
from .selectors import retry_probe, thread_unread_counts

MSG_CLIENT_ID_USED = _("This client_id was already used for a message in another conversation.")

ALLOWED_EMOJI: tuple[str, ...] = ("👍", "❤️", "😂", "🎉", "🤔", "👀", "🙏", "💡")


def _clean_body(body: str) -> str:
    limit = settings.KENNISCLOUD["MAX_BODY_CHARS"]
    if len(body) > limit:
        raise BodyTooLong(
            _("A message can be at most %(limit)s characters long.") % {"limit": limit},
            limit=limit,
        )
    body = body.strip()
    if not body:
        raise BodyEmpty()
    return body


def ensure_may_send(
    *, author: User, group: Group, thread: Thread | None = None, new_message: bool = False
) -> None:
    """Checks on every write into a group's conversation, shared by REST and WebSocket: membership,
    then moderation (ban and mute for every write; lock and slow mode for new messages)."""
    sanctions = moderation_selectors.active_sanctions(user=author, group=group)
    if SanctionKind.BAN in sanctions:  # before membership: say why
        moderation_checks.check_write(user=author, group=group, new_message=False, sanctions=sanctions)
    ensure_can_post(author, group)
    if author.is_guest:
        from meetups.live import ensure_guest_may_write  # meetups depends on chat

        ensure_guest_may_write(
            user=author, group=group, thread_id=thread.pk if thread else None, new_message=new_message
        )
    moderation_checks.check_write(
        user=author, group=group, thread=thread, new_message=new_message, sanctions=sanctions
    )
    if not new_message:
        check_rate_limit(user=author, bucket="write")


def check_rate_limit(*, user: User, bucket: str = "send") -> None:
    """At most RATE_LIMIT_MESSAGES new messages (bucket "send") — or RATE_LIMIT_WRITES other writes
    that take a seq: edits, deletions, reactions, threads (bucket "write") — in any
    RATE_LIMIT_WINDOW seconds per user.

    A sliding-window counter: this window's count plus the previous window's, weighted by how much
    of it still overlaps — so no burst of twice the limit fits around a window boundary. Counters
    live in the cache, which all workers share when it is Redis; a refused attempt is not counted.
    """
    limit = settings.KENNISCLOUD["RATE_LIMIT_MESSAGES" if bucket == "send" else "RATE_LIMIT_WRITES"]
    window = settings.KENNISCLOUD["RATE_LIMIT_WINDOW"]
    now = time.time()
    window_no, into = divmod(now, window)
    current_key = f"ratelimit:{bucket}:{user.pk}:{int(window_no)}"
    previous, count = counters.window_hit(
        previous_key=f"ratelimit:{bucket}:{user.pk}:{int(window_no) - 1}",
        current_key=current_key,
        timeout=2 * window + 1,
    )
    overlap = 1 - into / window
    if previous * overlap + count <= limit:
        return
    cache.decr(current_key)
    count -= 1
    if count + 1 <= limit:
        # Wait until enough of the previous window has slid out.
        wait = (1 - (limit - 1 - count) / previous) * window - into
    else:
        # This window alone is full: wait for the next one, and for enough of this one to slide out.
        wait = (window - into) + (1 - (limit - 1) / max(count, 1)) * window
    raise RateLimited(min(window, max(1, math.ceil(wait))))


def _record(
    group: Group, event_type: str, *, message: Message | None = None, thread: Thread | None = None
) -> int:
    seq = group_allocate_seq(group_id=group.pk)
    GroupEvent.objects.create(group=group, seq=seq, type=event_type, message=message, thread=thread)
    return seq


def _publish_message(event_type: str, seq: int, message: Message) -> None:
    from resources.selectors import message_resources_prefetch  # resources depends on chat

    # Render now (inside the transaction) so the event matches what was stored; the resources in
    # a fixed number of queries, however many the message has (none when already known).
    if getattr(message, "resource_link_list", None) is None:
        prefetch_related_objects([message], message_resources_prefetch(to_attr="resource_link_list"))
    event = message_event(event_type, seq=seq, message=message, group_slug=message.group.slug)
    realtime.publish_on_commit(message.group_id, event)


def _stored_in_one_statement() -> bool:
    return transaction.get_connection().vendor == "postgresql"


# The read-position upsert: forward only (PostgreSQL and SQLite >= 3.24 both know it).
_READ_UPSERT = (
    "ON CONFLICT (user_id, thread_id) DO UPDATE SET last_read_seq = excluded.last_read_seq, "
    "updated_at = excluded.updated_at WHERE {table}.last_read_seq < excluded.last_read_seq"
)


def _store_new(message: Message, thread: Thread) -> None:
    """Store a new message (unsaved, without seq): take the group's next seq, insert the message
    and its `message.created` event, count it in the thread, and move the author's read position
    to it (they have read their own message). Precondition: `message.thread` is `thread`, and on
    SQLite an open transaction.

    On PostgreSQL one statement (data-modifying CTEs, each fed by the one before, so the group row
    is locked first as group_allocate_seq does); SQLite runs the same steps one by one. Either way
    a concurrent send with the same client_id has committed once the group row is ours: the insert
    then meets it in uniq_message_client_id (IntegrityError, which message_send turns into a retry)."""
    connection = transaction.get_connection()
    if not _stored_in_one_statement():
        message.seq = group_allocate_seq(group_id=message.group_id)
        message.save(force_insert=True)
        GroupEvent.objects.create(
            group_id=message.group_id, seq=message.seq, type="message.created", message=message
        )
        Thread.objects.filter(pk=thread.pk).update(
            last_message_at=message.created_at, message_count=F("message_count") + 1
        )
        _advance_read(user_id=message.author_id, thread_id=thread.pk, seq=message.seq)
        return
    quote = connection.ops.quote_name
    groups, messages, events, threads, reads = (
        quote(model._meta.db_table) for model in (Group, Message, GroupEvent, Thread, ReadState)
    )
    m_columns, m_values, m_params = rows.insert_values(message, {"seq": "g.last_seq"})
    event = GroupEvent(group_id=message.group_id, type="message.created")
    e_columns, e_values, e_params = rows.insert_values(
        event, {"seq": "m.seq", "message_id": "m.id", "created_at": "m.created_at"}
    )
    sql = (
        f"WITH g AS (UPDATE {groups} SET last_seq = last_seq + 1 WHERE id = %s RETURNING last_seq), "
        f"m AS (INSERT INTO {messages} ({m_columns}) SELECT {m_values} FROM g "
        "RETURNING id, seq, created_at), "
        f"e AS (INSERT INTO {events} ({e_columns}) SELECT {e_values} FROM m), "
        f"t AS (UPDATE {threads} SET last_message_at = m.created_at, "
        f"message_count = {threads}.message_count + 1 FROM m WHERE {threads}.id = %s), "
        f"r AS (INSERT INTO {reads} (user_id, thread_id, last_read_seq, updated_at) "
        f"SELECT %s, %s, m.seq, %s FROM m {_READ_UPSERT.format(table=reads)}) "
        "SELECT m.id, m.seq FROM m"
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    params = [message.group_id, *m_params, *e_params, thread.pk, message.author_id, thread.pk, now]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        raise NotFound()
    message.pk, message.seq = row
    message._state.adding = False
    message._state.db = connection.alias


@dataclass(frozen=True)
class SendResult:
    message: Message
    created: bool


def _existing(author: User, client_id: uuid.UUID, thread: Thread | None = None) -> Message | None:
    """The author's stored message with this client_id. Asked before every send, and almost always
    answered "none": the thread's send probe knows when it came from access_thread_to_send, else a
    plain statement (an ORM query costs ~1 ms of CPU to build)."""
    probe = getattr(thread, "send_probe", None)
    if probe is not None and probe.client_id == client_id:
        found = probe.stored_id
    else:
        connection = transaction.get_connection()
        with connection.cursor() as cursor:
            cursor.execute(*retry_probe(author.pk, client_id, connection))
            row = cursor.fetchone()
        found = None if row is None else row[0]
    return None if found is None else Message.objects.select_related("group", "author").get(pk=found)


def _retried(existing: Message, thread: Thread) -> SendResult:
    """A retry of a stored send. A client_id reused for another thread is a client bug — and must not
    reveal a message from a thread the author may no longer see."""
    if existing.thread_id != thread.pk:
        raise ValidationFailed(fields={"client_id": [str(MSG_CLIENT_ID_USED)]})
    return SendResult(existing, created=False)


def message_send(
    *,
    author: User,
    thread: Thread,
    body: str,
    client_id: uuid.UUID,
    resources: list[int] | None = None,
) -> SendResult:
    """Store a message and broadcast `message.created` after commit. Links in the text and the
    `resources` chosen in the composer (ids the author can see) are attached; link previews are
    fetched in the background afterwards, never before the ack.

    Preconditions: `thread` came from access_thread for `author`. A retried send with the same
    `(author, client_id)` returns the stored message (created=False) and stores nothing.
    """
    from resources import services as resource_services  # resources depends on chat
    from resources.suggestions import suggestions_schedule

    existing = _existing(author, client_id, thread)
    if existing is not None:
        return _retried(existing, thread)
    group = thread.group
    with standings_remembered():  # asked by the checks and by the word list
        ensure_may_send(author=author, group=group, thread=thread, new_message=True)
        body = _clean_body(body)
        check_rate_limit(user=author)
        verdict = moderation_automatic.screen(author=author, group=group, body=body)
    html = markdown.render(body)  # before taking the group lock: rendering can take a while
    attached = resource_services.resources_for_send(author=author, resource_ids=resources or [])
    links = resource_services.message_links_prepare(author=author, body=body)
    message = Message(
        group=group,
        thread=thread,
        author=author,
        body=body,
        html=html,
        client_id=client_id,
        held_at=timezone.now() if verdict.action == "hold" else None,
        moderation_reason=verdict.reason if verdict.action == "hold" else "",
    )
    # One statement on PostgreSQL: nothing else to write in the same transaction means no BEGIN
    # and COMMIT either (its publish then runs as soon as the statement has committed).
    alone = verdict.action is None and not links and not attached and _stored_in_one_statement()
    try:
        with nullcontext() if alone else transaction.atomic():
            _store_new(message, thread)
            moderation_automatic.record(message=message, verdict=verdict)
            resource_services.message_resources_attach(
                message=message, links=links, chosen=attached, new=True
            )
            message.reaction_list = []  # a new message: nothing to fetch for its payload
            if not links and not attached:
                message.resource_link_list = []
            _publish_message("message.created", message.seq, message)
            transaction.on_commit(metrics.MESSAGES.inc)
    except IntegrityError:
        existing = _existing(author, client_id)  # asked again: the probe was read before
        if existing is None:
            raise
        return _retried(existing, thread)
    suggestions_schedule(thread=thread)  # derived state: after commit, outside the group lock
    return SendResult(message, created=True)


def message_lock(message: Message) -> Message:
    """The message as it is now, row-locked until the transaction ends: every change to an existing
    message decides on, and renders from, this fresh copy — never from one fetched earlier (a
    reaction racing a delete must not bring the deleted text back)."""
    return Message.objects.select_for_update().select_related("group", "author", "thread").get(pk=message.pk)


def _own_live_message(*, actor: User, message: Message) -> None:
    if message.author_id != actor.pk:
        raise PermissionDenied()
    if message.deleted_at is not None:
        raise MessageDeleted()


@transaction.atomic
def message_edit(*, actor: User, message: Message, body: str) -> Message:
    """Authors edit their own messages. Precondition: `message` came from access_message."""
    message = message_lock(message)
    _own_live_message(actor=actor, message=message)
    ensure_may_send(author=actor, group=message.group)
    body = _clean_body(body)
    if body == message.body:
        return message
    from resources import services as resource_services  # resources depends on chat

    message.body = body
    message.html = markdown.render(body)
    message.edited_at = timezone.now()
    message.save(update_fields=["body", "html", "edited_at"])
    links = resource_services.message_links_prepare(author=actor, body=body)
    resource_services.message_resources_attach(message=message, links=links, new=False)
    seq = _record(message.group, "message.edited", message=message)
    _publish_message("message.edited", seq, message)
    return message


@transaction.atomic
def message_delete(*, actor: User, message: Message) -> Message:
    """Authors delete their own messages; a tombstone stays in place."""
    message = message_lock(message)
    _own_live_message(actor=actor, message=message)
    check_rate_limit(user=actor, bucket="write")
    message.deleted_at = timezone.now()
    message.save(update_fields=["deleted_at"])
    Reaction.objects.filter(message=message).delete()
    seq = _record(message.group, "message.deleted", message=message)
    _publish_message("message.deleted", seq, message)
    return message


def _react(*, actor: User, message: Message, emoji: str, add: bool) -> Message:
    if emoji not in ALLOWED_EMOJI:
        raise InvalidEmoji()
    ensure_may_send(author=actor, group=message.group)
    with transaction.atomic():
        message = message_lock(message)
        if message.deleted_at is not None or message.removed_at is not None:
            raise MessageDeleted()
        if add:
            _reaction, changed = Reaction.objects.get_or_create(message=message, user=actor, emoji=emoji)
        else:
            changed = bool(Reaction.objects.filter(message=message, user=actor, emoji=emoji).delete()[0])
        if changed:
            seq = _record(message.group, "reaction.changed", message=message)
            _publish_message("reaction.changed", seq, message)
    return message


def reaction_add(*, actor: User, message: Message, emoji: str) -> Message:
    return _react(actor=actor, message=message, emoji=emoji, add=True)


def reaction_remove(*, actor: User, message: Message, emoji: str) -> Message:
    return _react(actor=actor, message=message, emoji=emoji, add=False)


@transaction.atomic
def thread_create(
    *, actor: User, group: Group, title: str, body: str = "", client_id: uuid.UUID | None = None
) -> Thread:
    """Start a thread, optionally with a first message. Precondition: `group` from access_group.
    A retry with the first message's `client_id` returns the thread it already made."""
    if client_id is not None and body.strip():
        existing = _existing(actor, client_id)
        if existing is not None and existing.group_id == group.pk:
            return existing.thread
    ensure_may_send(author=actor, group=group, new_message=True)
    check_rate_limit(user=actor, bucket="write")
    title = title.strip()
    if body.strip():
        _clean_body(body)
    seq = group_allocate_seq(group_id=group.pk)
    thread = Thread.objects.create(group=group, title=title, created_by=actor, seq=seq)
    GroupEvent.objects.create(group=group, seq=seq, type="thread.created", thread=thread)
    realtime.publish_on_commit(group.pk, thread_event(seq=seq, thread=thread, group_slug=group.slug))
    if body.strip():
        thread.group = group
        message_send(author=actor, thread=thread, body=body, client_id=client_id or uuid.uuid4())
        thread.refresh_from_db()
    return thread


def _advance_read(*, user_id: int, thread_id: int, seq: int) -> None:
    """Move the user's read position in the thread forward to `seq`, never back: one statement."""
    connection = transaction.get_connection()
    table = connection.ops.quote_name(ReadState._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (user_id, thread_id, last_read_seq, updated_at) VALUES (%s, %s, %s, %s) "
            + _READ_UPSERT.format(table=table),
            [user_id, thread_id, seq, now],
        )


@transaction.atomic
def thread_mark_read(*, actor: User, thread: Thread, seq: int) -> int:
    """Mark the thread read up to `seq`; all the user's sockets hear the new unread count.
    Only those who may post: unread counts exist only for active members."""
    if not actor.is_authenticated:
        raise PermissionDenied()
    ensure_can_post(actor, thread.group)
    seq = min(seq, thread.group.last_seq)
    _advance_read(user_id=actor.pk, thread_id=thread.pk, seq=seq)
    count = thread_unread_counts(user=actor, thread_ids=[thread.pk]).get(thread.pk, 0)
    realtime.notify_user_on_commit(
        actor.pk,
        {"type": "unread", "group": thread.group.slug, "thread": thread.pk, "count": count},
    )
    return count


def typing_notify(*, actor: User, thread: Thread) -> None:
    """Tell the group someone is typing. Not stored; precondition: thread from access_thread."""
    ensure_can_post(actor, thread.group)
    realtime.publish_ephemeral(
        thread.group_id,
        {
            "type": "typing",
            "group": thread.group.slug,
            "thread": thread.pk,
            "user": {"id": actor.pk, "display_name": actor.display_name},
        },
    )


# --- state changes made by moderation.services (which checked the actor's rights first) ----------


def message_set_moderation(*, message: Message, state: str, reason: str = "") -> str:
    """Hide, unhide or remove a message; takes the group's next seq and broadcasts after commit.
    Returns the event type. Precondition: the caller is a moderation service inside a transaction."""
    now = timezone.now()
    if state == "hidden":
        message.hidden_at, event_type = now, "message.hidden"
    elif state == "removed":
        message.removed_at, event_type = now, "message.removed"
    elif message.held_at is not None:
        message.held_at, event_type = None, "message.approved"
    else:
        message.hidden_at, event_type = None, "message.unhidden"
    message.moderation_reason = reason if state != "visible" else ""
    message.save(update_fields=["hidden_at", "held_at", "removed_at", "moderation_reason"])
    _publish_message(event_type, _record(message.group, event_type, message=message), message)
    return event_type


def message_set_pinned(*, message: Message, pinned: bool) -> None:
    message.pinned_at = timezone.now() if pinned else None
    message.save(update_fields=["pinned_at"])
    event_type = "message.pinned" if pinned else "message.unpinned"
    _publish_message(event_type, _record(message.group, event_type, message=message), message)


def thread_set_locked(*, thread: Thread, locked: bool, by: User) -> None:
    thread.locked_at = timezone.now() if locked else None
    thread.locked_by = by if locked else None
    thread.save(update_fields=["locked_at", "locked_by"])
    event_type = "thread.locked" if locked else "thread.unlocked"
    seq = _record(thread.group, event_type, thread=thread)
    realtime.publish_on_commit(
        thread.group_id,
        thread_event(seq=seq, thread=thread, group_slug=thread.group.slug, event_type=event_type),
    )


def message_changed(*, message: Message, event_type: str = "message.resources") -> int:
    """Record and broadcast a change to a message made by another app's service (its resources
    changed, a preview arrived). Precondition: inside that service's transaction, `message` from
    message_lock."""
    seq = _record(message.group, event_type, message=message)
    _publish_message(event_type, seq, message)
    return seq


def group_event_publish(*, group: Group, event_type: str, payload: dict) -> int:
    """A sequenced group event that is about neither a message nor a thread (e.g. slow mode)."""
    seq = group_allocate_seq(group_id=group.pk)
    GroupEvent.objects.create(group=group, seq=seq, type=event_type, payload=payload)
    realtime.publish_on_commit(group.pk, {**payload, "type": event_type, "group": group.slug, "seq": seq})
    return seq


def removed_messages_purge(*, older_than: timedelta) -> int:
    """Erase the kept text of messages a moderator removed longer ago than `older_than` (the
    appeal period). The tombstone stays. Returns how many were purged."""
    cutoff = timezone.now() - older_than
    return Message.objects.filter(removed_at__lt=cutoff).exclude(body="", html="").update(body="", html="")


def message_restore(*, message: Message) -> None:
    """Undo a hide, hold or removal (an overturned appeal). Precondition: a moderation service
    holds the message lock and still has the text."""
    message.hidden_at = message.held_at = message.removed_at = None
    message.moderation_reason = ""
    message.save(update_fields=["hidden_at", "held_at", "removed_at", "moderation_reason"])
    _publish_message("message.unhidden", _record(message.group, "message.unhidden", message=message), message)
