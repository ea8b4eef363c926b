"""Link previews, built by a background task after the message is stored — never in a request or a
consumer. The fetch happens outside any transaction; the result is written and broadcast in one."""

from __future__ import annotations

import hashlib
import logging

from django.db import transaction
from django.utils import timezone

from chat import services as chat_services
from chat.models import Message

from .fetch import FetchRefused, PageMeta, fetch_image, fetch_page
from .models import Kind, MessageResource, PreviewStatus, Resource, ResourceImage, Source
from .services import _refresh_document

logger = logging.getLogger(__name__)


def _apply(resource: Resource, meta: PageMeta) -> None:
    resource.title = (meta.title or resource.title)[:500]
    resource.description = meta.description[:5000]
    resource.site_name = meta.site_name[:200]
    if meta.type in Kind.values:
        resource.kind = meta.type
    resource.creators = meta.creators[:10]
    resource.year = meta.year if meta.year and 0 < meta.year < 32767 else None
    resource.image_url = meta.image_url[:2000]
    _refresh_document(resource)


def _store_image(resource: Resource) -> None:
    if not resource.image_url:
        return
    try:
        data, content_type = fetch_image(resource.image_url)
    except FetchRefused as exc:
        logger.info("preview image of resource %s refused: %s", resource.pk, exc.code)
        return
    ResourceImage.objects.update_or_create(
        resource=resource,
        defaults={"data": data, "content_type": content_type, "sha256": hashlib.sha256(data).hexdigest()},
    )


COVER_BATCH = 500


def catalogue_covers_fetch(*, library_id: int, limit: int = COVER_BATCH) -> int:
    """Fetch the covers of a library's catalogue records that name an image and have none yet
    (after an import), under the same rules as link previews. Returns how many were tried; a
    refused cover is not tried again until the record's image URL changes."""
    candidates = list(
        Resource.objects.filter(library_id=library_id, source=Source.CATALOGUE)
        .exclude(image_url="")
        .filter(image__isnull=True, previewed_at__isnull=True)
        .order_by("pk")[:limit]
    )
    for resource in candidates:
        _store_image(resource)
        Resource.objects.filter(pk=resource.pk).update(previewed_at=timezone.now())
    return len(candidates)


def resource_preview_refresh(*, resource_id: int, message_id: int | None = None) -> Resource | None:
    """Fetch the preview of a link resource (unless another task just did) and tell the message's
    clients. A failed preview leaves a plain link: status `failed` with the reason's code."""
    resource = Resource.objects.filter(pk=resource_id).first()
    if resource is None:
        return None
    if resource.source == Source.PREVIEW and resource.preview_status != PreviewStatus.READY:
        try:
            meta = fetch_page(resource.url)
        except FetchRefused as exc:
            resource.preview_status, resource.preview_error = PreviewStatus.FAILED, exc.code
        else:
            _apply(resource, meta)
            resource.preview_status, resource.preview_error = PreviewStatus.READY, ""
            _store_image(resource)
        resource.previewed_at = timezone.now()
    with transaction.atomic():
        if resource.source == Source.PREVIEW:
            resource.save()
        message = Message.objects.filter(pk=message_id).first() if message_id else None
        if message is not None:
            message = chat_services.message_lock(message)
            live = message.deleted_at is None and message.removed_at is None
            if live and MessageResource.objects.filter(message=message, resource=resource).exists():
                chat_services.message_changed(message=message)
    return resource
