"""Hostile meetup text in the Atom feed: `<summary type="html">` is rendered as markup by feed readers,
so what people typed must arrive there as text (or as the sanitised HTML the meetup page shows)."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser
from xml.etree import ElementTree

import pytest
from django.utils import timezone

from tests.meetups.factories import make_meetup

pytestmark = pytest.mark.django_db

ATOM = {"a": "http://www.w3.org/2005/Atom"}
SAFE_TAGS = {"p", "br", "strong", "em", "del", "code", "pre", "blockquote", "ul", "ol", "li", "a"}


class _Markup(HTMLParser):
    """What a feed reader would build from the summary: elements, attributes and the visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text = ""

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_data(self, data):
        self.text += data


def _summary(api, library) -> _Markup:
    response = api().get(f"/api/v1/libraries/{library.slug}/agenda.atom")
    assert response.status_code == 200
    (summary,) = ElementTree.fromstring(response.content).findall("a:entry/a:summary", ATOM)
    assert summary.get("type") == "html"
    markup = _Markup()
    markup.feed(summary.text or "")
    return markup


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [
        ("description", "<img src=x onerror=alert(1)>", "<img src=x onerror=alert(1)>"),
        ("description", '<iframe srcdoc="<script>alert(1)</script>">', "<iframe srcdoc="),
        ("description", "<svg><style><img src=x onerror=alert(1)></style></svg>", "<svg><style>"),
        ("description", "[klik](javascript:alert(1))", "[klik](javascript:alert(1))"),
        ("location", '"><script>alert(1)</script>', '"><script>alert(1)</script>'),
    ],
)
def test_atom_summary_shows_hostile_text_as_text(api, library, public_group, host, field, value, shown):
    fields = {field: value}
    if field == "location":
        fields["in_person"] = True
    make_meetup(public_group, host, starts_at=timezone.now() + dt.timedelta(days=2), **fields)
    markup = _summary(api, library)
    unsafe = [(tag, attrs) for tag, attrs in markup.tags if tag not in SAFE_TAGS]
    assert unsafe == []
    assert [name for _tag, attrs in markup.tags for name, _ in attrs if name.startswith("on")] == []
    assert all(
        (value or "").startswith(("http:", "https:", "mailto:"))
        for tag, attrs in markup.tags
        if tag == "a"
        for name, value in attrs
        if name == "href"
    )
    assert shown in markup.text


def test_atom_summary_keeps_the_description_formatting(api, library, public_group, host):
    make_meetup(public_group, host, description="Neem **je rekening** mee.")
    markup = _summary(api, library)
    assert ("strong", []) in markup.tags
    assert "Neem je rekening mee." in markup.text
