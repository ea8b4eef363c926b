"""Writes for resources and their attachments. Every attachment change a group's members can see
takes the group's next seq (so catch-up replays it) and is broadcast after commit.

Permissions follow the group: attaching to a message is for its author; adding to a thread's
sources for whoever may post in the group; curating the group's collection for its hosts and
librarians. Resources themselves are shared rows, de-duplicated by identifier.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum import isbn as stdnum_isbn

from accounts.models import User
from backend.exceptions import NotFound, PermissionDenied, ValidationFailed
from chat import services as chat_services
from chat.models import Message, Thread
from chat.services import ensure_may_send
from groups.models import Group
from groups.selectors import ensure_can_manage

from .catalogue.importer import search_document_for
from .errors import AlreadyInCollection, InvalidIsbn, InvalidUrl, TitleRequired, TooManyResources
from .fetch import FetchRefused, canonicalize_url
from .models import (
    CollectionItem,
    Kind,
    MessageResource,
    PreviewStatus,
    Resource,
    Source,
    SuggestionDismissal,
    ThreadResource,
    ThreadSuggestion,
)
from .selectors import access_resource, visible_resources_q

MSG_ORDER = _("List every item of the collection exactly once.")
MAX_RESOURCES_PER_MESSAGE = 10
MAX_LINKS_PER_MESSAGE = 5
# Links found in a message's text (the same linkify rules the markdown renderer uses).
_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)


def url_hash(canonical_url: str) -> str:
    return hashlib.sha256(canonical_url.encode()).hexdigest()


def _canonical(url: str) -> str:
    try:
        return canonicalize_url(url.strip())
    except FetchRefused as exc:
        raise InvalidUrl() from exc


def _placeholder_title(url: str) -> str:
    return url.split("://", 1)[-1].rstrip("/")[:500]


def _refresh_document(resource: Resource) -> None:
    resource.search_document = search_document_for(
        title=resource.title,
        creators=resource.creators,
        subjects=resource.subjects,
        description=resource.description,
    )


def resource_for_url(*, actor: User | None, url: str) -> tuple[Resource, bool]:
    """The resource for a web address (canonicalised), created when new; whether its preview must
    be fetched. Preconditions: none (any signed-in member may share a link)."""
    canonical = _canonical(url)
    key = url_hash(canonical)
    resource = Resource.objects.filter(url_hash=key).first()
    if resource is None:
        try:
            with transaction.atomic():
                resource = Resource.objects.create(
                    kind=Kind.WEBSITE,
                    title=_placeholder_title(canonical),
                    url=canonical,
                    url_hash=key,
                    source=Source.PREVIEW,
                    preview_status=PreviewStatus.PENDING,
                    created_by=actor,
                    search_document=_placeholder_title(canonical),
                )
            return resource, True
        except IntegrityError:  # created concurrently
            resource = Resource.objects.get(url_hash=key)
    needs_preview = resource.source == Source.PREVIEW and (
        resource.preview_status == PreviewStatus.NONE
        or (
            # A failed preview is tried again when the link is shared again — at most once per
            # PREVIEW_RETRY_AFTER, so sharing a dead or hostile link over and over costs nothing.
            resource.preview_status == PreviewStatus.FAILED
            and (
                resource.previewed_at is None
                or timezone.now() - resource.previewed_at
                >= timedelta(seconds=settings.KENNISCLOUD["PREVIEW_RETRY_AFTER"])
            )
        )
    )
    if needs_preview:
        Resource.objects.filter(pk=resource.pk).update(preview_status=PreviewStatus.PENDING)
        resource.preview_status = PreviewStatus.PENDING
    return resource, needs_preview


def normalise_isbn(raw: str) -> str:
    compact = re.sub(r"[\s-]", "", raw or "")
    if not stdnum_isbn.is_valid(compact):
        raise InvalidIsbn()
    return stdnum_isbn.to_isbn13(stdnum_isbn.compact(compact))


def resource_for_isbn(
    *, actor: User, isbn: str, title: str = "", creators: list[str] | None = None
) -> Resource:
    """The book with this ISBN: a catalogue record when a library has it, a configured remote
    catalogue (SRU) next, else a member's entry — which then needs a title."""
    isbn13 = normalise_isbn(isbn)
    found = Resource.objects.filter(isbn13=isbn13).first()
    if found is not None:
        return found
    from .sru import lookup_isbn  # pluggable remote catalogue adapters

    record = lookup_isbn(isbn13)
    title = (title or "").strip()[:500]
    if record is None and not title:
        raise TitleRequired()
    fields = (
        record
        if record is not None
        else {"title": title, "creators": [c.strip() for c in (creators or []) if c.strip()][:10]}
    )
    resource = Resource(kind=Kind.BOOK, isbn13=isbn13, source=Source.MEMBER, created_by=actor, **fields)
    _refresh_document(resource)
    try:
        with transaction.atomic():
            resource.save()
    except IntegrityError:
        return Resource.objects.get(isbn13=isbn13)
    return resource


