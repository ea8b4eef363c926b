"""Link previews end to end on the backend: a member sends a message with a link over the WebSocket,
the ack comes back at once (the preview is still pending: nothing has been fetched), then a real
task worker fetches the page from a real local HTTP server and every connected member receives the
preview live; catch-up replays it."""

from __future__ import annotations

import uuid

import pytest
from channels.db import database_sync_to_async

from chat.models import Message
from resources.models import MessageResource, PreviewStatus, Resource, ResourceImage

pytestmark = pytest.mark.django_db(transaction=True)


async def _until(ws, predicate, limit: int = 20) -> tuple[list[dict], dict]:
    seen = []
    for _ in range(limit):
        frame = await ws.next(ignore=("presence", "typing", "thread.suggestions"))
        seen.append(frame)
        if predicate(frame):
            return seen, frame
    raise AssertionError(f"not received; got {seen}")


async def test_preview_arrives_live_for_every_member_after_the_ack(
    connect, public_group, public_thread, member, other_member, preview_server, run_worker
):
    _ok, anouk = await connect(member)
    _ok, bram = await connect(other_member)
    await anouk.subscribe(public_group)
    await bram.subscribe(public_group)

    link = f"{preview_server.url}/artikel-zonnepanelen"
    client_id = await anouk.send_message(public_thread, f"Kijk eens: {link}")
    frames, ack = await _until(anouk, lambda f: f["type"] == "ack")
    assert ack["client_id"] == client_id
    # The send was acked before anyone fetched the page: no worker has run yet.
    assert preview_server.requests == []
    _seen, created = await _until(bram, lambda f: f["type"] == "message.created")
    [card] = created["message"]["resources"]
    assert card["url"] == link and card["preview_status"] == "pending"

    await database_sync_to_async(run_worker)()

    for ws in (anouk, bram):
        _seen, event = await _until(
            ws, lambda f: f["type"] == "message.resources" and f["message"]["id"] == ack["id"]
        )
        [card] = event["message"]["resources"]
        assert card["preview_status"] == "ready"
        assert card["title"] == "Zonnepanelen op je dak: zo begin je"
        assert card["site_name"] == "Energieloket Voorbeeldstad"
        assert card["kind"] == "article"
        assert card["image"] == f"/api/v1/resources/{card['id']}/image/"
        assert event["seq"] > ack["seq"]
    assert sorted(preview_server.requests) == ["/artikel-zonnepanelen", "/zon.png"]

    # A member who was offline catches up on the preview with the message.
    _ok, late = await connect(other_member)
    catch_up, _subscribed = await late.subscribe(public_group, after_seq=ack["seq"] - 1)
    types = [f["type"] for f in catch_up]
    assert types[0] == "message.created" and "message.resources" in types
    assert catch_up[-1]["message"]["resources"][0]["title"] == "Zonnepanelen op je dak: zo begin je"


async def test_the_same_link_again_reuses_the_preview(
    connect, public_group, public_thread, member, preview_server, run_worker
):
    _ok, anouk = await connect(member)
    await anouk.subscribe(public_group)
    link = f"{preview_server.url}/artikel?utm_source=nieuwsbrief#kop"
    await anouk.send_message(public_thread, f"Eerst: {link}")
    await _until(anouk, lambda f: f["type"] == "ack")
    await database_sync_to_async(run_worker)()
    await anouk.send_message(public_thread, f"Nog eens {preview_server.url}/artikel")
    _seen, created = await _until(
        anouk, lambda f: f["type"] == "message.created" and "Nog eens" in f["message"]["body"]
    )
    [card] = created["message"]["resources"]
    assert card["preview_status"] == "ready"  # canonical URL: one resource, fetched once
    assert await database_sync_to_async(Resource.objects.count)() == 1
    assert preview_server.requests.count("/artikel") == 1


