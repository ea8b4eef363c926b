"""REST interface for resources, attachments, thread sources, suggestions, collections and catalogue
imports. Each view: access check → one service or selector → output shape."""

from __future__ import annotations

import json

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api import validated
from chat.selectors import access_message, access_thread
from chat.views import _viewer_payload
from groups.selectors import access_group, library_get

from . import imports, selectors, services, suggestions
from .models import CatalogueImport
from .payloads import resource_brief, resource_full, resource_jsonld
from .serializers import (
    CatalogueImportOut,
    CatalogueUploadInput,
    CollectionItemInput,
    CollectionItemOut,
    CollectionNoteInput,
    CollectionOrderInput,
    ResolveInput,
    ResourceBriefOut,
    ResourceDetailOut,
    SuggestionOut,
    ThreadSourceOut,
)

Q_PARAM = OpenApiParameter("q", str, description="search words, or an ISBN")


def _iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def _user(user) -> dict | None:
    return {"id": user.pk, "display_name": user.display_name} if user is not None else None


def _resolve(request: Request):
    data = validated(ResolveInput, request)
    return services.resource_resolve(
        actor=request.user,
        url=data["url"],
        isbn=data["isbn"],
        title=data["title"],
        creators=data["creators"],
        resource_id=data["resource"],
    )


def _page_url(request: Request, resource_id: int) -> str:
    return request.build_absolute_uri(f"/resources/{resource_id}")


class ResourceResolveView(APIView):
    """Find or create the resource for a link, an ISBN or a catalogue record (the attach dialog)."""

    throttle_scope = "search"  # backend/throttling.py
    permission_classes = [IsAuthenticated]

    @extend_schema(request=ResolveInput, responses=ResourceBriefOut)
    def post(self, request: Request) -> Response:
        resource, needs_preview = _resolve(request)
        if needs_preview:
            services.preview_enqueue(resource=resource)
        resource = selectors.access_resource(user=request.user, resource_id=resource.pk)
        return Response(resource_brief(resource))


class ResourceDetailView(APIView):
    @extend_schema(responses=ResourceDetailOut)
    def get(self, request: Request, resource_id: int) -> Response:
        resource = selectors.access_resource(user=request.user, resource_id=resource_id)
        discussions = selectors.resource_discussions(user=request.user, resource=resource)
        collections = selectors.resource_collections(user=request.user, resource=resource)
        return Response(
            {
                **resource_full(resource),
                "collections": [
                    {"group": {"slug": c.group.slug, "name": c.group.name}, "note": c.note}
                    for c in collections
                ],
                "discussions": [
                    {
                        "group": {"slug": d.group.slug, "name": d.group.name},
                        "thread": {"id": d.thread.pk, "title": d.thread.title},
                        "message": d.message_id,
                        "seq": d.seq,
                        "at": _iso(d.at),
                    }
                    for d in discussions
                ],
                "jsonld": resource_jsonld(resource, page_url=_page_url(request, resource.pk)),
            }
        )


class ResourceJsonLdView(APIView):
    @extend_schema(responses={(200, "application/ld+json"): dict})
    def get(self, request: Request, resource_id: int) -> HttpResponse:
        resource = selectors.access_resource(user=request.user, resource_id=resource_id)
        body = json.dumps(
            resource_jsonld(resource, page_url=_page_url(request, resource.pk)), ensure_ascii=False
        )
        return HttpResponse(body, content_type="application/ld+json; charset=utf-8")


class ResourceImageView(APIView):
    """The cover or preview image, from our own origin."""

    @extend_schema(responses={(200, "image/*"): bytes})
    def get(self, request: Request, resource_id: int) -> HttpResponse:
        image = selectors.resource_image_get(user=request.user, resource_id=resource_id)
        response = HttpResponse(bytes(image.data), content_type=image.content_type)
        response["Cache-Control"] = "private, max-age=3600"
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["ETag"] = f'"{image.sha256}"'
        return response