def resource_resolve(
    *,
    actor: User,
    url: str = "",
    isbn: str = "",
    title: str = "",
    creators: list[str] | None = None,
    resource_id: int | None = None,
) -> tuple[Resource, bool]:
    """One entry for the attach dialog: a link, an ISBN, or a resource the user can already see
    (a catalogue search result). Returns the resource and whether a preview must be fetched —
    `preview_enqueue` does that after commit."""
    if resource_id is not None:
        return access_resource(user=actor, resource_id=resource_id), False
    if url:
        return resource_for_url(actor=actor, url=url)
    if isbn:
        return resource_for_isbn(actor=actor, isbn=isbn, title=title, creators=creators), False
    raise ValidationFailed(fields={"url": [str(InvalidUrl.default_message)]})


def preview_enqueue(*, resource: Resource, message: Message | None = None) -> None:
    """Fetch the resource's preview in the background once this transaction commits (the task row
    is written in it, so a committed message never misses its preview)."""
    from .tasks import preview_fetch

    transaction.on_commit(lambda: preview_fetch.enqueue(resource.pk, message.pk if message else None))


# --- messages ---------------------------------------------------------------------------------


def message_links_prepare(*, author: User, body: str) -> list[tuple[Resource, bool]]:
    """The resources for the links in a message's text (created when new), before the message's
    transaction takes the group lock. Links we would never fetch (other schemes) are skipped."""
    urls: list[str] = []
    for match in _URL.findall(body):
        try:
            canonical = canonicalize_url(match.rstrip(".,;:!?)]}"))
        except FetchRefused:
            continue
        if canonical not in urls:
            urls.append(canonical)
        if len(urls) == MAX_LINKS_PER_MESSAGE:
            break
    return [resource_for_url(actor=author, url=url) for url in urls]


def message_resources_attach(
    *, message: Message, links: list[tuple[Resource, bool]], chosen: list[Resource] = (), new: bool
) -> None:
    """Attach a message's links (from message_links_prepare) and the resources chosen in the composer
    (from resources_for_send), and queue the previews still missing. A new message gets its rows in
    one insert; after an edit, links no longer in the text are dropped. No event of its own: the
    message's created/edited event carries them. Precondition: inside message_send's or
    message_edit's transaction, before its event is rendered."""
    existing: set[int] = set()
    if not new:
        wanted = {resource.pk for resource, _ in links}
        MessageResource.objects.filter(message=message, origin=MessageResource.Origin.LINK).exclude(
            resource_id__in=wanted
        ).delete()
        existing = set(MessageResource.objects.filter(message=message).values_list("resource_id", flat=True))
    rows = []
    # Composer attachments after the links (positions from 100), each resource once.
    pending = [(r, n, MessageResource.Origin.LINK, p) for p, (r, n) in enumerate(links, start=1)]
    pending += [(r, False, MessageResource.Origin.ATTACHED, p) for p, r in enumerate(chosen, start=100)]
    for resource, needs_preview, origin, position in pending:
        if resource.pk in existing:
            continue
        existing.add(resource.pk)
        rows.append(MessageResource(message=message, resource=resource, origin=origin, position=position))
        if needs_preview or (
            resource.source == Source.PREVIEW and resource.preview_status == PreviewStatus.PENDING
        ):
            preview_enqueue(resource=resource, message=message)
    if rows:
        MessageResource.objects.bulk_create(rows)


