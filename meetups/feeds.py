"""Reach: iCalendar feeds (RFC 5545, with the `icalendar` library), an Atom feed and a JSON Feed 1.1 of
a library's public agenda, a group's meetups and a member's own RSVPs (docs/meetups.md, "Reach").

Events have stable UIDs (`{meetup.uid}@kenniscloud`), SEQUENCE = `meetup.sequence` (raised by the
meetup services on every change), STATUS:CANCELLED for cancelled meetups, and times in UTC.
The views answer with their own content type; a bad slug or token is the usual JSON 404.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.http import http_date, quote_etag
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from icalendar import Calendar, Event
from rest_framework import serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from backend.exceptions import NotFound, PermissionDenied
from chat.markdown import render as render_markdown
from groups.models import Group, Library, Visibility
from groups.selectors import AnyUser, library_get

from .models import CalendarToken, Meetup, MeetupStatus, Rsvp, RsvpAnswer, new_feed_token
from .selectors import PUBLIC_STATUSES, is_guest, meetup_queryset, visible_meetups_q

PRODID = "-//KennisCloud//Meetups//NL"
FEED_LIMIT = 200  # events per iCalendar feed
FEED_HISTORY = dt.timedelta(days=183)  # past meetups stay in calendar feeds this long
UPCOMING_LIMIT = 50  # items in the Atom and JSON feeds
AGENDA_STATUSES = (MeetupStatus.PUBLISHED, MeetupStatus.CANCELLED)


# --- selectors ---------------------------------------------------------------------------------


def _public_group_meetups() -> QuerySet[Meetup]:
    return meetup_queryset().filter(group__visibility=Visibility.PUBLIC)


def public_agenda(
    *, slug: str, upcoming: bool = False, limit: int = FEED_LIMIT
) -> tuple[Library, list[Meetup]]:
    """The library's public agenda: published (and cancelled) meetups of its public groups. With
    `upcoming`, those not yet over; otherwise also finished ones of the last half year."""
    library = library_get(slug=slug)
    qs = _public_group_meetups().filter(group__library=library)
    now = timezone.now()
    if upcoming:
        qs = qs.filter(status__in=AGENDA_STATUSES, ends_at__gte=now)
    else:
        qs = qs.filter(status__in=PUBLIC_STATUSES, ends_at__gte=now - FEED_HISTORY)
    return library, list(qs.order_by("starts_at", "pk")[:limit])


def public_group_meetups(*, slug: str) -> tuple[Group, list[Meetup]]:
    """A public group's meetups; a closed group is not found, for everyone (the feed is anonymous)."""
    group = Group.objects.select_related("library").filter(slug=slug, visibility=Visibility.PUBLIC).first()
    if group is None:
        raise NotFound()
    qs = _public_group_meetups().filter(
        group=group, status__in=PUBLIC_STATUSES, ends_at__gte=timezone.now() - FEED_HISTORY
    )
    return group, list(qs.order_by("starts_at", "pk")[:FEED_LIMIT])


def private_feed(*, token: str) -> tuple[User, list[Meetup]]:
    """The token holder's meetups they answered going or maybe to, in groups they may still see."""
    found = CalendarToken.objects.select_related("user").filter(token=token).first()
    if found is None or not found.user.is_active or is_guest(found.user):
        raise NotFound()
    user = found.user
    answered = Rsvp.objects.filter(user=user, answer__in=[RsvpAnswer.GOING, RsvpAnswer.MAYBE]).values(
        "meetup_id"
    )
    qs = meetup_queryset().filter(
        visible_meetups_q(user),
        Q(pk__in=answered),
        status__in=PUBLIC_STATUSES,
        ends_at__gte=timezone.now() - FEED_HISTORY,
    )
    return user, list(qs.order_by("starts_at", "pk")[:FEED_LIMIT])