async def test_a_refused_preview_leaves_a_plain_link(
    connect, public_group, public_thread, member, run_worker
):
    _ok, anouk = await connect(member)
    await anouk.subscribe(public_group)
    await anouk.send_message(public_thread, "Intern: http://169.254.169.254/latest/meta-data/")
    _seen, ack = await _until(anouk, lambda f: f["type"] == "ack")
    await database_sync_to_async(run_worker)()
    _seen, event = await _until(anouk, lambda f: f["type"] == "message.resources")
    [card] = event["message"]["resources"]
    assert card["preview_status"] == "failed"
    assert card["title"] == "169.254.169.254/latest/meta-data"
    resource = await database_sync_to_async(Resource.objects.get)()
    assert resource.preview_error == "blocked_address"
    assert not await database_sync_to_async(ResourceImage.objects.exists)()


def test_editing_a_message_updates_its_links(member, public_thread, django_capture_on_commit_callbacks):
    from chat import services as chat_services

    with django_capture_on_commit_callbacks(execute=False):
        result = chat_services.message_send(
            author=member,
            thread=public_thread,
            body="https://example.org/een en https://example.org/twee",
            client_id=uuid.uuid4(),
        )
    message = result.message
    assert list(MessageResource.objects.filter(message=message).values_list("resource__url", flat=True)) == [
        "https://example.org/een",
        "https://example.org/twee",
    ]
    with django_capture_on_commit_callbacks(execute=False):
        chat_services.message_edit(actor=member, message=message, body="Alleen https://example.org/twee nog")
    assert list(MessageResource.objects.filter(message=message).values_list("resource__url", flat=True)) == [
        "https://example.org/twee"
    ]
    assert Message.objects.get(pk=message.pk).body.startswith("Alleen")
    assert Resource.objects.get(url="https://example.org/een").preview_status == PreviewStatus.PENDING


def test_imported_covers_are_fetched_by_the_worker_and_served_from_our_origin(
    library, librarian, preview_server, run_worker
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from rest_framework.test import APIClient

    csv = (
        "record_id,title,image_url\n"
        f"C-1,Zon op je dak,{preview_server.url}/zon.png\n"
        "C-2,Intern,http://10.0.0.1/cover.png\n"
        "C-3,Zonder omslag,\n"
    ).encode()
    client = APIClient()
    client.force_authenticate(librarian)
    response = client.post(
        f"/api/v1/libraries/{library.slug}/catalogue/imports/",
        {"file": SimpleUploadedFile("catalogus.csv", csv, content_type="text/csv")},
        format="multipart",
    )
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "pending"
    run_worker()  # the import, then the covers it queued
    job = client.get(f"/api/v1/libraries/{library.slug}/catalogue/imports/{response.json()['id']}/").json()
    assert (job["status"], job["created"], job["rejected"]) == ("done", 3, 0)
    found = {r.record_id: r for r in Resource.objects.filter(library=library)}
    assert ResourceImage.objects.get(resource=found["C-1"]).data.startswith(b"\x89PNG")
    assert not ResourceImage.objects.filter(resource__in=[found["C-2"], found["C-3"]]).exists()
    card = client.get(f"/api/v1/resources/{found['C-1'].pk}/").json()
    assert card["image"] == f"/api/v1/resources/{found['C-1'].pk}/image/"
    image = client.get(card["image"])
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert preview_server.requests == ["/zon.png"]


def test_a_changed_cover_url_is_fetched_again(library, preview_server, run_worker):
    import io

    from resources.catalogue.importer import catalogue_import_create, catalogue_import_run
    from resources.imports import covers_enqueue

    def load(image: str) -> None:
        job = catalogue_import_create(library=library, fmt="csv", filename="c.csv")
        catalogue_import_run(
            catalogue_import=job, stream=io.BytesIO(f"record_id,title,image_url\nC-1,Zon,{image}\n".encode())
        )
        covers_enqueue(library_id=library.pk)
        run_worker()

    load(f"{preview_server.url}/zon.png?v=1")
    load(f"{preview_server.url}/zon.png?v=1")  # unchanged: not fetched again
    load(f"{preview_server.url}/zon.png?v=2")
    assert preview_server.requests == ["/zon.png?v=1", "/zon.png?v=2"]
    assert ResourceImage.objects.filter(resource__record_id="C-1").count() == 1
