"""The resource page as served to browsers and crawlers: the frontend with the resource as schema.org
JSON-LD in its <head> — only for a visitor who may see the resource."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from resources.models import CollectionItem, Resource, Source

pytestmark = pytest.mark.django_db

INDEX = b"<!doctype html><html><head><title>KennisCloud</title></head><body><div id=app></div></body></html>"


@pytest.fixture(autouse=True)
def built_frontend(settings, tmp_path):
    (tmp_path / "index.html").write_bytes(INDEX)
    settings.FRONTEND_DIST = tmp_path


def _jsonld(html: str) -> dict | None:
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return json.loads(found.group(1)) if found else None


def test_a_catalogue_book_is_described_as_a_schema_org_book(library):
    book = Resource.objects.create(
        title="Zon op je dak </script><script>alert(1)</script>",
        kind="book",
        creators=["Wijk, Greetje van"],
        publisher="Uitgeverij Zon",
        year=2022,
        language="nl",
        isbn13="9789024401239",
        subjects=["zonnepanelen"],
        library=library,
        record_id="R1",
        catalogue_url="https://bieb.example/catalogus/R1",
        source=Source.CATALOGUE,
    )
    html = Client().get(f"/resources/{book.pk}").content.decode()
    assert html.count("<script") == 1  # the title cannot close the data block
    data = _jsonld(html)
    assert data["@type"] == "Book" and data["name"] == book.title
    assert data["isbn"] == "9789024401239" and data["datePublished"] == "2022"
    assert data["author"] == [{"@type": "Person", "name": "Wijk, Greetje van"}]
    assert data["url"] == "https://bieb.example/catalogus/R1"
    assert data["@id"].endswith(f"/resources/{book.pk}")


def test_a_resource_only_in_a_closed_group_is_not_described_to_outsiders(closed_group, member, outsider):
    secret = Resource.objects.create(title="Intern plan", source=Source.MEMBER)
    CollectionItem.objects.create(group=closed_group, resource=secret, position=1)
    outside = Client()
    outside.force_login(outsider)
    response = outside.get(f"/resources/{secret.pk}")
    assert response.status_code == 200  # the app shell; it shows "not found" itself
    assert _jsonld(response.content.decode()) is None
    assert b"Intern plan" not in response.content
    assert Client().get(f"/api/v1/resources/{secret.pk}/jsonld/").status_code == 404
    inside = Client()
    inside.force_login(member)
    assert _jsonld(inside.get(f"/resources/{secret.pk}").content.decode())["name"] == "Intern plan"