def _ensure_member(user: AnyUser) -> User:
    if not user.is_authenticated:
        from backend.exceptions import NotAuthenticated

        raise NotAuthenticated()
    if is_guest(user):
        raise PermissionDenied()
    return user  # type: ignore[return-value]


# --- services ----------------------------------------------------------------------------------


@transaction.atomic
def calendar_token_get(*, actor: AnyUser) -> CalendarToken:
    """The member's private feed token, made on first use."""
    member = _ensure_member(actor)
    token, _ = CalendarToken.objects.get_or_create(user=member)
    return token


@transaction.atomic
def calendar_token_rotate(*, actor: AnyUser) -> CalendarToken:
    """A new secret: the old feed URL stops working at once."""
    member = _ensure_member(actor)
    token, created = CalendarToken.objects.select_for_update().get_or_create(user=member)
    if not created:
        token.token = new_feed_token()
        token.save(update_fields=["token"])
    return token


# --- rendering ---------------------------------------------------------------------------------


def site_origin(request=None) -> str:
    """The site's origin for absolute links: from the request, else the configured site URL."""
    if request is not None:
        return request.build_absolute_uri("/").rstrip("/")
    configured = settings.KENNISCLOUD["SITE_URL"]
    if not configured and settings.CSRF_TRUSTED_ORIGINS:
        configured = settings.CSRF_TRUSTED_ORIGINS[0]
    return (configured or "http://localhost:8000").rstrip("/")


def meetup_page_url(meetup: Meetup, origin: str) -> str:
    return f"{origin}/bijeenkomsten/{meetup.pk}"


def meetup_location(meetup: Meetup) -> str:
    """Room and branch address, or the free-text location, or the online link."""
    if meetup.in_person and meetup.room_id:
        room = meetup.room
        parts = [room.name, room.branch.name, room.branch.address]
        return ", ".join(p for p in parts if p)
    if meetup.in_person and meetup.location:
        return meetup.location
    if meetup.online and meetup.online_url:
        return meetup.online_url
    return ""


def _description(meetup: Meetup, url: str) -> str:
    parts = []
    if meetup.status == MeetupStatus.CANCELLED:
        cancelled = gettext("Cancelled")
        parts.append(f"{cancelled}: {meetup.cancel_reason}" if meetup.cancel_reason else cancelled)
    if meetup.description:
        parts.append(meetup.description)
    if meetup.online and meetup.online_url:
        parts.append(f"{gettext('Online')}: {meetup.online_url}")
    parts.append(url)
    return "\n\n".join(parts)


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC)


def ical_event(meetup: Meetup, origin: str) -> Event:
    url = meetup_page_url(meetup, origin)
    event = Event()
    event.add("uid", f"{meetup.uid}@kenniscloud")
    event.add("sequence", meetup.sequence)
    event.add("dtstamp", _utc(meetup.updated_at))
    event.add("created", _utc(meetup.created_at))
    event.add("last-modified", _utc(meetup.updated_at))
    event.add("dtstart", _utc(meetup.starts_at))
    event.add("dtend", _utc(meetup.ends_at))
    event.add("summary", meetup.title)
    event.add("description", _description(meetup, url))
    location = meetup_location(meetup)
    if location:
        event.add("location", location)
    event.add("url", url)
    event.add("status", "CANCELLED" if meetup.status == MeetupStatus.CANCELLED else "CONFIRMED")
    event.add("categories", [meetup.group.name])
    return event


def ical_calendar(name: str, meetups: Iterable[Meetup], origin: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-published-ttl", "PT1H")
    for meetup in meetups:
        cal.add_component(ical_event(meetup, origin))
    return cal.to_ical()


def _last_modified(meetups: list[Meetup]) -> dt.datetime | None:
    return max((m.updated_at for m in meetups), default=None)


def _feed_response(
    request: Request, body: bytes, content_type: str, meetups: list[Meetup], *, private: bool = False
) -> HttpResponse:
    etag = quote_etag(hashlib.sha256(body).hexdigest()[:32])
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type=content_type)
    response["ETag"] = etag
    last = _last_modified(meetups)
    if last is not None:
        response["Last-Modified"] = http_date(last.timestamp())
    response["Cache-Control"] = "private, max-age=300" if private else "public, max-age=300"
    if private:
        response["Referrer-Policy"] = "no-referrer"
        response["X-Robots-Tag"] = "noindex"
    return response


