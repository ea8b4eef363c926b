"""No N+1 on any list endpoint: each list is read with 2 items and again with 10, and must run the
same number of queries both times. (The groups, threads, messages, group events, members and meetup
lists have their own bounded-query tests in tests/api/test_api.py and tests/meetups/.)"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import ApiToken
from chat import services as chat_services
from groups import services as group_services
from meetups import services as meetup_services
from meetups.questions import question_ask
from moderation import reports as moderation_reports
from moderation import services as moderation_services
from moderation.appeals import appeal_create
from moderation.models import AuditEntry
from notifications.services import notify
from resources import services as resource_services
from resources.models import CatalogueImport
from tests.conftest import add_member, make_group, make_library, make_user
from tests.meetups.factories import make_meetup, make_room

pytestmark = pytest.mark.django_db


def assert_constant(client, url: str, populate: Callable[[int], object], items=None) -> None:
    """`populate(2)`, read `url`; `populate(8)` more, read again: 8 more items, same query count."""
    items = items or (lambda body: body)
    populate(2)
    assert client.get(url).status_code == 200  # warm: per-process caches, lazy defaults
    with CaptureQueriesContext(connection) as small:
        response = client.get(url)
    assert response.status_code == 200, response.content
    before = len(items(response.json()))
    populate(8)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert response.status_code == 200, response.content
    assert len(items(response.json())) == before + 8
    assert len(large) == len(small), "\n".join(q["sql"] for q in large.captured_queries)


def counter() -> Callable[[], int]:
    n = iter(range(10**6))
    return lambda: next(n)


def send(user, thread, body: str = "bericht"):
    return chat_services.message_send(author=user, thread=thread, body=body, client_id=uuid.uuid4()).message


@pytest.fixture
def thread(public_group, librarian):
    return chat_services.thread_create(actor=librarian, group=public_group, title="Gesprek")


@pytest.fixture
def book() -> Callable[[object], object]:
    next_n = counter()

    def make(actor):
        n = next_n()
        digits = f"97890{n:07d}"
        check = (10 - sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10) % 10
        return resource_services.resource_for_isbn(
            actor=actor, isbn=f"{digits}{check}", title=f"Boek {n}", creators=["Schrijver, A."]
        )

    return make


# --- accounts and groups -----------------------------------------------------------------------


def test_libraries(api, db):
    def populate(n: int) -> None:
        for _ in range(n):
            library = make_library()
            make_group(library)

    assert_constant(api(None), "/api/v1/libraries/", populate)


def test_personal_tokens(api, member):
    def populate(n: int) -> None:
        for _ in range(n):
            key = uuid.uuid4().hex
            ApiToken.objects.create(user=member, name=f"script {key[:6]}", prefix="kc_", key_hash=key)

    assert_constant(api(member), "/api/v1/auth/tokens/", populate)


# --- moderation ----------------------------------------------------------------------------------


def _mute(librarian, group, n: int) -> list:
    users = []
    for _ in range(n):
        user = make_user()
        add_member(group, user)
        moderation_services.member_mute(actor=librarian, group=group, user=user, reason="toon", minutes=60)
        users.append(user)
    return users


def test_sanctions(api, public_group, librarian):
    url = f"/api/v1/moderation/groups/{public_group.slug}/sanctions/"
    assert_constant(api(librarian), url, lambda n: _mute(librarian, public_group, n))


def test_audit_log(api, library, public_group, librarian):
    url = f"/api/v1/moderation/libraries/{library.slug}/audit/"
    assert_constant(
        api(librarian),
        url,
        lambda n: _mute(librarian, public_group, n),
        items=lambda body: body["results"] if isinstance(body, dict) else body,
    )


def test_report_queue(api, library, librarian, member, other_member, thread):
    def populate(n: int) -> None:
        for _ in range(n):
            message = send(other_member, thread)
            moderation_reports.report_create(actor=member, message=message, category="spam")

    assert_constant(api(librarian), f"/api/v1/moderation/libraries/{library.slug}/reports/", populate)


def test_held_messages(api, library, librarian, member, thread):
    def populate(n: int) -> None:
        for _ in range(n):
            message = send(member, thread)
            type(message).objects.filter(pk=message.pk).update(held_at=timezone.now())

    assert_constant(api(librarian), f"/api/v1/moderation/libraries/{library.slug}/held/", populate)


def test_word_filters(api, library, librarian):
    next_n = counter()

    def populate(n: int) -> None:
        for _ in range(n):
            moderation_services.word_filter_add(
                actor=librarian, library_id=library.pk, phrase=f"scheldwoord{next_n()}", action="hold"
            )

    url = f"/api/v1/moderation/libraries/{library.slug}/word-filters/"
    assert_constant(api(librarian), url, populate)


def test_appeals(api, library, public_group, librarian):
    reviewer = make_user("Tweede bibliothecaris")
    group_services.librarian_add(library=library, user=reviewer)

    def populate(n: int) -> None:
        for user in _mute(librarian, public_group, n):
            entry = AuditEntry.objects.filter(target_user_id=user.pk).latest("pk")
            appeal_create(actor=user, entry_id=entry.pk, text="Dit was een misverstand.")

    assert_constant(api(reviewer), "/api/v1/moderation/appeals/", populate)


# --- notifications -------------------------------------------------------------------------------


def test_notifications(api, member):
    def populate(n: int) -> None:
        for _ in range(n):
            notify(user_ids=[member.pk], kind="meetup.cancelled", data={"title": "Repair Café"})

    assert_constant(
        api(member),
        "/api/v1/notifications/",
        populate,
        items=lambda body: body["results"] if isinstance(body, dict) else body,
    )


# --- resources -----------------------------------------------------------------------------------


def test_thread_sources(api, member, thread, book):
    def populate(n: int) -> None:
        for _ in range(n):
            resource_services.thread_resource_add(actor=member, thread=thread, resource=book(member))

    assert_constant(api(member), f"/api/v1/threads/{thread.pk}/resources/", populate)


def test_group_collection(api, public_group, host, book):
    def populate(n: int) -> None:
        for _ in range(n):
            resource_services.collection_item_add(actor=host, group=public_group, resource=book(host))

    assert_constant(api(host), f"/api/v1/groups/{public_group.slug}/collection/", populate)


def test_catalogue_imports(api, library, librarian):
    def populate(n: int) -> None:
        for _ in range(n):
            CatalogueImport.objects.create(
                library=library, created_by=librarian, format="csv", filename="a.csv"
            )

    assert_constant(api(librarian), f"/api/v1/libraries/{library.slug}/catalogue/imports/", populate)


# --- meetups -------------------------------------------------------------------------------------


def test_branches(api, library, librarian):
    next_n = counter()

    def populate(n: int) -> None:
        for _ in range(n):
            branch = meetup_services.branch_create(
                actor=librarian, library=library, name=f"Filiaal {next_n()}"
            )
            meetup_services.room_create(actor=librarian, branch=branch, name="Zaal", capacity=20)

    assert_constant(api(librarian), f"/api/v1/libraries/{library.slug}/branches/", populate)


def test_support_requests(api, library, public_group, librarian, host):
    make_room(library)

    def populate(n: int) -> None:
        for _ in range(n):
            meetup = make_meetup(public_group, host, starts_at=timezone.now() + timedelta(days=3))
            meetup_services.support_request_create(
                actor=host, meetup=meetup, wants_promotion=True, help="Beamer"
            )

    url = f"/api/v1/libraries/{library.slug}/support-requests/"
    assert_constant(api(librarian), url, populate)


def test_rsvps(api, public_group, host):
    meetup = make_meetup(public_group, host, capacity=100)

    def populate(n: int) -> None:
        for _ in range(n):
            user = make_user()
            add_member(public_group, user)
            meetup_services.rsvp_set(actor=user, meetup=meetup, answer="going")

    url = f"/api/v1/meetups/{meetup.pk}/rsvps/"
    assert_constant(api(host), url, populate, items=lambda body: body["going"])


def test_meetup_questions(api, public_group, host):
    meetup = make_meetup(public_group, host, starts_at=timezone.now() - timedelta(minutes=10))

    def populate(n: int) -> None:
        for _ in range(n):
            user = make_user()
            add_member(public_group, user)
            question_ask(actor=user, meetup=meetup, body="Hoe begin ik met zonnepanelen?")

    assert_constant(api(host), f"/api/v1/meetups/{meetup.pk}/questions/", populate)


def test_agenda_feed(api, library, public_group, host):
    def populate(n: int) -> None:
        for _ in range(n):
            make_meetup(public_group, host, starts_at=timezone.now() + timedelta(days=2))

    assert_constant(
        api(None), f"/api/v1/libraries/{library.slug}/agenda.json", populate, items=lambda body: body["items"]
    )
