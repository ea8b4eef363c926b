"""The permission matrix for resources: every endpoint of resources/urls.py × every kind of actor ×
public and closed groups (the actors and the world are those of tests/api/test_permissions.py). A
closed group's attachments, sources, suggestions, collection and the resources only found there
answer 404 to outsiders, exactly like something that does not exist."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from resources.models import (
    CatalogueImport,
    CollectionItem,
    MessageResource,
    Resource,
    ResourceImage,
    Source,
    ThreadResource,
    ThreadSuggestion,
)
from tests.api.test_permissions import (
    ACTORS,
    ANON_401,
    MANAGE,
    MEMBERS_ACT,
    MEMBERS_POST,
    SEES_CLOSED,
    Place,
    World,
    _route,
    client_for,
    hidden,
    run_matrix,
    table,
)
from tests.conftest import make_user

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


@dataclass
class Attached:
    link: Resource  # shared in the place's message (only there)
    source: Resource  # a thread source added by "member" (only there)
    item: CollectionItem
    suggestion: Resource  # a catalogue record suggested for the thread
    spare: Resource  # a catalogue record in nothing yet


def _catalogue(world: World, n: str) -> Resource:
    return Resource.objects.create(
        title=f"Zonne-energie deel {n}",
        kind="book",
        library=world.library,
        record_id=f"REC-{n}",
        source=Source.CATALOGUE,
        search_document=f"Zonne-energie deel {n}",
    )


@pytest.fixture
def attached(world) -> dict[str, Attached]:
    member = world.users["member"]
    result = {}
    for visibility, place in world.places.items():
        link = Resource.objects.create(
            title=f"Artikel {visibility}",
            url=f"https://example.org/{visibility}",
            url_hash=f"{visibility:0<64}",
            source=Source.PREVIEW,
            preview_status="ready",
            created_by=make_user("Iemand anders"),
        )
        ResourceImage.objects.create(resource=link, content_type="image/png", data=PNG, sha256="x")
        MessageResource.objects.create(message=place.message, resource=link, origin="link")
        source = Resource.objects.create(title=f"Bron {visibility}", source=Source.MEMBER)
        ThreadResource.objects.create(thread=place.thread, resource=source, added_by=member)
        item = CollectionItem.objects.create(
            group=place.group, resource=_catalogue(world, f"{visibility}-c"), note="Lees dit", position=1
        )
        suggestion = _catalogue(world, f"{visibility}-s")
        ThreadSuggestion.objects.create(thread=place.thread, resource=suggestion, rank=1, score=0.5)
        result[visibility] = Attached(link, source, item, suggestion, _catalogue(world, f"{visibility}-x"))
    return result


def _thread(p: Place) -> str:
    return f"/api/v1/threads/{p.thread.pk}/"


def _group(p: Place) -> str:
    return f"/api/v1/groups/{p.group.slug}/"


# (name, method, path(place, attached), data(place, attached), expected for the public group)
ROWS = [
    ("resource-detail", "get", lambda p, a: f"/api/v1/resources/{a.link.pk}/", None, table(200)),
    ("resource-jsonld", "get", lambda p, a: f"/api/v1/resources/{a.link.pk}/jsonld/", None, table(200)),
    ("resource-image", "get", lambda p, a: f"/api/v1/resources/{a.link.pk}/image/", None, table(200)),
    (
        "message-attach",
        "post",
        lambda p, a: f"/api/v1/messages/{p.message.pk}/resources/",
        lambda p, a: {"resource": a.spare.pk},
        table(403, **ANON_401, member=200),
    ),
    (
        "message-detach",
        "delete",
        lambda p, a: f"/api/v1/messages/{p.message.pk}/resources/{a.link.pk}/",
        None,
        table(403, **ANON_401, member=204),
    ),
    ("thread-sources", "get", lambda p, a: _thread(p) + "resources/", None, table(200)),
    (
        "thread-source-add",
        "post",
        lambda p, a: _thread(p) + "resources/",
        lambda p, a: {"resource": a.spare.pk},
        MEMBERS_POST,
    ),
    (
        "thread-source-remove",
        "delete",
        lambda p, a: _thread(p) + f"resources/{a.source.pk}/",
        None,
        table(403, **ANON_401, member=204, host=204, librarian=204, staff=204),
    ),
    ("suggestions", "get", lambda p, a: _thread(p) + "suggestions/", None, table(200)),
    (
        "suggestion-add",
        "post",
        lambda p, a: _thread(p) + f"suggestions/{a.suggestion.pk}/add/",
        None,
        MEMBERS_POST,
    ),
    (
        "suggestion-dismiss",
        "post",
        lambda p, a: _thread(p) + f"suggestions/{a.suggestion.pk}/dismiss/",
        None,
        {k: (204 if v == 200 else v) for k, v in MEMBERS_ACT.items()},
    ),
    ("collection", "get", lambda p, a: _group(p) + "collection/", None, table(200)),
    (
        "collection-add",
        "post",
        lambda p, a: _group(p) + "collection/",
        lambda p, a: {"resource": a.spare.pk, "note": "Aanrader"},
        table(403, **ANON_401, host=201, librarian=201, staff=201),
    ),
    (
        "collection-note",
        "patch",
        lambda p, a: _group(p) + f"collection/{a.item.pk}/",
        lambda p, a: {"note": "Beter"},
        MANAGE,
    ),
    (
        "collection-remove",
        "delete",
        lambda p, a: _group(p) + f"collection/{a.item.pk}/",
        None,
        table(403, **ANON_401, host=204, librarian=204, staff=204),
    ),
    (
        "collection-order",
        "post",
        lambda p, a: _group(p) + "collection/order/",
        lambda p, a: {"items": [a.item.pk]},
        MANAGE,
    ),
    ("group-catalogue", "get", lambda p, a: _group(p) + "catalogue/?q=zonne", None, table(200)),
]

CASES = []
for name, method, path, data, public in ROWS:
    CASES.append(pytest.param("public", method, path, data, public, id=f"{name}-public"))
    CASES.append(pytest.param("closed", method, path, data, hidden(public), id=f"{name}-closed"))


@pytest.mark.parametrize(("visibility", "method", "path", "data", "expected"), CASES)
def test_group_scoped_endpoints(world, attached, visibility, method, path, data, expected):
    place, att = world.places[visibility], attached[visibility]
    payload = None if data is None else lambda: data(place, att)
    assert run_matrix(world, method, path(place, att), payload) == expected


LIBRARIANS = table(403, **ANON_401, librarian=200, staff=200)

GLOBAL_ROWS = [
    (
        "resolve",
        "post",
        lambda w, a: "/api/v1/resources/resolve/",
        lambda w, a: {"url": "https://example.org/nieuw"},
        table(200, **ANON_401),
    ),
    (
        "catalogue-record",
        "get",
        lambda w, a: f"/api/v1/resources/{a['public'].spare.pk}/",
        None,
        table(200),
    ),
    (
        "library-catalogue",
        "get",
        lambda w, a: f"/api/v1/libraries/{w.library.slug}/catalogue/?q=zon",
        None,
        table(200),
    ),
    (
        "imports",
        "get",
        lambda w, a: f"/api/v1/libraries/{w.library.slug}/catalogue/imports/",
        None,
        LIBRARIANS,
    ),
    (
        "import-detail",
        "get",
        lambda w, a: f"/api/v1/libraries/{w.library.slug}/catalogue/imports/{a['import'].pk}/",
        None,
        LIBRARIANS,
    ),
]


@pytest.fixture
def with_import(world, attached):
    job = CatalogueImport.objects.create(library=world.library, format="csv", status="done")
    return {**attached, "import": job}


@pytest.mark.parametrize(
    ("method", "path", "data", "expected"), [pytest.param(*row[1:], id=row[0]) for row in GLOBAL_ROWS]
)
def test_global_endpoints(world, with_import, method, path, data, expected):
    payload = None if data is None else lambda: data(world, with_import)
    assert run_matrix(world, method, path(world, with_import), payload) == expected


@pytest.mark.parametrize("actor", ACTORS)
def test_catalogue_upload_only_for_the_librarians_of_that_library(world, actor, tmp_path):
    client = client_for(world.users[actor])
    csv = b"record_id,title\nR-1,Zonne-energie voor beginners\n"
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("catalogus.csv", csv, content_type="text/csv")
    response = client.post(
        f"/api/v1/libraries/{world.library.slug}/catalogue/imports/", {"file": upload}, format="multipart"
    )
    expected = {"anonymous": 401, "librarian": 202, "staff": 202}.get(actor, 403)
    assert response.status_code == expected, response.content
    assert CatalogueImport.objects.filter(library=world.library).exists() == (expected == 202)


@pytest.mark.parametrize("actor", ACTORS)
def test_closed_group_resources_are_absent_from_lists(world, attached, actor):
    """Backlinks and collections on a resource page list only what the viewer may see."""
    shared = Resource.objects.create(title="Overal gedeeld", source=Source.CATALOGUE, library=world.library)
    for place in world.places.values():
        ThreadResource.objects.create(thread=place.thread, resource=shared, added_by=world.users["member"])
        CollectionItem.objects.create(group=place.group, resource=shared, position=5)
    body = client_for(world.users[actor]).get(f"/api/v1/resources/{shared.pk}/").json()
    groups = {d["group"]["slug"] for d in body["discussions"]}
    collections = {c["group"]["slug"] for c in body["collections"]}
    closed = world.places["closed"].group.slug
    assert world.places["public"].group.slug in groups and world.places["public"].group.slug in collections
    assert (closed in groups) == (actor in SEES_CLOSED)
    assert (closed in collections) == (actor in SEES_CLOSED)


def covered_endpoints(library_slug: str) -> set[tuple[str, str]]:
    """(method, route) of every row above (for the coverage guard in tests/api/test_permissions.py)."""
    ref = SimpleNamespace(pk=1)
    place = SimpleNamespace(group=SimpleNamespace(slug="g"), thread=ref, message=ref)
    att = SimpleNamespace(link=ref, source=ref, item=ref, suggestion=ref, spare=ref)
    covered = {(method, _route(path(place, att))) for _n, method, path, _d, _e in ROWS}
    fake_world = SimpleNamespace(library=SimpleNamespace(slug=library_slug))
    fake_attached = {"public": att, "import": ref}
    covered |= {(method, _route(path(fake_world, fake_attached))) for _n, method, path, _d, _e in GLOBAL_ROWS}
    covered.add(("post", "libraries/<slug:slug>/catalogue/imports/"))  # the upload test above
    return covered