def resources_for_send(*, author: User, resource_ids: list[int]) -> list[Resource]:
    """The resources chosen in the composer (one query), each one the author may see — else
    not_found, like a missing one."""
    ids = list(dict.fromkeys(resource_ids))
    if len(ids) > MAX_RESOURCES_PER_MESSAGE:
        raise TooManyResources(MAX_RESOURCES_PER_MESSAGE)
    if not ids:
        return []
    found = {r.pk: r for r in Resource.objects.filter(visible_resources_q(author), pk__in=ids)}
    if len(found) != len(ids):
        raise NotFound()
    return [found[i] for i in ids]


def _own_message(*, actor: User, message: Message) -> Message:
    message = chat_services.message_lock(message)
    if message.author_id != actor.pk:
        raise PermissionDenied()
    if message.deleted_at is not None or message.removed_at is not None:
        raise NotFound()
    ensure_may_send(author=actor, group=message.group)
    return message


@transaction.atomic
def message_resource_attach(
    *, actor: User, message: Message, resource: Resource, needs_preview: bool
) -> Message:
    """Authors attach a resource to their message; everyone sees it live (message.resources).
    Preconditions: `message` from access_message, `resource` from resource_resolve."""
    message = _own_message(actor=actor, message=message)
    attached = set(MessageResource.objects.filter(message=message).values_list("resource_id", flat=True))
    if resource.pk in attached:
        return message
    if len(attached) >= MAX_RESOURCES_PER_MESSAGE:
        raise TooManyResources(MAX_RESOURCES_PER_MESSAGE)
    MessageResource.objects.create(message=message, resource=resource, position=len(attached) + 100)
    if needs_preview:
        preview_enqueue(resource=resource, message=message)
    chat_services.message_changed(message=message)
    return message


@transaction.atomic
def message_resource_detach(*, actor: User, message: Message, resource_id: int) -> Message:
    message = _own_message(actor=actor, message=message)
    deleted, _ = MessageResource.objects.filter(message=message, resource_id=resource_id).delete()
    if not deleted:
        raise NotFound()
    chat_services.message_changed(message=message)
    return message


# --- thread sources ----------------------------------------------------------------------------


def _thread_event(
    thread: Thread,
    event_type: str,
    resource: Resource,
    actor: User | None,
    link: ThreadResource | None = None,
) -> None:
    """A sequenced thread-sources event; `thread.resource_added` carries the whole entry as
    `GET threads/{id}/resources/` lists it."""
    from .payloads import resource_brief
    from .selectors import resources_qs

    resource = resources_qs().get(pk=resource.pk)
    payload = {
        "thread": thread.pk,
        "resource": resource_brief(resource),
        "by": {"id": actor.pk, "display_name": actor.display_name} if actor else None,
    }
    if link is not None:
        payload.update(
            {
                "added_at": link.created_at.isoformat().replace("+00:00", "Z"),
                "via": "thread",
                "message": None,
                "from_suggestion": link.from_suggestion,
            }
        )
    chat_services.group_event_publish(group=thread.group, event_type=event_type, payload=payload)


@transaction.atomic
def thread_resource_add(
    *, actor: User, thread: Thread, resource: Resource, from_suggestion: bool = False
) -> ThreadResource:
    """Add a resource to a thread's sources. Precondition: `thread` from access_thread, `resource`
    from resource_resolve/access_resource. Adding one twice is a no-op."""
    ensure_may_send(author=actor, group=thread.group, thread=thread)
    link, created = ThreadResource.objects.get_or_create(
        thread=thread, resource=resource, defaults={"added_by": actor, "from_suggestion": from_suggestion}
    )
    if created:
        ThreadSuggestion.objects.filter(thread=thread, resource=resource).delete()
        _thread_event(thread, "thread.resource_added", resource, actor, link)
    return link


@transaction.atomic
def thread_resource_remove(*, actor: User, thread: Thread, resource_id: int) -> None:
    """Who added it, and the group's hosts and librarians, remove a source."""
    link = (
        ThreadResource.objects.filter(thread=thread, resource_id=resource_id)
        .select_related("resource")
        .first()
    )
    if link is None:
        raise NotFound()
    if link.added_by_id != actor.pk:
        ensure_can_manage(actor, thread.group)
    ensure_may_send(author=actor, group=thread.group)
    link.delete()
    _thread_event(thread, "thread.resource_removed", link.resource, actor)


