from django.conf import settings
from django.contrib import admin
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import ensure_csrf_cookie

from backend.exceptions import NotFound


@ensure_csrf_cookie
def spa(request: HttpRequest) -> HttpResponse:
    """The built frontend for every page path; it sets the CSRF cookie the client sends back."""
    index = settings.FRONTEND_DIST / "index.html"
    if not index.is_file():
        return HttpResponse(
            "The frontend is not built yet: run `make run` (or `cd frontend && npm ci && npm run build`).",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    return HttpResponse(index.read_bytes(), content_type="text/html; charset=utf-8")


def health(request: HttpRequest) -> JsonResponse:
    """For load balancers and compose health checks: the database answers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "database unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


def api_not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    return JsonResponse(NotFound().as_payload(), status=404)


urlpatterns = [
    path("admin/", admin.site.urls),
    path("_allauth/", include("allauth.headless.urls")),
    path("api/v1/", include("backend.api_urls")),
    re_path(r"^api/(?P<rest>.*)$", api_not_found),
    path("healthz", health),
    re_path(r"^(?!static/|assets/|ws/).*$", spa),
]
