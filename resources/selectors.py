"""Reads for resources; `access_*` fetch AND authorise.

A resource is visible to a user when it is in a library catalogue (public by nature), when the user
added it, or when it is attached to something in a group the user may see. Anything else — say a
link shared only in a closed group — is `NotFound` for them, exactly like a missing one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from stdnum import isbn as stdnum_isbn

from backend import rows
from backend.exceptions import NotFound, PermissionDenied
from chat.models import Message, Thread
from groups.models import Group, Library
from groups.selectors import AnyUser, is_librarian_of, visible_groups_q

from .models import (
    CatalogueImport,
    CollectionItem,
    MessageResource,
    Resource,
    ResourceImage,
    Source,
    SuggestionDismissal,
    ThreadResource,
    ThreadSuggestion,
)


def live_message_q(prefix: str = "") -> Q:
    """Messages whose attachments others may see: not deleted, nor hidden, held or removed by
    moderation. `prefix` reaches them through a relation ("message__")."""
    return Q(
        **{f"{prefix}{field}__isnull": True for field in ("deleted_at", "hidden_at", "held_at", "removed_at")}
    )


def resources_qs() -> QuerySet[Resource]:
    """Resources ready for `payloads.resource_brief` (library selected, `has_image` annotated)."""
    return Resource.objects.select_related("library").annotate(
        has_image=Exists(ResourceImage.objects.filter(resource=OuterRef("pk")))
    )


def message_resources_prefetch(prefix: str = "", *, to_attr: str | None = None) -> Prefetch:
    """For message payloads: a message's resources in order, without N+1 (`to_attr`: as a plain
    list, which chat.events.message_payload prefers)."""
    return Prefetch(
        f"{prefix}resource_links",
        queryset=MessageResource.objects.select_related(None)
        .prefetch_related(Prefetch("resource", queryset=resources_qs()))
        .order_by("position", "pk"),
        to_attr=to_attr,
    )


def message_has_resources_sql(message_column: str) -> str:
    """SQL for whether the message in `message_column` (an outer query's quoted column) has
    resources — so a page of messages asks message_resource_lists only when some have any."""
    links = connection.ops.quote_name(MessageResource._meta.db_table)
    return f"EXISTS (SELECT 1 FROM {links} l WHERE l.message_id = {message_column})"


def message_resource_lists(message_ids: list[int]) -> dict[int, list[MessageResource]]:
    """Each message's resource links in order, with their resources ready for
    `payloads.resource_brief` (as message_resources_prefetch and resources_qs give them) — in one
    plain statement: the ORM's prefetch was two queries and ~1 ms of CPU to build them."""
    quote = connection.ops.quote_name
    links, resources, libraries, images = (
        quote(m._meta.db_table) for m in (MessageResource, Resource, Library, ResourceImage)
    )
    sql = (
        f"SELECT {rows.columns(MessageResource)}, {rows.columns(Resource)}, {rows.columns(Library)},"
        f" EXISTS (SELECT 1 FROM {images} i WHERE i.resource_id = {resources}.id)"
        f" FROM {links} INNER JOIN {resources} ON {resources}.id = {links}.{quote('resource_id')}"
        f" LEFT OUTER JOIN {libraries} ON {libraries}.id = {resources}.{quote('library_id')}"
        f" WHERE {links}.{quote('message_id')} IN ({rows.placeholders(len(message_ids))})"
        f" ORDER BY {links}.{quote('position')}, {links}.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, list(message_ids))
        found = cursor.fetchall()
    link_width, resource_width = rows.width(MessageResource), rows.width(Resource)
    library_at = link_width + resource_width
    link_of, resource_of, library_of = (rows.builder(m) for m in (MessageResource, Resource, Library))
    lists: dict[int, list[MessageResource]] = {}
    for row in found:
        link = link_of(row[:link_width])
        resource = resource_of(row[link_width:library_at])
        library_row = row[library_at:-1]
        resource.library = None if library_row[0] is None else library_of(library_row)
        resource.has_image = bool(row[-1])  # type: ignore[attr-defined]
        link.resource = resource
        lists.setdefault(link.message_id, []).append(link)
    return lists


def _visible_groups(user: AnyUser) -> QuerySet[Group]:
    return Group.objects.filter(visible_groups_q(user))


def visible_resources_q(user: AnyUser) -> Q:
    groups = _visible_groups(user)
    in_message = Exists(
        MessageResource.objects.filter(
            live_message_q("message__"), resource=OuterRef("pk"), message__group__in=groups
        )
    )
    in_thread = Exists(ThreadResource.objects.filter(resource=OuterRef("pk"), thread__group__in=groups))
    in_collection = Exists(CollectionItem.objects.filter(resource=OuterRef("pk"), group__in=groups))
    q = Q(source=Source.CATALOGUE) | in_message | in_thread | in_collection
    if user.is_authenticated:
        q |= Q(created_by=user)
    return q


def access_resource(*, user: AnyUser, resource_id: int) -> Resource:
    resource = resources_qs().filter(visible_resources_q(user), pk=resource_id).first()
    if resource is None:
        raise NotFound()
    return resource


def resource_image_get(*, user: AnyUser, resource_id: int) -> ResourceImage:
    resource = access_resource(user=user, resource_id=resource_id)
    image = ResourceImage.objects.filter(resource=resource).first()
    if image is None:
        raise NotFound()
    return image


@dataclass(frozen=True)
class Discussion:
    group: Group
    thread: Thread
    message_id: int | None
    seq: int
    at: Any


def resource_discussions(*, user: AnyUser, resource: Resource, limit: int = 50) -> list[Discussion]:
    """Where the resource came up — in threads the user may see, newest first, one entry per
    thread (its latest mention)."""
    groups = _visible_groups(user)
    found: dict[int, Discussion] = {}
    links = (
        MessageResource.objects.filter(resource=resource, message__group__in=groups)
        .filter(live_message_q("message__"))
        .select_related("message__thread__group")
        .order_by("-message__seq")[: limit * 4]
    )
    for link in links:
        m = link.message
        if m.thread_id not in found:
            found[m.thread_id] = Discussion(m.thread.group, m.thread, m.pk, m.seq, m.created_at)
    for link in (
        ThreadResource.objects.filter(resource=resource, thread__group__in=groups)
        .select_related("thread__group")
        .order_by("-created_at")[:limit]
    ):
        known = found.get(link.thread_id)
        if known is None or known.at < link.created_at:
            found[link.thread_id] = Discussion(
                link.thread.group, link.thread, None, link.thread.seq, link.created_at
            )
    return sorted(found.values(), key=lambda d: d.at, reverse=True)[:limit]


def resource_collections(*, user: AnyUser, resource: Resource) -> list[CollectionItem]:
    return list(
        CollectionItem.objects.filter(resource=resource, group__in=_visible_groups(user))
        .select_related("group")
        .order_by("group__name")
    )


@dataclass(frozen=True)
class ThreadSource:
    resource: Resource
    added_by: Any
    added_at: Any
    via: str  # "thread" (added to the sources) or "message" (shared in a message)
    message_id: int | None
    from_suggestion: bool


def thread_sources(*, thread: Thread, resource_id: int | None = None) -> list[ThreadSource]:
    """What the conversation keeps and what was shared in it, newest first, one entry per
    resource (only `resource_id`'s, when given). Precondition: `thread` came from access_thread."""
    only = {} if resource_id is None else {"resource_id": resource_id}
    sources: dict[int, ThreadSource] = {}
    for link in (
        ThreadResource.objects.filter(thread=thread, **only)
        .select_related("added_by")
        .prefetch_related(Prefetch("resource", queryset=resources_qs()))
        .order_by("-created_at")
    ):
        sources[link.resource_id] = ThreadSource(
            link.resource, link.added_by, link.created_at, "thread", None, link.from_suggestion
        )
    for link in (
        MessageResource.objects.filter(message__thread=thread, **only)
        .filter(live_message_q("message__"))
        .select_related("message__author")
        .prefetch_related(Prefetch("resource", queryset=resources_qs()))
        .order_by("-message__seq")
    ):
        if link.resource_id not in sources:
            m = link.message
            sources[link.resource_id] = ThreadSource(
                link.resource, m.author, m.created_at, "message", m.pk, False
            )
    return sorted(sources.values(), key=lambda s: s.added_at, reverse=True)


def group_collection(*, group: Group, item_id: int | None = None) -> list[CollectionItem]:
    """The group's collection in order (only `item_id`, when given). Precondition: `group` came
    from access_group."""
    only = {} if item_id is None else {"pk": item_id}
    return list(
        CollectionItem.objects.filter(group=group, **only)
        .select_related("curator")
        .prefetch_related(Prefetch("resource", queryset=resources_qs()))
        .order_by("position", "pk")
    )


def access_collection_item(*, group: Group, item_id: int) -> CollectionItem:
    item = CollectionItem.objects.filter(group=group, pk=item_id).select_related("resource").first()
    if item is None:
        raise NotFound()
    return item


def thread_suggestions(*, thread: Thread) -> list[ThreadSuggestion]:
    """The stored suggestions still open (not dismissed, not already a source)."""
    return list(
        ThreadSuggestion.objects.filter(thread=thread)
        .exclude(resource__in=SuggestionDismissal.objects.filter(thread=thread).values("resource"))
        .exclude(resource__in=ThreadResource.objects.filter(thread=thread).values("resource"))
        .prefetch_related(Prefetch("resource", queryset=resources_qs()))
        .order_by("rank")
    )


# --- full-text search over a library's catalogue ---------------------------------------------------

_WORD = re.compile(r"[^\W_]{2,}(?:-[^\W_]+)*", re.UNICODE)


def search_words(text: str, *, limit: int = 40) -> list[str]:
    """Words of a text worth searching for, most frequent first (lowercased, de-duplicated)."""
    counts: dict[str, int] = {}
    for word in _WORD.findall(text.lower()):
        if len(word) < 3 or word.isdigit():
            continue
        counts[word] = counts.get(word, 0) + 1
    return [w for w, _n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]


def _sqlite_prefix(word: str) -> str:
    """SQLite's FTS5 has no Dutch stemmer: match on a crude stem as a prefix ("zonnepanelen" →
    "zonnepanel*"), which is what makes the zero-setup default useful at all."""
    for suffix in ("heden", "elen", "eren", "ingen", "ing", "en", "es", "s", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    if len(word) >= 5 and word[-2] == word[-3] and word[-2] in "aeou":  # paneel → panel
        word = word[:-2] + word[-1]
    return '"' + word.replace('"', "") + '"*'


def catalogue_match_ids(
    *,
    library_id: int,
    words: list[str],
    limit: int,
    exclude_ids: set[int] | None = None,
    prefix: bool = False,
) -> list[tuple[int, float]]:
    """(resource id, score) of the library's catalogue records matching any of `words`, best first.
    PostgreSQL: the Dutch configuration (stemming, stop words) on the GIN-indexed tsvector. SQLite:
    FTS5 with bm25. `prefix` matches word beginnings too (search as you type)."""
    if not words:
        return []
    exclude_ids = exclude_ids or set()
    fetch = limit + len(exclude_ids)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if prefix:
                terms = [part for w in words for part in re.split(r"[^\w]+", w) if part]
                query_sql = "to_tsquery('dutch', %s)"
                query = " & ".join(f"{t}:*" for t in terms if t)
            else:
                query_sql = "websearch_to_tsquery('dutch', %s)"
                query = " or ".join(words)
            if not query:
                return []
            cursor.execute(
                "SELECT r.id, ts_rank_cd(to_tsvector('dutch'::regconfig, r.search_document), q) AS score "
                f"FROM resources_resource r, {query_sql} q "
                "WHERE r.library_id = %s AND r.source = 'catalogue' "
                "AND to_tsvector('dutch'::regconfig, r.search_document) @@ q "
                "ORDER BY score DESC, r.id LIMIT %s",
                [query, library_id, fetch],
            )
        elif connection.vendor == "sqlite":
            if prefix:
                match = " AND ".join('"' + w.replace('"', "") + '"*' for w in words)
            else:
                match = " OR ".join(_sqlite_prefix(w) for w in words)
            cursor.execute(
                "SELECT r.id, -bm25(resources_resource_fts) AS score FROM resources_resource_fts "
                "JOIN resources_resource r ON r.id = resources_resource_fts.rowid "
                "WHERE resources_resource_fts MATCH %s AND r.library_id = %s AND r.source = 'catalogue' "
                "ORDER BY score DESC, r.id LIMIT %s",
                [match, library_id, fetch],
            )
        else:  # pragma: no cover - only PostgreSQL and SQLite are supported
            return []
        rows = [(int(i), float(s)) for i, s in cursor.fetchall() if int(i) not in exclude_ids]
    return rows[:limit]


def catalogue_search(*, library: Library, q: str, limit: int = 20) -> list[Resource]:
    """The attach dialog's search: an ISBN finds its record; otherwise every word must match the
    beginning of a word in the title, creators, subjects or description."""
    q = q.strip()[:200]
    if not q:
        return []
    compact = re.sub(r"[\s-]", "", q)
    if stdnum_isbn.is_valid(compact):
        isbn13 = stdnum_isbn.to_isbn13(stdnum_isbn.compact(compact))
        return list(resources_qs().filter(library=library, source=Source.CATALOGUE, isbn13=isbn13))
    words = [w for w in (m.lower() for m in _WORD.findall(q))][:8]
    ids = [i for i, _s in catalogue_match_ids(library_id=library.pk, words=words, limit=limit, prefix=True)]
    by_id = {r.pk: r for r in resources_qs().filter(pk__in=ids)}
    return [by_id[i] for i in ids if i in by_id]


def access_library_for_catalogue(*, user: AnyUser, slug: str) -> Library:
    """A library whose catalogue the user manages (its librarians and staff)."""
    library = Library.objects.filter(slug=slug).first()
    if library is None:
        raise NotFound()
    if not is_librarian_of(user, library.pk):
        raise PermissionDenied()
    return library


def catalogue_import_list(*, library: Library) -> QuerySet[CatalogueImport]:
    return CatalogueImport.objects.filter(library=library).defer("data").order_by("-created_at")


def access_catalogue_import(*, library: Library, import_id: int) -> CatalogueImport:
    found = catalogue_import_list(library=library).filter(pk=import_id).first()
    if found is None:
        raise NotFound()
    return found


def thread_recent_text(*, thread: Thread, messages: int = 30) -> str:
    """The thread's title and its recent visible messages: what suggestions match against.
    Only this thread's own words — never anyone's history elsewhere."""
    bodies = list(
        Message.objects.filter(thread=thread)
        .filter(live_message_q())
        .order_by("-seq")
        .values_list("body", flat=True)[:messages]
    )
    return "\n".join([thread.title, *reversed(bodies)])