def _language(request: Request) -> str:
    lang = request.query_params.get("lang") or translation.get_language() or "nl"
    return lang if lang in ("nl", "en") else "nl"


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def _feed_title(meetup: Meetup) -> str:
    if meetup.status == MeetupStatus.CANCELLED:
        return f"{gettext('Cancelled')}: {meetup.title}"
    return meetup.title


def atom_feed(library: Library, meetups: list[Meetup], origin: str, language: str) -> bytes:
    from .formatting import format_when

    feed = Atom1Feed(
        title=gettext("Meetups at %(name)s") % {"name": library.name},
        link=f"{origin}/libraries/{library.slug}/agenda",
        description="",
        language=language,
        feed_url=f"{origin}/api/v1/libraries/{library.slug}/agenda.atom",
        feed_guid=f"urn:kenniscloud:library:{library.slug}:agenda",
    )
    for meetup in meetups:
        when = format_when(meetup.starts_at, meetup.ends_at, language)
        location = meetup_location(meetup)
        # Atom's <summary> is type="html" (Django's Atom1Feed): readers render it as markup, so the
        # plain-text line is escaped and the description goes in as the sanitised HTML the page shows.
        summary = "<p>" + escape(" · ".join(p for p in [when, location, meetup.group.name] if p)) + "</p>"
        if meetup.description:
            summary += render_markdown(meetup.description)
        feed.add_item(
            title=_feed_title(meetup),
            link=meetup_page_url(meetup, origin),
            description=summary,
            unique_id=f"urn:uuid:{meetup.uid}",
            unique_id_is_permalink=False,
            pubdate=meetup.published_at or meetup.created_at,
            updateddate=meetup.updated_at,
            categories=[meetup.group.name],
        )
    return feed.writeString("utf-8").encode()


def json_feed(library: Library, meetups: list[Meetup], origin: str, language: str) -> dict[str, Any]:
    from .formatting import format_when

    items = []
    for meetup in meetups:
        when = format_when(meetup.starts_at, meetup.ends_at, language)
        items.append(
            {
                "id": f"urn:uuid:{meetup.uid}",
                "url": meetup_page_url(meetup, origin),
                "title": _feed_title(meetup),
                "content_text": "\n\n".join(p for p in [when, meetup.description] if p),
                "summary": when,
                "date_published": _iso(meetup.published_at or meetup.created_at),
                "date_modified": _iso(meetup.updated_at),
                "tags": [meetup.group.name],
                "_kenniscloud": {
                    "id": meetup.pk,
                    "starts_at": _iso(meetup.starts_at),
                    "ends_at": _iso(meetup.ends_at),
                    "status": meetup.status,
                    "location": meetup_location(meetup),
                    "online": meetup.online,
                    "in_person": meetup.in_person,
                    "group": {"slug": meetup.group.slug, "name": meetup.group.name},
                },
            }
        )
    return {
        "version": "https://jsonfeed.org/version/1.1",
        "title": gettext("Meetups at %(name)s") % {"name": library.name},
        "home_page_url": f"{origin}/libraries/{library.slug}/agenda",
        "feed_url": f"{origin}/api/v1/libraries/{library.slug}/agenda.json",
        "language": language,
        "items": items,
    }


# --- views -------------------------------------------------------------------------------------


