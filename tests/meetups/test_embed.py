"""The embeddable agenda: cookie-free, frameable by any site, no scripts, Dutch by default."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from meetups.formatting import format_when
from meetups.models import MeetupStatus
from tests.meetups.factories import make_meetup

AMS = ZoneInfo("Europe/Amsterdam")
pytestmark = pytest.mark.django_db


def _get(path: str, client: Client | None = None):
    return (client or Client()).get(path)


def test_embed_lists_upcoming_public_meetups_in_dutch(library, public_group, closed_group, host):
    starts = dt.datetime(2030, 12, 5, 19, 30, tzinfo=AMS)
    meetup = make_meetup(public_group, host, title="Kennis Werkplaats", starts_at=starts, hours=1.5)
    make_meetup(closed_group, host, title="Besloten avond", starts_at=starts)
    make_meetup(public_group, host, title="Concept", starts_at=starts, status=MeetupStatus.DRAFT)
    response = _get(f"/embed/libraries/{library.slug}/agenda")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert '<html lang="nl">' in html
    assert "Kennis Werkplaats" in html
    assert "Besloten avond" not in html and "Concept" not in html
    assert "do 5 dec 2030, 19:30–21:00" in html
    assert '<time datetime="2030-12-05T18:30:00Z">' in html
    assert f'href="http://testserver/bijeenkomsten/{meetup.pk}" target="_blank" rel="noopener"' in html
    assert "<h1>" in html and "<h2>" in html
    assert "<script" not in html


def test_embed_in_english(library, public_group, host):
    make_meetup(public_group, host, title="Workshop", starts_at=dt.datetime(2030, 12, 5, 19, 30, tzinfo=AMS))
    html = _get(f"/embed/libraries/{library.slug}/agenda?lang=en").content.decode()
    assert '<html lang="en">' in html
    assert "Thu 5 Dec 2030, 19:30–21:30" in html


def test_embed_sets_no_cookie_even_for_a_signed_in_visitor(library, public_group, host, member):
    make_meetup(public_group, host)
    response = _get(f"/embed/libraries/{library.slug}/agenda")
    assert not response.cookies
    assert "Set-Cookie" not in response.headers
    client = Client()
    client.force_login(member)
    response = _get(f"/embed/libraries/{library.slug}/agenda", client)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers and not response.cookies


def test_embed_may_be_framed_by_any_site_and_runs_no_script(library):
    response = _get(f"/embed/libraries/{library.slug}/agenda")
    assert "X-Frame-Options" not in response.headers
    csp = response["Content-Security-Policy"]
    directives = dict((part.strip().split(" ", 1) + [""])[:2] for part in csp.split(";") if part.strip())
    assert directives["frame-ancestors"] == "*"
    assert "script-src" not in directives and directives["default-src"] == "'none'"
    nonce = re.search(r"'nonce-([^']+)'", directives["style-src"]).group(1)
    assert "unsafe-inline" not in csp
    assert f'<style nonce="{nonce}">' in response.content.decode()
    # The rest of the site still refuses to be framed.
    other = _get("/healthz")
    assert "frame-ancestors 'none'" in other["Content-Security-Policy"]


def test_embed_of_an_unknown_library_is_404(db):
    response = _get("/embed/libraries/bestaat-niet/agenda")
    assert response.status_code == 404
    assert "Set-Cookie" not in response.headers


def test_dutch_dates_across_days_and_dst():
    # 22:00 CEST; six real hours later the clocks went back at 03:00 CEST: 03:00 CET, not 04:00.
    starts = dt.datetime(2026, 10, 24, 20, 0, tzinfo=dt.UTC)
    assert (
        format_when(starts, starts + dt.timedelta(hours=6)) == "za 24 okt 2026, 22:00 – zo 25 okt 2026, 03:00"
    )
    assert format_when(dt.datetime(2026, 10, 27, 18, 30, tzinfo=dt.UTC)) == "di 27 okt 2026, 19:30"
    assert format_when(dt.datetime(2026, 10, 20, 17, 30, tzinfo=dt.UTC)) == "di 20 okt 2026, 19:30"
