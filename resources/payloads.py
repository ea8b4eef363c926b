"""How a resource looks on the wire — in message payloads, thread sources, collections and resource
pages alike — and as schema.org JSON-LD."""

from __future__ import annotations

from typing import Any, TypedDict

from .models import Kind, PreviewStatus, Resource, ResourceImage

DESCRIPTION_BRIEF_CHARS = 300


class ResourceBrief(TypedDict):
    id: int
    kind: str
    title: str
    creators: list[str]
    publisher: str
    year: int | None
    site_name: str
    description: str
    url: str
    isbn13: str | None
    catalogue_url: str
    image: str | None
    preview_status: str
    source: str
    library: str | None


def image_path(resource: Resource) -> str | None:
    """Our own URL for the resource's image — the browser never contacts the remote host.
    Precondition: `has_image` annotated (selectors.resources_qs), else one query."""
    has_image = getattr(resource, "has_image", None)
    if has_image is None:
        has_image = ResourceImage.objects.filter(resource_id=resource.pk).exists()
    return f"/api/v1/resources/{resource.pk}/image/" if has_image else None


def _iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def resource_brief(resource: Resource) -> ResourceBrief:
    """Precondition: `library` selected and `has_image` annotated (selectors.resources_qs)."""
    description = resource.description
    if len(description) > DESCRIPTION_BRIEF_CHARS:
        description = description[: DESCRIPTION_BRIEF_CHARS - 1].rstrip() + "…"
    return {
        "id": resource.pk,
        "kind": resource.kind,
        "title": resource.title,
        "creators": list(resource.creators or []),
        "publisher": resource.publisher,
        "year": resource.year,
        "site_name": resource.site_name,
        "description": description,
        "url": resource.url,
        "isbn13": resource.isbn13,
        "catalogue_url": resource.catalogue_url,
        "image": image_path(resource),
        "preview_status": resource.preview_status,
        "source": resource.source,
        "library": resource.library.slug if resource.library_id and resource.library else None,
    }


def resource_full(resource: Resource) -> dict[str, Any]:
    return {
        **resource_brief(resource),
        "description": resource.description,
        "language": resource.language,
        "subjects": list(resource.subjects or []),
        "record_id": resource.record_id,
        "preview_pending": resource.preview_status == PreviewStatus.PENDING,
        "created_at": _iso(resource.created_at),
        "updated_at": _iso(resource.updated_at),
    }


SCHEMA_TYPES = {
    Kind.BOOK: "Book",
    Kind.ARTICLE: "Article",
    Kind.WEBSITE: "WebPage",
    Kind.VIDEO: "VideoObject",
    Kind.PODCAST: "PodcastEpisode",
    Kind.OTHER: "CreativeWork",
}


def resource_jsonld(resource: Resource, *, page_url: str) -> dict[str, Any]:
    """schema.org description of a resource (for its page and for crawlers)."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": SCHEMA_TYPES.get(resource.kind, "CreativeWork"),
        "@id": page_url,
        "name": resource.title,
    }
    if resource.creators:
        data["author"] = [{"@type": "Person", "name": name} for name in resource.creators]
    if resource.publisher:
        data["publisher"] = {"@type": "Organization", "name": resource.publisher}
    if resource.year:
        data["datePublished"] = str(resource.year)
    if resource.language:
        data["inLanguage"] = resource.language
    if resource.description:
        data["description"] = resource.description
    if resource.subjects:
        data["keywords"] = list(resource.subjects)
    if resource.isbn13 and resource.kind == Kind.BOOK:
        data["isbn"] = resource.isbn13
    same_as = [u for u in (resource.url, resource.catalogue_url) if u]
    if same_as:
        data["url"] = same_as[0]
        if len(same_as) > 1:
            data["sameAs"] = same_as[1:]
    if image_path(resource):
        data["image"] = image_path(resource)
    return data