class MessageResourcesView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=ResolveInput, responses=ResourceBriefOut)
    def post(self, request: Request, message_id: int) -> Response:
        message = access_message(user=request.user, message_id=message_id)
        resource, needs_preview = _resolve(request)
        message = services.message_resource_attach(
            actor=request.user, message=message, resource=resource, needs_preview=needs_preview
        )
        return Response(_viewer_payload(request, access_message(user=request.user, message_id=message.pk)))


class MessageResourceDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None})
    def delete(self, request: Request, message_id: int, resource_id: int) -> Response:
        message = access_message(user=request.user, message_id=message_id)
        services.message_resource_detach(actor=request.user, message=message, resource_id=resource_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _source(source: selectors.ThreadSource) -> dict:
    return {
        "resource": resource_brief(source.resource),
        "added_by": _user(source.added_by),
        "added_at": _iso(source.added_at),
        "via": source.via,
        "message": source.message_id,
        "from_suggestion": source.from_suggestion,
    }


class ThreadResourcesView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses=ThreadSourceOut(many=True))
    def get(self, request: Request, thread_id: int) -> Response:
        thread = access_thread(user=request.user, thread_id=thread_id)
        return Response([_source(s) for s in selectors.thread_sources(thread=thread)])

    @extend_schema(request=ResolveInput, responses={201: ThreadSourceOut})
    def post(self, request: Request, thread_id: int) -> Response:
        thread = access_thread(user=request.user, thread_id=thread_id)
        resource, needs_preview = _resolve(request)
        services.thread_resource_add(actor=request.user, thread=thread, resource=resource)
        if needs_preview:
            services.preview_enqueue(resource=resource)
        [source] = selectors.thread_sources(thread=thread, resource_id=resource.pk)
        return Response(_source(source), status=status.HTTP_201_CREATED)


class ThreadResourceDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None})
    def delete(self, request: Request, thread_id: int, resource_id: int) -> Response:
        thread = access_thread(user=request.user, thread_id=thread_id)
        services.thread_resource_remove(actor=request.user, thread=thread, resource_id=resource_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ThreadSuggestionsView(APIView):
    throttle_scope = "search"  # backend/throttling.py

    @extend_schema(responses=SuggestionOut(many=True))
    def get(self, request: Request, thread_id: int) -> Response:
        thread = access_thread(user=request.user, thread_id=thread_id)
        found = selectors.thread_suggestions(thread=thread)
        if not found:
            suggestions.suggestions_schedule(thread=thread)  # a thread from before the catalogue
        return Response([suggestions.suggestion_payload(s) for s in found])


class SuggestionAddView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={201: ThreadSourceOut})
    def post(self, request: Request, thread_id: int, resource_id: int) -> Response:
        thread = access_thread(user=request.user, thread_id=thread_id)
        services.suggestion_add(actor=request.user, thread=thread, resource_id=resource_id)
        [source] = selectors.thread_sources(thread=thread, resource_id=resource_id)
        return Response(_source(source), status=status.HTTP_201_CREATED)


class SuggestionDismissView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request, thread_id: int, resource_id: int) -> Response:
        thread = access_thread(user=request.user, thread_id=thread_id)
        services.suggestion_dismiss(actor=request.user, thread=thread, resource_id=resource_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _item(item) -> dict:
    return {
        "id": item.pk,
        "resource": resource_brief(item.resource),
        "note": item.note,
        "position": item.position,
        "curator": _user(item.curator),
        "created_at": _iso(item.created_at),
    }


class CollectionView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses=CollectionItemOut(many=True))
    def get(self, request: Request, slug: str) -> Response:
        group = access_group(user=request.user, slug=slug)
        return Response([_item(i) for i in selectors.group_collection(group=group)])

    @extend_schema(request=CollectionItemInput, responses={201: CollectionItemOut})
    def post(self, request: Request, slug: str) -> Response:
        group = access_group(user=request.user, slug=slug)
        data = validated(CollectionItemInput, request)
        resource = selectors.access_resource(user=request.user, resource_id=data["resource"])
        item = services.collection_item_add(
            actor=request.user, group=group, resource=resource, note=data["note"]
        )
        [item] = selectors.group_collection(group=group, item_id=item.pk)
        return Response(_item(item), status=status.HTTP_201_CREATED)


