"""Reports: a member reports a message once; the library's moderators see the queue live (and no
one else does); claim, then resolve; the reporter hears the outcome; the reported member never
learns who reported."""

from __future__ import annotations

import uuid

import pytest
from django.db import transaction

from chat import services as chat_services
from moderation.models import AuditEntry, Report
from tests.conftest import make_user
from tests.moderation.test_permissions import ACTORS, build_world, hidden, outcome, table

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fast_password_hashing"),
]

IGNORE = ("presence",)


def post(author, thread, body):
    return chat_services.message_send(author=author, thread=thread, body=body, client_id=uuid.uuid4()).message


async def test_the_report_queue_is_live_for_moderators_only_and_the_reporter_hears_the_outcome(
    connect, db_call, library, public_group, public_thread, librarian, member, other_member, host
):
    message = await db_call(post, other_member, public_thread, "Koop nu goedkope zonnepanelen!!!")
    _ok, moderator = await connect(librarian)
    await moderator.send("moderation.subscribe", library=library.slug)
    await moderator.expect("moderation.subscribed")
    # A host moderates their group but not the library queue; a member even less.
    _ok, as_host = await connect(host)
    await as_host.send("moderation.subscribe", library=library.slug)
    assert (await as_host.expect("error"))["code"] == "not_found"
    _ok, reporter = await connect(member)
    _ok, reported = await connect(other_member)

    await reporter.send("message.report", id=message.pk, category="spam", note="Reclame")
    created = await moderator.expect("report.created")
    report = created["report"]
    assert (report["category"], report["note"], report["status"]) == ("spam", "Reclame", "open")
    assert report["reporter"]["id"] == member.pk
    assert report["message"]["id"] == message.pk

    await reporter.send("message.report", id=message.pk, category="spam")
    assert (await reporter.expect("error"))["code"] == "already_reported"

    api = _api(librarian)
    claimed = await db_call(lambda: api.post(f"/api/v1/moderation/reports/{report['id']}/claim/"))
    assert claimed.status_code == 200
    assert (await moderator.expect("report.updated"))["report"]["status"] == "claimed"
    again = await db_call(lambda: api.post(f"/api/v1/moderation/reports/{report['id']}/claim/"))
    assert again.json()["code"] == "report_closed"

    resolved = await db_call(
        lambda: api.post(
            f"/api/v1/moderation/reports/{report['id']}/resolve/",
            {"outcome": "acted", "note": "Bericht verborgen"},
            format="json",
        )
    )
    assert resolved.status_code == 200
    assert (await moderator.expect("report.updated"))["report"]["outcome"] == "acted"
    outcome = await reporter.expect("report.outcome")
    assert (outcome["outcome"], outcome["note"]) == ("acted", "Bericht verborgen")

    # The reported member heard nothing about the report: their next frame is their own pong.
    await reported.ping()
    assert await db_call(lambda: AuditEntry.objects.filter(action__startswith="report_").count()) == 2


def _api(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client


def test_reports_over_rest_and_who_sees_the_queue(
    library, public_group, public_thread, librarian, member, other_member, host
):
    message = post(other_member, public_thread, "Iets twijfelachtigs")
    created = _api(member).post(
        f"/api/v1/moderation/messages/{message.pk}/report/", {"category": "misinformation"}, format="json"
    )
    assert created.status_code == 201
    assert set(created.json()) == {"id", "status"}  # a receipt, not the moderators' view
    duplicate = _api(member).post(
        f"/api/v1/moderation/messages/{message.pk}/report/", {"category": "spam"}, format="json"
    )
    assert (duplicate.status_code, duplicate.json()["code"]) == (400, "already_reported")
    bad = _api(member).post(
        f"/api/v1/moderation/messages/{message.pk}/report/", {"category": "boos"}, format="json"
    )
    assert bad.json()["code"] == "validation_error"

    queue_url = f"/api/v1/moderation/libraries/{library.slug}/reports/"
    assert [r["message"]["id"] for r in _api(librarian).get(queue_url).json()] == [message.pk]
    for outsider in (member, host, make_user("Andere bieb")):
        assert _api(outsider).get(queue_url).status_code == 403
    report_id = Report.objects.get().pk
    assert _api(member).post(f"/api/v1/moderation/reports/{report_id}/claim/").status_code == 404


def test_a_closed_groups_message_cannot_be_reported_by_outsiders(closed_group, librarian, member):
    from tests.chat.conftest import make_thread

    thread = make_thread(closed_group, librarian)
    message = post(librarian, thread, "Binnen de groep")
    outsider = make_user("Buiten")
    response = _api(outsider).post(
        f"/api/v1/moderation/messages/{message.pk}/report/", {"category": "spam"}, format="json"
    )
    assert response.status_code == 404
    assert not Report.objects.exists()


# --- the permission matrix of the report endpoints ------------------------------------------------


def _file_report(place, reporter) -> Report:
    return Report.objects.create(
        library_id=place.group.library_id,
        group=place.group,
        message=place.message,
        reporter=reporter,
        category="spam",
    )


def _report_path(suffix):
    return lambda place, report: f"/api/v1/moderation/reports/{report.pk}/{suffix}/"


# (name, method, path(place, report), data, expected for the public group)
REPORT_ROWS = [
    (
        "report",
        "post",
        lambda place, report: f"/api/v1/moderation/messages/{place.message.pk}/report/",
        {"category": "privacy"},
        table(201, anonymous=401, member="already_reported"),
    ),
    (
        "claim",
        "post",
        _report_path("claim"),
        None,
        table(404, anonymous=401, host=200, librarian=200, staff=200),
    ),
    (
        "resolve",
        "post",
        _report_path("resolve"),
        {"outcome": "dismissed"},
        table(404, anonymous=401, host=200, librarian=200, staff=200),
    ),
    (
        "queue",
        "get",
        lambda place, report: f"/api/v1/moderation/libraries/{place.group.library.slug}/reports/",
        None,
        table(403, anonymous=401, librarian=200, staff=200),
    ),
]


def _cases():
    for name, method, path, data, public in REPORT_ROWS:
        yield pytest.param("public", method, path, data, public, id=f"{name}-public")
        closed = public if name == "queue" else hidden(public)
        yield pytest.param("closed", method, path, data, closed, id=f"{name}-closed")


@pytest.mark.parametrize(("visibility", "method", "path", "data", "expected"), list(_cases()))
def test_report_endpoints_permission_matrix(visibility, method, path, data, expected):
    from rest_framework.test import APIClient

    world = build_world()
    place = world.places[visibility]
    results = {}
    client = APIClient()
    for actor in ACTORS:
        client.force_authenticate(world.users[actor])
        with transaction.atomic():
            report = _file_report(place, world.users["member"])  # Anouk reported it already
            kwargs = {"data": data, "format": "json"} if data is not None else {}
            results[actor] = outcome(getattr(client, method)(path(place, report), **kwargs))
            transaction.set_rollback(True)
    assert results == expected


def report_routes() -> set[tuple[str, str]]:
    """(method, route) of the rows above, for the coverage guards."""
    from types import SimpleNamespace

    from django.urls import resolve

    some = SimpleNamespace(pk=1, slug="groep", library=SimpleNamespace(slug="bieb"))
    place = SimpleNamespace(group=some, message=some)
    return {
        (method, resolve(path(place, some)).route.removeprefix("api/v1/"))
        for _n, method, path, _d, _e in REPORT_ROWS
    }