class AnyAccept(BaseContentNegotiation):
    """Feeds answer in their own format whatever the client accepts (calendar apps send all sorts);
    errors are JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class _FeedView(APIView):
    authentication_classes: list = []  # anonymous feeds: no session, no CSRF, no cookie
    content_negotiation_class = AnyAccept


ICS = {(200, "text/calendar"): OpenApiResponse(OpenApiTypes.STR, description="iCalendar (RFC 5545)")}


class LibraryAgendaIcsView(_FeedView):
    @extend_schema(responses=ICS, summary="The library's public agenda as iCalendar")
    def get(self, request: Request, slug: str) -> HttpResponse:
        library, meetups = public_agenda(slug=slug)
        with translation.override(_language(request)):
            name = gettext("Meetups at %(name)s") % {"name": library.name}
            body = ical_calendar(name, meetups, site_origin(request))
        return _feed_response(request, body, "text/calendar; charset=utf-8", meetups)


class GroupMeetupsIcsView(_FeedView):
    @extend_schema(responses=ICS, summary="A public group's meetups as iCalendar")
    def get(self, request: Request, slug: str) -> HttpResponse:
        group, meetups = public_group_meetups(slug=slug)
        with translation.override(_language(request)):
            body = ical_calendar(group.name, meetups, site_origin(request))
        return _feed_response(request, body, "text/calendar; charset=utf-8", meetups)


class PrivateCalendarIcsView(_FeedView):
    @extend_schema(responses=ICS, summary="A member's own meetups (going, maybe); the token is the secret")
    def get(self, request: Request, token: str) -> HttpResponse:
        user, meetups = private_feed(token=token)
        with translation.override(user.language):
            name = gettext("My meetups on KennisCloud")
            body = ical_calendar(name, meetups, site_origin(request))
        return _feed_response(request, body, "text/calendar; charset=utf-8", meetups, private=True)


class LibraryAgendaAtomView(_FeedView):
    @extend_schema(
        responses={(200, "application/atom+xml"): OpenApiResponse(OpenApiTypes.STR, description="Atom 1.0")},
        summary="Upcoming public meetups of the library (Atom)",
    )
    def get(self, request: Request, slug: str) -> HttpResponse:
        library, meetups = public_agenda(slug=slug, upcoming=True, limit=UPCOMING_LIMIT)
        language = _language(request)
        with translation.override(language):
            body = atom_feed(library, meetups, site_origin(request), language)
        return _feed_response(request, body, "application/atom+xml; charset=utf-8", meetups)


class LibraryAgendaJsonView(_FeedView):
    @extend_schema(
        responses={
            (200, "application/feed+json"): OpenApiResponse(
                OpenApiTypes.OBJECT, description="JSON Feed 1.1 (https://jsonfeed.org/version/1.1)"
            )
        },
        summary="Upcoming public meetups of the library (JSON Feed 1.1)",
    )
    def get(self, request: Request, slug: str) -> HttpResponse:
        library, meetups = public_agenda(slug=slug, upcoming=True, limit=UPCOMING_LIMIT)
        language = _language(request)
        with translation.override(language):
            data = json_feed(library, meetups, site_origin(request), language)
        body = json.dumps(data, ensure_ascii=False).encode()
        response = _feed_response(request, body, "application/feed+json; charset=utf-8", meetups)
        response["Access-Control-Allow-Origin"] = "*"  # public data, for the library's own site
        return response


class CalendarUrlOut(serializers.Serializer):
    url = serializers.CharField(help_text="the private feed's absolute URL; keep it secret")


def _calendar_url(request: Request, token: CalendarToken) -> str:
    return request.build_absolute_uri(f"/api/v1/calendar/{token.token}.ics")


class MyCalendarView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=CalendarUrlOut, summary="The private calendar feed URL (made on first use)")
    def get(self, request: Request) -> Response:
        return Response({"url": _calendar_url(request, calendar_token_get(actor=request.user))})

    @extend_schema(
        request=None, responses=CalendarUrlOut, summary="A new private feed URL; the old one stops"
    )
    def post(self, request: Request) -> Response:
        return Response({"url": _calendar_url(request, calendar_token_rotate(actor=request.user))})