class CollectionItemView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=CollectionNoteInput, responses=CollectionItemOut)
    def patch(self, request: Request, slug: str, item_id: int) -> Response:
        group = access_group(user=request.user, slug=slug)
        item = selectors.access_collection_item(group=group, item_id=item_id)
        services.collection_item_update(
            actor=request.user, item=item, **validated(CollectionNoteInput, request)
        )
        [item] = selectors.group_collection(group=group, item_id=item.pk)
        return Response(_item(item))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, slug: str, item_id: int) -> Response:
        group = access_group(user=request.user, slug=slug)
        item = selectors.access_collection_item(group=group, item_id=item_id)
        services.collection_item_remove(actor=request.user, item=item)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CollectionOrderView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=CollectionOrderInput, responses=CollectionItemOut(many=True))
    def post(self, request: Request, slug: str) -> Response:
        group = access_group(user=request.user, slug=slug)
        data = validated(CollectionOrderInput, request)
        services.collection_reorder(actor=request.user, group=group, item_ids=data["items"])
        return Response([_item(i) for i in selectors.group_collection(group=group)])


class GroupCatalogueSearchView(APIView):
    """The group's library catalogue, searched as you type (the attach dialog)."""

    throttle_scope = "search"  # backend/throttling.py

    @extend_schema(parameters=[Q_PARAM], responses=ResourceBriefOut(many=True))
    def get(self, request: Request, slug: str) -> Response:
        group = access_group(user=request.user, slug=slug)
        found = selectors.catalogue_search(library=group.library, q=request.query_params.get("q", ""))
        return Response([resource_brief(r) for r in found])


class LibraryCatalogueSearchView(APIView):
    throttle_scope = "search"  # backend/throttling.py

    @extend_schema(parameters=[Q_PARAM], responses=ResourceBriefOut(many=True))
    def get(self, request: Request, slug: str) -> Response:
        library = library_get(slug=slug)
        found = selectors.catalogue_search(library=library, q=request.query_params.get("q", ""))
        return Response([resource_brief(r) for r in found])


def _import(job: CatalogueImport, *, errors: int | None = None) -> dict:
    """An import and its report; lists carry only the first `errors` rejected records."""
    return {
        "id": job.pk,
        "library": job.library.slug,
        "format": job.format,
        "filename": job.filename,
        "status": job.status,
        "processed": job.processed,
        "created": job.created,
        "updated": job.updated,
        "unchanged": job.unchanged,
        "rejected": job.rejected,
        "size_bytes": job.size_bytes,
        "read_bytes": job.read_bytes,
        "errors": job.errors if errors is None else job.errors[:errors],
        "failure": job.failure,
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
    }


class CatalogueImportsView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses=CatalogueImportOut(many=True))
    def get(self, request: Request, slug: str) -> Response:
        library = selectors.access_library_for_catalogue(user=request.user, slug=slug)
        jobs = selectors.catalogue_import_list(library=library).select_related("library")[:50]
        return Response([_import(j, errors=20) for j in jobs])

    @extend_schema(request={"multipart/form-data": CatalogueUploadInput}, responses={202: CatalogueImportOut})
    def post(self, request: Request, slug: str) -> Response:
        library = selectors.access_library_for_catalogue(user=request.user, slug=slug)
        data = validated(CatalogueUploadInput, request)
        upload = data["file"]
        job = imports.catalogue_import_start(
            actor=request.user,
            library=library,
            data=upload.read(),
            filename=upload.name or "",
            fmt=data["format"],
        )
        job.library = library
        return Response(_import(job), status=status.HTTP_202_ACCEPTED)


class CatalogueImportDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=CatalogueImportOut)
    def get(self, request: Request, slug: str, import_id: int) -> Response:
        library = selectors.access_library_for_catalogue(user=request.user, slug=slug)
        job = selectors.access_catalogue_import(library=library, import_id=import_id)
        job.library = library
        return Response(_import(job))
