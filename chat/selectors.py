"""Reads for threads and messages; `access_*` fetch AND authorise (a thread in a closed group the
user cannot see raises NotFound, exactly like a missing one)."""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection
from django.db.models import (
    Count,
    F,
    IntegerField,
    Model,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Greatest

from accounts.models import User
from backend import rows
from backend.exceptions import NotFound
from groups.models import Group, Membership, MembershipState
from groups.selectors import (
    NO_STANDING,
    AnyUser,
    Standing,
    access_group,
    group_columns,
    keep_standing,
    remember_standing,
    standing_annotations,
    standings_of,
    visible_by_standing,
    visible_groups_q,
)
from moderation import checks as moderation_checks
from moderation.selectors import (
    is_moderator,
    role_from_standing,
    sanctioned_annotation,
    slow_mode_sql,
)

from .events import MESSAGE_EVENT_TYPES, THREAD_EVENT_TYPES, message_event, thread_event
from .models import GroupEvent, Message, Reaction, ReadState, Thread


def access_group_live(*, user: AnyUser, slug: str) -> tuple[Group, bool]:
    """A group the user may follow live, and whether they see it as a moderator (hidden messages
    marked instead of withheld). Banned users are refused even for public groups. For a member or
    librarian one query (a reconnect storm makes hundreds at once): the group with the user's
    standing and whether a sanction is in force."""
    if _reads_standing(user):
        groups = connection.ops.quote_name(Group._meta.db_table)
        read = _read_with_standing(
            user,
            (Group,),
            f"FROM {groups} WHERE {groups}.slug = %s",
            [slug],
            group_column=f"{groups}.id",
            library_column=f"{groups}.library_id",
        )
        if read is None:
            raise NotFound()
        (group,), standing, _ = read
        if not visible_by_standing(group, standing):
            raise NotFound()
        if standing.sanctioned:
            moderation_checks.ensure_not_banned(user=user, group=group)
        return group, role_from_standing(standing) is not None
    group = access_group(user=user, slug=slug)
    moderation_checks.ensure_not_banned(user=user, group=group)
    return group, is_moderator(user, group)


def live_states(asks: list[tuple[AnyUser, list[int]]]) -> list[tuple[dict[int, int], set[int]]]:
    """What a socket's ping re-checks, for many sockets at once (three queries for all): for each
    (signed-in user who is not a meetup guest, group ids), the groups the user may still see with
    their current last seq (visible_groups_q), and those they moderate (moderator_role)."""
    wanted = {g for _, ids in asks for g in ids}
    groups: dict[int, Group] = {}
    if wanted:
        only = ("id", "last_seq", "visibility", "library_id")
        table = connection.ops.quote_name(Group._meta.db_table)
        with connection.cursor() as cursor:  # plain SQL: every ping of the process waits for it
            cursor.execute(
                f"SELECT {rows.some_columns(Group, only)} FROM {table}"
                f" WHERE id IN ({rows.placeholders(len(wanted))})",
                list(wanted),
            )
            build = rows.builder(Group, only)
            groups = {group.pk: group for group in map(build, cursor.fetchall())}
    pairs = {(user.pk, g) for user, ids in asks if not user.is_staff for g in ids if g in groups}
    standings = standings_of(pairs, {g.pk: g.library_id for g in groups.values()})
    states = []
    for user, ids in asks:
        seqs: dict[int, int] = {}
        moderated: set[int] = set()
        for group_id in ids:
            group = groups.get(group_id)
            if group is None:
                continue
            if user.is_staff:
                seqs[group_id] = group.last_seq
                moderated.add(group_id)
                continue
            standing = standings.get((user.pk, group_id), NO_STANDING)
            if visible_by_standing(group, standing):
                seqs[group_id] = group.last_seq
                if role_from_standing(standing) is not None:
                    moderated.add(group_id)
        states.append((seqs, moderated))
    return states


def _guest_thread_q(user: AnyUser, field: str):
    """A meetup guest sees only its meetup's thread (None: not a guest). See meetups.live."""
    if not getattr(user, "is_guest", False):
        return None
    from meetups.live import guest_thread_q  # meetups depends on chat

    return guest_thread_q(user, field)


def _reads_standing(user: AnyUser) -> bool:
    return user.is_authenticated and not user.is_staff and not getattr(user, "is_guest", False)


def _with_standing(qs: QuerySet, user: AnyUser, *, group_id: str = "group_id") -> tuple[Any, Standing]:
    """The row of `qs` with the user's standing in its group and whether a sanction is in force,
    read in the same query; NotFound unless the standing makes the group visible (as
    visible_groups_q would). The standing is remembered for the checks that follow. `qs`: a Group
    query (`group_id="id"`), or one of a model with its `group` selected."""
    group_column, library_column = group_columns(qs.model._meta.db_table, group_id=group_id)
    row = qs.annotate(
        **standing_annotations(user, group_column=group_column, library_column=library_column),
        standing_sanctioned=sanctioned_annotation(
            user, group_column=group_column, library_column=library_column
        ),
    ).first()
    if row is None:
        raise NotFound()
    group = row if isinstance(row, Group) else row.group
    standing = remember_standing(user, group.pk, row)
    if not visible_by_standing(group, standing):
        raise NotFound()
    return row, standing


def _access(qs: QuerySet, user: AnyUser, scope: Q | None):
    """The row of `qs` (one object with its `group` selected) the user may see, or NotFound. For a
    member or librarian one query that also reads their standing (_with_standing)."""
    if scope is None and _reads_standing(user):
        return _with_standing(qs, user)[0]
    scope = scope if scope is not None else Q(group__in=Group.objects.filter(visible_groups_q(user)))
    row = qs.filter(scope).first()
    if row is None:
        raise NotFound()
    return row


def access_thread(*, user: AnyUser, thread_id: int) -> Thread:
    qs = Thread.objects.select_related("group", "created_by").filter(pk=thread_id)
    return _access(qs, user, _guest_thread_q(user, "pk"))


@dataclass(frozen=True)
class SendProbe:
    """What a new message's send asks before its transaction, read along with the access check
    (access_thread_to_send) — never older than the frame being handled."""

    client_id: uuid.UUID
    stored_id: int | None  # the author's message with this client_id: the send is a retry
    slow_mode: int  # seconds of the strictest slow mode in the thread or its group (0: none)


def _read_with_standing(
    user: AnyUser,
    models: tuple[type[Model], ...],
    from_sql: str,
    params: list[Any],
    *,
    group_column: str,
    library_column: str,
    sanctions: bool = True,
    extra: tuple[tuple[str, list[Any]], ...] = (),
) -> tuple[list[Model], Standing, tuple] | None:
    """One plain statement: a row of `models` (each one's columns in turn, `from_sql` joining and
    filtering their tables; the group last), the user's standing in its group and — `sanctions` —
    whether a sanction is in force (what _with_standing reads, from the same SQL), and the `extra`
    scalar columns. None when there is no row. The standing is read for a member or librarian only
    (_reads_standing; NO_STANDING otherwise) and remembered for the checks that follow; visibility
    is the caller's to decide. Plain SQL: built by the ORM, such a query costs ~1.5 ms of CPU, on
    every send, subscribe and history page (backend/rows.py)."""
    reads = _reads_standing(user)
    probes: list[tuple[str, list[Any]]] = []
    if reads:
        standing = standing_annotations(user, group_column=group_column, library_column=library_column)
        probes += [
            (standing[name].sql, standing[name].params) for name in ("standing_role", "standing_librarian")
        ]
        if sanctions:
            sanctioned = sanctioned_annotation(user, group_column=group_column, library_column=library_column)
            probes.append((sanctioned.sql, sanctioned.params))
    probes += extra
    sql = (
        "SELECT "
        + ", ".join(rows.columns(model) for model in models)
        + "".join(f", ({probe})" for probe, _ in probes)
        + f" {from_sql}"
    )
    with rows.prepared_cursor() as cursor:
        cursor.execute(sql, [p for _, probe_params in probes for p in probe_params] + params)
        row = cursor.fetchone()
    if row is None:
        return None
    found, at = [], 0
    for model in models:
        found.append(rows.instance(model, row[at : at + rows.width(model)]))
        at += rows.width(model)
    more = row[at:]
    kept = NO_STANDING
    if reads:
        role, librarian, *more = more
        is_sanctioned = bool(more.pop(0)) if sanctions else None
        kept = keep_standing(user, found[-1].pk, Standing(role, bool(librarian), is_sanctioned))
    return found, kept, tuple(more)


@functools.cache
def _thread_and_group(vendor: str) -> tuple[str, str, str, str]:
    """A thread joined to its group, by the thread's id: the FROM clause, and the quoted thread
    id, group id and library id columns (for _read_with_standing) — the same for every call."""
    quote = connection.ops.quote_name
    threads, groups = quote(Thread._meta.db_table), quote(Group._meta.db_table)
    group_column = f"{threads}.{quote('group_id')}"
    from_sql = f"FROM {threads} INNER JOIN {groups} ON {groups}.id = {group_column} WHERE {threads}.id = %s"
    return from_sql, f"{threads}.id", group_column, f"{groups}.{quote('library_id')}"


def _read_thread_with_standing(
    user: AnyUser, thread_id: int, *, sanctions: bool = True, extra: tuple[tuple[str, list[Any]], ...] = ()
) -> tuple[list[Model], Standing, tuple] | None:
    """_read_with_standing of a thread and its group, by the thread's id."""
    from_sql, _thread_column, group_column, library_column = _thread_and_group(connection.vendor)
    return _read_with_standing(
        user,
        (Thread, Group),
        from_sql,
        [thread_id],
        group_column=group_column,
        library_column=library_column,
        sanctions=sanctions,
        extra=extra,
    )


def retry_probe(author_id: int, client_id: uuid.UUID, db: Any = None) -> tuple[str, list[Any]]:
    """The statement (and its parameters) that finds the author's stored message with this
    client_id — a retried send: part of access_thread_to_send's read, and asked alone otherwise."""
    db = db or connection
    messages = db.ops.quote_name(Message._meta.db_table)
    value = Message._meta.get_field("client_id").get_db_prep_value(client_id, db)
    return f"SELECT id FROM {messages} WHERE author_id = %s AND client_id = %s", [author_id, value]


def access_thread_to_send(*, user: AnyUser, thread_id: int, client_id: uuid.UUID) -> Thread:
    """access_thread for a new message. For a member or librarian — nearly every send — one plain
    statement (_read_with_standing) reads the thread, its group, the user's standing and sanctions,
    and the send's probe (`thread.send_probe`: a stored message with this client_id, the slow mode);
    others get access_thread and the send asks separately."""
    if not _reads_standing(user):
        return access_thread(user=user, thread_id=thread_id)
    _from_sql, thread_column, group_column, _library_column = _thread_and_group(connection.vendor)
    read = _read_thread_with_standing(
        user,
        thread_id,
        extra=(
            retry_probe(user.pk, client_id),
            (slow_mode_sql(group_column=group_column, thread_column=thread_column), []),
        ),
    )
    if read is None:
        raise NotFound()
    (thread, group), standing, (stored_id, slow_mode) = read
    if not visible_by_standing(group, standing):
        raise NotFound()
    thread.group = group
    thread.send_probe = SendProbe(client_id, stored_id, slow_mode or 0)  # type: ignore[attr-defined]
    return thread


def access_message(*, user: AnyUser, message_id: int) -> Message:
    """A message (its group, thread and author set) the user may see, or NotFound. For a member or
    librarian — every edit, deletion, reaction and report frame — one plain statement that also
    reads their standing and sanctions (_read_with_standing); others as access_thread."""
    if not _reads_standing(user):
        qs = Message.objects.select_related("group", "thread", "author").filter(pk=message_id)
        return _access(qs, user, _guest_thread_q(user, "thread_id"))
    from_sql, group_column, library_column = _message_with_relations(connection.vendor)
    read = _read_with_standing(
        user,
        (Message, Thread, User, Group),
        from_sql,
        [message_id],
        group_column=group_column,
        library_column=library_column,
    )
    if read is None:
        raise NotFound()
    (message, thread, author, group), standing, _extra = read
    if not visible_by_standing(group, standing):
        raise NotFound()
    message.group, message.thread, message.author = group, thread, author
    return message


@functools.cache
def _message_with_relations(vendor: str) -> tuple[str, str, str]:
    """A message joined to its thread, author and group, by the message's id: the FROM clause and
    the quoted group id and library id columns (for _read_with_standing)."""
    quote = connection.ops.quote_name
    messages, threads, users, groups = (quote(m._meta.db_table) for m in (Message, Thread, User, Group))
    group_column = f"{messages}.{quote('group_id')}"
    from_sql = (
        f"FROM {messages}"
        f" INNER JOIN {threads} ON {threads}.id = {messages}.{quote('thread_id')}"
        f" INNER JOIN {users} ON {users}.id = {messages}.{quote('author_id')}"
        f" INNER JOIN {groups} ON {groups}.id = {group_column}"
        f" WHERE {messages}.id = %s"
    )
    return from_sql, group_column, f"{groups}.{quote('library_id')}"


def _messages() -> QuerySet[Message]:
    from resources.selectors import message_resources_prefetch  # resources depends on chat

    # As plain lists (`to_attr`): Django builds no related manager and queryset per message —
    # measured 9.8 → 5.5 ms of CPU for a history page of 50 (docs/performance.md, History).
    return Message.objects.select_related("author").prefetch_related(
        Prefetch(
            "reactions", queryset=Reaction.objects.order_by("created_at", "pk"), to_attr="reaction_list"
        ),
        message_resources_prefetch(to_attr="resource_link_list"),
    )


@dataclass(frozen=True)
class ThreadRead:
    """A thread the viewer may read (its `group` set), and whether they read it as a moderator:
    hidden and removed messages in full, marked (moderation.selectors.is_moderator)."""

    thread: Thread
    moderator: bool


def access_thread_to_read(*, user: AnyUser, thread_id: int) -> ThreadRead:
    """access_thread and is_moderator for reading a thread's messages. For everyone but a meetup
    guest one plain statement: the thread, its group and — for a member, librarian or other
    signed-in user — their standing in it (as _with_standing; a closed group they may not see is
    NotFound, exactly like a missing thread). Built by the ORM, access_thread and is_moderator were
    two queries and ~3 ms of CPU on every history page (backend/rows.py)."""
    if user.is_authenticated and getattr(user, "is_guest", False):
        thread = access_thread(user=user, thread_id=thread_id)  # scoped to its meetup's thread
        return ThreadRead(thread, is_moderator(user, thread.group))
    # Reading is not refused for a mute or a ban of the group: no sanctions read.
    read = _read_thread_with_standing(user, thread_id, sanctions=False)
    if read is None:
        raise NotFound()
    (thread, group), found, _ = read
    thread.group = group
    if user.is_authenticated and user.is_staff:
        return ThreadRead(thread, moderator=True)  # staff see every group (visible_groups_q)
    if not visible_by_standing(group, found):  # without an account: public groups only
        raise NotFound()
    return ThreadRead(thread, moderator=role_from_standing(found) is not None)


_SEQ_RANGE = (-(2**63), 2**63 - 1)  # a BigIntegerField's


def message_page(
    *, thread: Thread, newest_first: bool, offset: int, limit: int, below: Any = None, above: Any = None
) -> list[Message]:
    """Up to `limit` of the thread's messages after skipping `offset`, by seq (newest first or
    oldest first), only those with a seq below `below` and above `above` (when given; a cursor's
    position, as the ORM would take it for `seq__lt`/`seq__gt`) — ready for `message_payload`.
    Precondition: `thread` came from an access check."""
    seq_field = Message._meta.get_field("seq")
    bounds: list[tuple[str, int]] = []
    for operator, value in (("<", below), (">", above)):
        if value is None:
            continue
        value = seq_field.get_prep_value(value)  # a malformed position fails as it did in the ORM
        low, high = _SEQ_RANGE
        if value > high or value < low:  # beyond every seq: no bound, or nothing (as the ORM does)
            if (operator == "<") == (value > high):
                continue
            return []
        bounds.append((operator, value))
    return _message_rows(thread=thread, bounds=bounds, newest_first=newest_first, offset=offset, limit=limit)


def messages_after(*, thread: Thread, after_seq: int, limit: int) -> list[Message]:
    """The thread's messages after `after_seq`, oldest first (catch-up); as message_page."""
    return message_page(thread=thread, newest_first=False, offset=0, limit=limit, above=after_seq)


AUTHOR_FIELDS = ("id", "display_name")  # all of an author a payload shows (chat.events.user_brief)


@functools.cache
def _page_sql(vendor: str, operators: tuple[str, ...], newest_first: bool) -> str:
    """_message_rows' statement for seq bounds with these `operators` (its parameters: the thread,
    each bound, the limit and the offset) — built once per shape."""
    from resources.selectors import message_has_resources_sql  # resources depends on chat

    quote = connection.ops.quote_name
    messages, users, reactions = (quote(m._meta.db_table) for m in (Message, User, Reaction))
    where = "".join(f" AND {messages}.{quote('seq')} {operator} %s" for operator in operators)
    return (
        f"SELECT {rows.columns(Message)}, {rows.some_columns(User, AUTHOR_FIELDS)},"
        f" EXISTS (SELECT 1 FROM {reactions} r WHERE r.message_id = {messages}.id),"
        f" {message_has_resources_sql(f'{messages}.id')}"
        f" FROM {messages} INNER JOIN {users} ON {users}.id = {messages}.{quote('author_id')}"
        f" WHERE {messages}.{quote('thread_id')} = %s{where}"
        f" ORDER BY {messages}.{quote('seq')} {'DESC' if newest_first else 'ASC'} LIMIT %s OFFSET %s"
    )


def _message_rows(
    *, thread: Thread, bounds: list[tuple[str, int]], newest_first: bool, offset: int, limit: int
) -> list[Message]:
    """The page in one plain statement — messages, their authors, and whether each has reactions
    and resources — then those two only for the messages that have any (none on most pages).
    Built by the ORM with prefetches this was four queries and ~5 ms of CPU per page of 50."""
    from resources.selectors import message_resource_lists  # resources depends on chat

    sql = _page_sql(connection.vendor, tuple(operator for operator, _ in bounds), newest_first)
    with connection.cursor() as cursor:
        cursor.execute(sql, [thread.pk, *(value for _, value in bounds), limit, offset])
        found = cursor.fetchall()
    split, author_width = rows.width(Message), len(AUTHOR_FIELDS)
    message_of, author_of = rows.builder(Message), rows.builder(User, AUTHOR_FIELDS)
    set_author = Message._meta.get_field("author").set_cached_value  # as select_related sets it
    authors: dict[int, User] = {}  # one instance per author on the page
    page, with_reactions, with_resources = [], [], []
    for row in found:
        message = message_of(row[:split])
        author = authors.get(message.author_id)
        if author is None:
            author = authors[message.author_id] = author_of(row[split : split + author_width])
        set_author(message, author)
        message.reaction_list = []  # type: ignore[attr-defined]  # chat.events.message_payload
        message.resource_link_list = []  # type: ignore[attr-defined]
        has_reactions, has_resources = row[split + author_width :]
        if has_reactions:
            with_reactions.append(message)
        if has_resources:
            with_resources.append(message)
        page.append(message)
    if with_reactions:
        by_message = {m.pk: m for m in with_reactions}
        quote = connection.ops.quote_name
        reactions = quote(Reaction._meta.db_table)
        sql = (
            f"SELECT {rows.columns(Reaction)} FROM {reactions}"
            f" WHERE {reactions}.{quote('message_id')} IN ({rows.placeholders(len(by_message))})"
            f" ORDER BY {reactions}.{quote('created_at')}, {reactions}.id"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, list(by_message))
            reaction_of = rows.builder(Reaction)
            for row in cursor.fetchall():
                reaction = reaction_of(row)
                by_message[reaction.message_id].reaction_list.append(reaction)
    if with_resources:
        lists = message_resource_lists([m.pk for m in with_resources])
        for message in with_resources:
            message.resource_link_list = lists.get(message.pk, [])
    return page


def _unread_per_thread(user: AnyUser, threads: QuerySet[Thread]) -> QuerySet[Thread]:
    """`threads` annotated with `unread`: messages by others, not deleted, after both the
    membership's read floor and the user's read position in the thread. Threads of groups without
    an active membership are left out.

    Counted per thread so the seq bound is an index condition on (thread, seq): each count reads
    only that thread's unread messages, never its whole history (EXPLAIN in docs/performance.md).
    """
    read = ReadState.objects.filter(user=user, thread=OuterRef("pk")).values("last_read_seq")[:1]
    floor = Membership.objects.filter(
        user=user, group=OuterRef("group"), state=MembershipState.ACTIVE
    ).values("read_floor_seq")[:1]
    unread = (
        Message.objects.filter(thread=OuterRef("pk"), seq__gt=OuterRef("read_upto"), deleted_at__isnull=True)
        .exclude(author=user)
        .order_by()
        .values("thread")
        .annotate(n=Count("*"))
        .values("n")
    )
    return (
        threads.annotate(read_floor=Subquery(floor, output_field=IntegerField()))
        # NULL without an active membership. Filter on it: PostgreSQL's GREATEST ignores NULLs.
        .filter(read_floor__isnull=False)
        .annotate(
            read_upto=Greatest(
                Coalesce(Subquery(read, output_field=IntegerField()), Value(0)), F("read_floor")
            )
        )
        .annotate(unread=Subquery(unread, output_field=IntegerField()))
        .order_by()
    )


def _unread_counts(user: AnyUser, key: str, ids: list[int]) -> dict[int, int]:
    """Unread messages per `key` ("group_id" or "thread_id") — one query."""
    if not user.is_authenticated or not ids:
        return {}
    threads = Thread.objects.filter(**{"pk__in" if key == "thread_id" else "group_id__in": ids})
    counts: dict[int, int] = {}
    for owner, n in _unread_per_thread(user, threads).values_list(
        "pk" if key == "thread_id" else "group_id", "unread"
    ):
        if n:
            counts[owner] = counts.get(owner, 0) + n
    return counts


def group_unread_counts(*, user: AnyUser, group_ids: list[int]) -> dict[int, int]:
    """Unread messages per group for the user's active memberships."""
    return _unread_counts(user, "group_id", group_ids)


def thread_unread_counts(*, user: AnyUser, thread_ids: list[int]) -> dict[int, int]:
    return _unread_counts(user, "thread_id", thread_ids)


def thread_list(*, group: Group) -> QuerySet[Thread]:
    """Precondition: `group` came from access_group. Most recently active first."""
    return (
        Thread.objects.filter(group=group)
        .select_related("created_by")
        .order_by(F("last_message_at").desc(nulls_last=True), "-created_at")
    )


@dataclass(frozen=True)
class CatchUp:
    events: list[dict[str, Any]]
    resync_required: bool
    last_seq: int


class GroupRef(NamedTuple):
    """A group by id and slug: all a live subscription keeps of it (a Group instance is kilobytes
    in each of thousands of idle sockets)."""

    pk: int
    slug: str


def group_events_after(*, group: Group | GroupRef, after_seq: int, limit: int | None = None) -> CatchUp:
    """The group's changes after `after_seq`, in order, rendered from current state.

    Precondition: the caller checked access to `group`. More than `limit` missed changes → the
    client must reload by REST instead (resync_required).
    """
    limit = limit or settings.KENNISCLOUD["CATCH_UP_LIMIT"]
    last_seq = Group.objects.filter(pk=group.pk).values_list("last_seq", flat=True)[0]
    after_seq = max(after_seq, 0)
    if after_seq > last_seq:
        # The client claims a future the server never had (e.g. a restored database): start over.
        return CatchUp(events=[], resync_required=True, last_seq=last_seq)
    if last_seq - after_seq > limit:
        return CatchUp(events=[], resync_required=True, last_seq=last_seq)
    rows = list(
        GroupEvent.objects.filter(group_id=group.pk, seq__gt=after_seq, seq__lte=last_seq)
        .select_related("thread__created_by")
        .prefetch_related(
            Prefetch("message", queryset=_messages()),
        )
        .order_by("seq")
    )
    events = []
    for row in rows:
        if row.type in MESSAGE_EVENT_TYPES and row.message is not None:
            events.append(message_event(row.type, seq=row.seq, message=row.message, group_slug=group.slug))
        elif row.type in THREAD_EVENT_TYPES and row.thread is not None:
            events.append(
                thread_event(seq=row.seq, thread=row.thread, group_slug=group.slug, event_type=row.type)
            )
        elif row.payload is not None:
            events.append({**row.payload, "type": row.type, "group": group.slug, "seq": row.seq})
        else:
            # Its message or thread was erased (or this build cannot render the type): the event
            # still holds its place, so the sequence stays gapless.
            events.append({"type": "gone", "group": group.slug, "seq": row.seq})
    return CatchUp(events=events, resync_required=False, last_seq=rows[-1].seq if rows else after_seq)
