import json

from django.conf import settings
from django.contrib import admin
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt, ensure_csrf_cookie

from backend.exceptions import NotFound
from backend.metrics import metrics_view
from meetups.embed import embed_agenda


@ensure_csrf_cookie
def spa(request: HttpRequest, head: str = "") -> HttpResponse:
    """The built frontend for every page path; it sets the CSRF cookie the client sends back.
    `head` is added to the page's <head> (structured data for crawlers)."""
    index = settings.FRONTEND_DIST / "index.html"
    if not index.is_file():
        return HttpResponse(
            "The frontend is not built yet: run `make run` (or `cd frontend && npm ci && npm run build`).",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    page = index.read_bytes()
    if head:
        page = page.replace(b"</head>", head.encode() + b"</head>", 1)
    return HttpResponse(page, content_type="text/html; charset=utf-8")


def resource_page(request: HttpRequest, resource_id: int) -> HttpResponse:
    """A resource's page: the frontend, with the resource as schema.org JSON-LD in the <head> when
    the visitor may see it (a data block, not a script: the CSP does not apply to it)."""
    from resources.payloads import resource_jsonld
    from resources.selectors import access_resource

    try:
        resource = access_resource(user=request.user, resource_id=resource_id)
    except NotFound:
        return spa(request)
    data = json.dumps(resource_jsonld(resource, page_url=request.build_absolute_uri()), ensure_ascii=False)
    # "<" escaped: the text can never close the element or open a comment.
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return spa(request, head=f'<script type="application/ld+json">{data}</script>')


def health(request: HttpRequest) -> JsonResponse:
    """For load balancers and compose health checks: the database answers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "database unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


def ready(request: HttpRequest) -> JsonResponse:
    """Readiness: every shared component this worker needs answers — the database, and Redis (cache,
    rate limits, presence, the channel layer) when configured. 503 names what does not."""
    from django.core.cache import cache

    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except DatabaseError:
        checks["database"] = "unavailable"
    if settings.REDIS_URL:
        try:
            cache.set("readyz", "1", timeout=5)
            checks["redis"] = "ok" if cache.get("readyz") == "1" else "unavailable"
        except Exception:  # redis-py raises its own ConnectionError/TimeoutError family
            checks["redis"] = "unavailable"
    ok = all(value == "ok" for value in checks.values())
    status = "ok" if ok else "unavailable"
    return JsonResponse({"status": status, "checks": checks}, status=200 if ok else 503)


@csrf_exempt  # it changes nothing; without it a POST to an unknown path got the HTML CSRF page
def api_not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    return JsonResponse(NotFound().as_payload(), status=404)


urlpatterns = [
    path("admin/", admin.site.urls),
    path("_allauth/", include("allauth.headless.urls")),
    path("api/v1/", include("backend.api_urls")),
    # Any character, newlines too: an encoded "\n" in an API path must not fall through to the SPA.
    re_path(r"^api/(?P<rest>(?s:.*))\Z", api_not_found),
    path("healthz", health),
    path("readyz", ready),
    path("metrics", metrics_view),
    path("resources/<int:resource_id>", resource_page),
    path("embed/libraries/<slug:slug>/agenda", embed_agenda),
    re_path(r"^(?!static/|assets/|ws/).*$", spa),
]
