"""The embeddable agenda: a small, cookie-free, script-free HTML page of a library's upcoming public
meetups, for an <iframe> on the library's own website (docs/meetups.md, "Reach").

- Dutch by default, `?lang=en` for English; times in Europe/Amsterdam, Dutch style
  ("do 3 dec 2026, 19:30–21:00").
- Sets no cookie: it never touches the session or the CSRF token, and is decorated so that neither
  middleware adds one.
- May be framed by any site (CSP frame-ancestors *, no X-Frame-Options); its only style is a <style>
  element allowed by a per-response CSP nonce; no scripts at all.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.middleware.csp import get_nonce
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.csp import CSP
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_safe

from backend.exceptions import NotFound

from .formatting import format_when

EMBED_CSP = {
    "default-src": [CSP.NONE],
    "style-src": [CSP.NONCE],
    "img-src": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.NONE],
    "frame-ancestors": ["*"],
}

EMBED_LIMIT = 20


def _meetup_place(meetup, language: str) -> str:
    from django.utils.translation import gettext

    if meetup.in_person and meetup.room_id:
        place = f"{meetup.room.name}, {meetup.room.branch.name}"
    elif meetup.in_person and meetup.location:
        place = meetup.location
    elif meetup.in_person:
        place = ""
    else:
        place = gettext("Online")
    if meetup.in_person and meetup.online:
        place = f"{place} + {gettext('online')}" if place else gettext("Online")
    return place


@require_safe
@xframe_options_exempt
@csp_override(EMBED_CSP)
def embed_agenda(request: HttpRequest, slug: str) -> HttpResponse:
    from .feeds import public_agenda

    language = request.GET.get("lang", "nl")
    if language not in ("nl", "en"):
        language = "nl"
    with translation.override(language):
        try:
            library, meetups = public_agenda(slug=slug, upcoming=True, limit=EMBED_LIMIT)
        except NotFound:
            html = render_to_string(
                "meetups/embed_agenda.html",
                {"language": language, "library": None, "items": [], "nonce": get_nonce(request)},
            )
            return _response(html, status=404)
        origin = request.build_absolute_uri("/").rstrip("/")
        items = [
            {
                "title": m.title,
                "url": f"{origin}/bijeenkomsten/{m.pk}",
                "when": format_when(m.starts_at, m.ends_at, language),
                "datetime": m.starts_at.isoformat().replace("+00:00", "Z"),
                "group": m.group.name,
                "place": _meetup_place(m, language),
                "cancelled": m.status == "cancelled",
            }
            for m in meetups
        ]
        html = render_to_string(
            "meetups/embed_agenda.html",
            {
                "language": language,
                "library": library,
                "items": items,
                "agenda_url": f"{origin}/libraries/{library.slug}/agenda",
                "nonce": get_nonce(request),
            },
        )
    return _response(html)


def _response(html: str, status: int = 200) -> HttpResponse:
    response = HttpResponse(html, status=status, content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    response["Referrer-Policy"] = "strict-origin-when-cross-origin"
    return response