def _suggestable(*, thread: Thread, resource_id: int) -> Resource:
    """A title of the thread's library catalogue — what a suggestion can be. A suggestion that a
    recompute has just replaced is still one: dismissing or adding it works."""
    resource = Resource.objects.filter(
        pk=resource_id, library_id=thread.group.library_id, source=Source.CATALOGUE
    ).first()
    if resource is None:
        raise NotFound()
    return resource


@transaction.atomic
def suggestion_dismiss(*, actor: User, thread: Thread, resource_id: int) -> None:
    """A member dismisses a suggestion: it does not come back for this thread."""
    ensure_may_send(author=actor, group=thread.group)
    resource = _suggestable(thread=thread, resource_id=resource_id)
    _dismissal, created = SuggestionDismissal.objects.get_or_create(
        thread=thread, resource=resource, defaults={"dismissed_by": actor}
    )
    ThreadSuggestion.objects.filter(thread=thread, resource=resource).delete()
    if created:
        chat_services.group_event_publish(
            group=thread.group,
            event_type="thread.suggestion_dismissed",
            payload={"thread": thread.pk, "resource": resource.pk},
        )


def suggestion_add(*, actor: User, thread: Thread, resource_id: int) -> ThreadResource:
    """Add a suggested title to the thread's sources (with a click in the Bronnen panel)."""
    resource = _suggestable(thread=thread, resource_id=resource_id)
    return thread_resource_add(actor=actor, thread=thread, resource=resource, from_suggestion=True)


# --- group collections -------------------------------------------------------------------------


def _collection_event(group: Group, action: str, item_id: int | None = None) -> None:
    chat_services.group_event_publish(
        group=group, event_type="collection.changed", payload={"action": action, "item": item_id}
    )


@transaction.atomic
def collection_item_add(*, actor: User, group: Group, resource: Resource, note: str = "") -> CollectionItem:
    """Hosts and librarians curate the group's theme collection. Precondition: `group` from
    access_group, `resource` from resource_resolve."""
    ensure_can_manage(actor, group)
    if CollectionItem.objects.filter(group=group, resource=resource).exists():
        raise AlreadyInCollection()
    Group.objects.select_for_update().filter(pk=group.pk).first()  # serialise positions per group
    last = CollectionItem.objects.filter(group=group).aggregate(m=Max("position"))["m"]
    item = CollectionItem.objects.create(
        group=group, resource=resource, note=note.strip(), curator=actor, position=(last or 0) + 1
    )
    _collection_event(group, "added", item.pk)
    return item


@transaction.atomic
def collection_item_update(*, actor: User, item: CollectionItem, note: str) -> CollectionItem:
    ensure_can_manage(actor, item.group)
    item.note = note.strip()
    item.curator = actor
    item.save(update_fields=["note", "curator", "updated_at"])
    _collection_event(item.group, "updated", item.pk)
    return item


@transaction.atomic
def collection_item_remove(*, actor: User, item: CollectionItem) -> None:
    ensure_can_manage(actor, item.group)
    group, pk = item.group, item.pk
    item.delete()
    _collection_event(group, "removed", pk)


@transaction.atomic
def collection_reorder(*, actor: User, group: Group, item_ids: list[int]) -> None:
    """Put the collection in this order: exactly the group's items, each once."""
    ensure_can_manage(actor, group)
    Group.objects.select_for_update().filter(pk=group.pk).first()
    current = set(CollectionItem.objects.filter(group=group).values_list("pk", flat=True))
    if len(item_ids) != len(set(item_ids)) or set(item_ids) != current:
        raise ValidationFailed(fields={"items": [str(MSG_ORDER)]})
    items = {i.pk: i for i in CollectionItem.objects.filter(group=group)}
    for position, pk in enumerate(item_ids, start=1):
        items[pk].position = position
    CollectionItem.objects.bulk_update(items.values(), ["position"])
    _collection_event(group, "reordered")
