"""REST behaviour: response shapes, pagination and catch-up, the send path shared with the WebSocket
(same service, same broadcast), errors and their language, and bounded query counts on lists."""

from __future__ import annotations

import uuid
from urllib.parse import quote

import pytest
from rest_framework.test import APIClient

from chat import services as chat_services
from chat.models import Message, Reaction, Thread
from groups import services as group_services
from groups.models import Group, MembershipState, Role
from tests.conftest import add_member, make_group, make_user

GROUP_FIELDS = {
    "id",
    "slug",
    "name",
    "description",
    "themes",
    "visibility",
    "library",
    "member_count",
    "last_seq",
    "membership",
    "unread",
    "invite_code",
}
THREAD_FIELDS = {
    "id",
    "group",
    "title",
    "created_by",
    "created_at",
    "last_message_at",
    "message_count",
    "locked",
    "unread",
}


@pytest.fixture
def client() -> APIClient:
    return APIClient()


def as_user(client: APIClient, user) -> APIClient:
    client.force_authenticate(user)
    return client


@pytest.fixture
def thread(public_group, member) -> Thread:
    return chat_services.thread_create(actor=member, group=public_group, title="Zonnepanelen")


def send(author, thread: Thread, body: str = "Hallo") -> Message:
    return chat_services.message_send(author=author, thread=thread, body=body, client_id=uuid.uuid4()).message


def error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    return body


# --- groups ------------------------------------------------------------------------------------


def test_group_list_fields_and_unread(
    client, library, public_group, closed_group, member, other_member, thread
):
    send(member, thread, "eigen bericht")  # sending also marks what came before as read
    for n in range(3):
        send(other_member, thread, f"bericht {n}")
    add_member(public_group, make_user("Wachtend"), state=MembershipState.PENDING)

    groups = {g["slug"]: g for g in as_user(client, member).get("/api/v1/groups/").json()}

    public = groups[public_group.slug]
    assert set(public) == GROUP_FIELDS
    assert public["id"] == public_group.pk
    assert public["visibility"] == "public"
    assert public["themes"] == ["test"]
    assert public["library"] == {"id": library.pk, "name": library.name, "slug": library.slug}
    assert public["member_count"] == 3  # librarian, member, other_member; not the pending request
    assert public["last_seq"] == 5
    assert public["membership"] == {"role": "member", "state": "active"}
    assert public["unread"] == 3  # by others only
    assert public["invite_code"] is None
    assert groups[closed_group.slug]["unread"] == 0


def test_group_list_for_anonymous_visitors(client, public_group, closed_group, other_member, thread):
    send(other_member, thread)
    groups = client.get("/api/v1/groups/").json()
    assert [g["slug"] for g in groups] == [public_group.slug]
    assert groups[0]["membership"] is None
    assert groups[0]["unread"] == 0


def test_group_detail_and_invite_code_for_managers(client, closed_group, host, member):
    body = as_user(client, host).get(f"/api/v1/groups/{closed_group.slug}/").json()
    assert set(body) == GROUP_FIELDS
    assert body["membership"] == {"role": "host", "state": "active"}
    assert body["invite_code"] == closed_group.invite_code
    assert as_user(client, member).get(f"/api/v1/groups/{closed_group.slug}/").json()["invite_code"] is None


def test_join_public_returns_the_group_with_membership(client, public_group, outsider, thread, other_member):
    send(other_member, thread)
    response = as_user(client, outsider).post(f"/api/v1/groups/{public_group.slug}/join/", {}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["membership"] == {"role": "member", "state": "active"}
    assert body["unread"] == 0  # history before joining is not unread


def test_join_closed_with_invite_code_is_accepted_as_a_request(client, closed_group, outsider, host):
    response = as_user(client, outsider).post(
        f"/api/v1/groups/{closed_group.slug}/join/", {"invite_code": closed_group.invite_code}, format="json"
    )
    assert response.status_code == 202
    assert response.json() == {
        "group": closed_group.slug,
        "membership": {"role": "member", "state": "pending"},
    }

    approve = as_user(client, host).post(f"/api/v1/groups/{closed_group.slug}/members/{outsider.pk}/approve/")
    assert approve.status_code == 200
    assert approve.json()["state"] == "active"
    assert approve.json()["user"] == {"id": outsider.pk, "display_name": outsider.display_name}


def test_group_create_and_patch(client, library, librarian):
    response = as_user(client, librarian).post(
        "/api/v1/groups/",
        {"library": library.slug, "name": "Repair Café", "themes": ["repareren"], "visibility": "closed"},
        format="json",
    )
    assert response.status_code == 201
    created = response.json()
    assert created["slug"] == "repair-cafe"
    assert created["membership"] == {"role": "librarian", "state": "active"}
    assert created["invite_code"] == Group.objects.get(slug="repair-cafe").invite_code

    patched = client.patch("/api/v1/groups/repair-cafe/", {"description": "Elke zaterdag"}, format="json")
    assert patched.status_code == 200
    assert patched.json()["description"] == "Elke zaterdag"


def test_member_role_change_and_removal(client, public_group, host, member):
    url = f"/api/v1/groups/{public_group.slug}/members/{member.pk}/"
    assert as_user(client, host).patch(url, {"role": "host"}, format="json").json()["role"] == "host"
    error(client.patch(url, {"role": "librarian"}, format="json"), 403, "permission_denied")
    error(client.patch(url, {"role": "koning"}, format="json"), 400, "validation_error")
    assert client.delete(url).status_code == 204
    error(client.delete(url), 404, "not_found")


# --- threads -----------------------------------------------------------------------------------


def test_thread_list_most_recently_active_first_with_unread(client, public_group, member, other_member):
    quiet = chat_services.thread_create(actor=member, group=public_group, title="Stil")
    busy = chat_services.thread_create(actor=member, group=public_group, title="Druk")
    older = chat_services.thread_create(actor=member, group=public_group, title="Ouder")
    send(other_member, older)
    send(other_member, busy)
    send(other_member, busy)

    threads = as_user(client, member).get(f"/api/v1/groups/{public_group.slug}/threads/").json()

    assert [t["title"] for t in threads] == ["Druk", "Ouder", "Stil"]
    assert set(threads[0]) == THREAD_FIELDS
    assert [t["unread"] for t in threads] == [2, 1, 0]
    assert [t["message_count"] for t in threads] == [2, 1, 0]
    assert threads[2]["id"] == quiet.pk
    assert threads[0]["created_by"] == {"id": member.pk, "display_name": "Anouk"}


def test_thread_create_with_first_message_publishes_both(
    client, public_group, member, layer_listener, django_capture_on_commit_callbacks
):
    layer_listener.listen(public_group)
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(client, member).post(
            f"/api/v1/groups/{public_group.slug}/threads/",
            {"title": "Nieuw", "body": "Eerste"},
            format="json",
        )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == THREAD_FIELDS
    assert (body["title"], body["message_count"], body["unread"]) == ("Nieuw", 1, 0)
    assert [e["type"] for e in layer_listener.published()] == ["thread.created", "message.created"]


def test_read_marks_and_moves_unread(client, public_group, member, other_member, thread):
    messages = [send(other_member, thread, f"bericht {n}") for n in range(3)]
    response = as_user(client, member).post(
        f"/api/v1/threads/{thread.pk}/read/", {"seq": messages[0].seq}, format="json"
    )
    assert response.json() == {"thread": thread.pk, "unread": 2}
    assert client.get(f"/api/v1/groups/{public_group.slug}/").json()["unread"] == 2
    assert client.get(f"/api/v1/threads/{thread.pk}/").json()["unread"] == 2


# --- messages: pagination and catch-up ---------------------------------------------------------


def test_messages_cursor_pagination_walks_every_page_newest_first(client, member, thread):
    sent = [send(member, thread, f"bericht {n}") for n in range(7)]

    page = client.get(f"/api/v1/threads/{thread.pk}/messages/?page_size=3").json()
    assert page["previous"] is None
    pages = [page]
    while page["next"]:
        page = client.get(page["next"]).json()
        pages.append(page)

    assert [len(p["results"]) for p in pages] == [3, 3, 1]
    ids = [m["id"] for p in pages for m in p["results"]]
    assert ids == [m.pk for m in reversed(sent)]
    assert len(set(ids)) == len(ids)
    assert pages[-1]["previous"] is not None


def test_messages_after_seq_is_catch_up_oldest_first(client, member, thread, settings):
    sent = [send(member, thread, f"bericht {n}") for n in range(5)]

    body = client.get(f"/api/v1/threads/{thread.pk}/messages/?after_seq={sent[1].seq}").json()
    assert [m["id"] for m in body["results"]] == [m.pk for m in sent[2:]]
    assert body["complete"] is True

    settings.KENNISCLOUD = {**settings.KENNISCLOUD, "CATCH_UP_LIMIT": 2}
    body = client.get(f"/api/v1/threads/{thread.pk}/messages/?after_seq=0").json()
    assert [m["id"] for m in body["results"]] == [sent[0].pk, sent[1].pk]
    assert body["complete"] is False


@pytest.mark.parametrize("value", ["-1", "abc", "1.5"])
def test_after_seq_must_be_a_whole_number(client, public_group, thread, value):
    for url in (
        f"/api/v1/threads/{thread.pk}/messages/?after_seq={value}",
        f"/api/v1/groups/{public_group.slug}/events/?after_seq={value}",
    ):
        body = error(client.get(url), 400, "validation_error")
        assert set(body["fields"]) == {"after_seq"}


def test_group_events_after_seq(client, public_group, member, thread, settings):
    first = send(member, thread, "een")
    second = send(member, thread, "twee")
    url = f"/api/v1/groups/{public_group.slug}/events/"

    body = client.get(f"{url}?after_seq={thread.seq}").json()
    assert body["group"] == public_group.slug
    assert body["resync_required"] is False
    assert body["last_seq"] == second.seq
    assert [(e["type"], e["seq"], e["message"]["id"]) for e in body["events"]] == [
        ("message.created", first.seq, first.pk),
        ("message.created", second.seq, second.pk),
    ]
    # Without after_seq: nothing missed, only the current position.
    assert client.get(url).json() == {
        "group": public_group.slug,
        "last_seq": second.seq,
        "resync_required": False,
        "events": [],
    }
    settings.KENNISCLOUD = {**settings.KENNISCLOUD, "CATCH_UP_LIMIT": 1}
    body = client.get(f"{url}?after_seq=0").json()
    assert (body["resync_required"], body["events"], body["last_seq"]) == (True, [], second.seq)


# --- messages: the send path shared with the WebSocket -----------------------------------------


def test_post_message_is_the_service_with_its_broadcast(
    client, public_group, member, thread, layer_listener, django_capture_on_commit_callbacks
):
    layer_listener.listen(public_group)
    client_id = str(uuid.uuid4())
    url = f"/api/v1/threads/{thread.pk}/messages/"

    with django_capture_on_commit_callbacks(execute=True):
        created = as_user(client, member).post(
            url, {"body": "Wie komt er **donderdag**?", "client_id": client_id}, format="json"
        )
    assert created.status_code == 201
    message = Message.objects.get()
    assert created.json()["id"] == message.pk
    assert created.json()["html"] == "<p>Wie komt er <strong>donderdag</strong>?</p>"
    [event] = layer_listener.published()
    assert event["type"] == "message.created"
    assert event["message"] == created.json()  # REST and the live event show the same message

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        retried = client.post(
            url, {"body": "Wie komt er **donderdag**?", "client_id": client_id}, format="json"
        )
    assert retried.status_code == 200
    assert retried.json() == created.json()
    assert Message.objects.count() == 1
    assert callbacks == []
    assert layer_listener.published() == []


def test_post_message_validation(client, member, thread):
    url = f"/api/v1/threads/{thread.pk}/messages/"
    as_user(client, member)
    body = error(client.post(url, {"body": "Hoi"}, format="json"), 400, "validation_error")
    assert set(body["fields"]) == {"client_id"}
    body = error(
        client.post(url, {"body": "Hoi", "client_id": "geen-uuid"}, format="json"), 400, "validation_error"
    )
    assert set(body["fields"]) == {"client_id"}
    body = error(
        client.post(url, {"body": "x" * 10_001, "client_id": str(uuid.uuid4())}, format="json"),
        400,
        "body_too_long",
    )
    assert body["limit"] == 10_000
    error(client.post(url, {"body": "   ", "client_id": str(uuid.uuid4())}, format="json"), 400, "body_empty")
    assert not Message.objects.exists()


def test_post_message_rate_limited(client, member, thread, settings):
    settings.KENNISCLOUD = {**settings.KENNISCLOUD, "RATE_LIMIT_WINDOW": 3600}
    url = f"/api/v1/threads/{thread.pk}/messages/"
    as_user(client, member)
    for n in range(20):
        assert (
            client.post(url, {"body": f"{n}", "client_id": str(uuid.uuid4())}, format="json").status_code
            == 201
        )

    response = client.post(url, {"body": "21", "client_id": str(uuid.uuid4())}, format="json")

    body = error(response, 429, "rate_limited")
    assert 1 <= body["retry_after"] <= 3600
    assert response["Retry-After"] == str(body["retry_after"])
    assert Message.objects.count() == 20


def test_patch_and_delete_message(
    client, public_group, member, thread, layer_listener, django_capture_on_commit_callbacks
):
    message = send(member, thread, "Eerst")
    url = f"/api/v1/messages/{message.pk}/"
    layer_listener.listen(public_group)
    as_user(client, member)

    with django_capture_on_commit_callbacks(execute=True):
        patched = client.patch(url, {"body": "Daarna _anders_"}, format="json")
        deleted = client.delete(url)

    assert patched.status_code == 200
    assert patched.json()["body"] == "Daarna _anders_"
    assert patched.json()["html"] == "<p>Daarna <em>anders</em></p>"
    assert patched.json()["edited_at"] is not None
    assert deleted.status_code == 204
    assert [e["type"] for e in layer_listener.published()] == ["message.edited", "message.deleted"]

    [tombstone] = client.get(f"/api/v1/threads/{thread.pk}/messages/").json()["results"]
    assert (tombstone["id"], tombstone["deleted"], tombstone["body"], tombstone["html"]) == (
        message.pk,
        True,
        "",
        "",
    )
    error(client.patch(url, {"body": "Terug"}, format="json"), 400, "message_deleted")


def test_reactions(
    client, public_group, member, other_member, thread, layer_listener, django_capture_on_commit_callbacks
):
    message = send(member, thread)
    url = f"/api/v1/messages/{message.pk}/reactions/"
    layer_listener.listen(public_group)

    with django_capture_on_commit_callbacks(execute=True):
        added = as_user(client, other_member).post(url, {"emoji": "❤️"}, format="json")
        removed = client.delete(url + quote("❤️") + "/")

    assert added.status_code == 200
    assert added.json()["reactions"] == [{"emoji": "❤️", "count": 1, "users": [other_member.pk]}]
    assert removed.status_code == 200
    assert removed.json()["reactions"] == []
    assert [e["message"]["reactions"] for e in layer_listener.published()] == [
        [{"emoji": "❤️", "count": 1, "users": [other_member.pk]}],
        [],
    ]
    error(client.post(url, {"emoji": "🍕"}, format="json"), 400, "invalid_emoji")
    error(client.delete(url + quote("🍕") + "/"), 400, "invalid_emoji")
    assert not Reaction.objects.exists()


# --- errors and their language -----------------------------------------------------------------


def test_invalid_json_is_refused(client, member, thread):
    response = as_user(client, member).post(
        f"/api/v1/threads/{thread.pk}/messages/", data='{"body": "Hoi",', content_type="application/json"
    )
    error(response, 400, "invalid_json")
    assert not Message.objects.exists()


def test_validation_error_shape(client, public_group, member):
    response = as_user(client, member).post(f"/api/v1/groups/{public_group.slug}/threads/", {}, format="json")
    body = error(response, 400, "validation_error")
    assert set(body) == {"code", "detail", "fields"}
    assert set(body["fields"]) == {"title"}
    assert all(isinstance(text, str) for text in body["fields"]["title"])


@pytest.mark.parametrize(
    ("accept_language", "not_found", "check_input", "required"),
    [
        (None, "Niet gevonden.", "Controleer de invoer.", "Dit veld is vereist."),
        ("nl", "Niet gevonden.", "Controleer de invoer.", "Dit veld is vereist."),
        ("en", "Not found.", "Check your input.", "This field is required."),
        ("en-GB,en;q=0.9", "Not found.", "Check your input.", "This field is required."),
    ],
)
def test_error_details_follow_accept_language(
    client, public_group, member, accept_language, not_found, check_input, required
):
    headers = {"HTTP_ACCEPT_LANGUAGE": accept_language} if accept_language else {}
    as_user(client, member)

    missing = client.get("/api/v1/groups/bestaat-niet/", **headers)
    assert missing.json() == {"code": "not_found", "detail": not_found}

    invalid = client.post(f"/api/v1/groups/{public_group.slug}/threads/", {}, format="json", **headers)
    assert invalid.json() == {
        "code": "validation_error",
        "detail": check_input,
        "fields": {"title": [required]},
    }


def test_me_and_language(client, member, librarian, library):
    as_user(client, member)
    assert client.get("/api/v1/me/").json() == {
        "id": member.pk,
        "email": member.email,
        "display_name": "Anouk",
        "language": "nl",
        "is_staff": False,
        "is_guest": False,
        "email_reminders": False,
        "librarian_of": [],
    }
    assert (
        client.patch("/api/v1/me/", {"language": "en", "display_name": " Anouk B. "}, format="json").json()[
            "language"
        ]
        == "en"
    )
    member.refresh_from_db()
    assert (member.language, member.display_name) == ("en", "Anouk B.")
    error(client.patch("/api/v1/me/", {"display_name": "   "}, format="json"), 400, "validation_error")
    error(client.patch("/api/v1/me/", {"language": "de"}, format="json"), 400, "validation_error")
    assert as_user(client, librarian).get("/api/v1/me/").json()["librarian_of"] == [library.slug]


# --- bounded queries: list endpoints do not grow with their rows --------------------------------


@pytest.mark.parametrize("rows", [3, 15])
def test_group_list_queries_are_bounded(client, library, rows, django_assert_max_num_queries):
    reader, writer = make_user("Lezer"), make_user("Schrijver")
    for n in range(rows):
        group = make_group(library, visibility="closed" if n % 2 else "public")
        add_member(group, reader, role=Role.HOST if n % 3 == 0 else Role.MEMBER)
        add_member(group, writer)
        thread = chat_services.thread_create(actor=writer, group=group, title="Gesprek")
        send(writer, thread)
    as_user(client, reader)

    # group_list, memberships, librarian roles, unread counts
    with django_assert_max_num_queries(4):
        groups = client.get("/api/v1/groups/").json()

    assert len(groups) == rows
    assert all(g["membership"] and g["unread"] == 1 and g["member_count"] == 3 for g in groups)


@pytest.mark.parametrize("rows", [3, 15])
def test_thread_list_queries_are_bounded(
    client, public_group, member, other_member, rows, django_assert_max_num_queries
):
    for n in range(rows):
        thread = chat_services.thread_create(actor=member, group=public_group, title=f"Gesprek {n}")
        send(other_member, thread)
    as_user(client, member)

    # access_group, threads with creators, unread counts
    with django_assert_max_num_queries(3):
        threads = client.get(f"/api/v1/groups/{public_group.slug}/threads/").json()

    assert len(threads) == rows
    assert all(t["unread"] == 1 for t in threads)


@pytest.mark.parametrize("rows", [3, 15])
def test_message_list_queries_are_bounded(
    client, member, other_member, thread, rows, django_assert_max_num_queries
):
    for n in range(rows):
        message = send(member if n % 2 else other_member, thread, f"bericht {n} https://example.org/{n}")
        chat_services.reaction_add(actor=member, message=message, emoji="👍")
        chat_services.reaction_add(actor=other_member, message=message, emoji="🎉")
    as_user(client, member)

    # the thread with the viewer's standing, messages with authors, reactions, resource links with
    # their resources (tests/chat/test_history.py pins each kind of page exactly)
    with django_assert_max_num_queries(4):
        page = client.get(f"/api/v1/threads/{thread.pk}/messages/").json()

    assert len(page["results"]) == rows
    assert all(len(m["reactions"]) == 2 for m in page["results"])
    assert all(len(m["resources"]) == 1 for m in page["results"])

    with django_assert_max_num_queries(4):
        catch_up = client.get(f"/api/v1/threads/{thread.pk}/messages/?after_seq=0").json()
    assert len(catch_up["results"]) == rows


@pytest.mark.parametrize("rows", [3, 15])
def test_group_events_queries_are_bounded(
    client, public_group, member, other_member, thread, rows, django_assert_max_num_queries
):
    for n in range(rows):
        message = send(member, thread, f"bericht {n} https://example.org/{n}")
        chat_services.reaction_add(actor=other_member, message=message, emoji="👍")

    # access_group, last_seq, events with threads, messages with authors, reactions, resource
    # links, their resources
    with django_assert_max_num_queries(7):
        body = client.get(f"/api/v1/groups/{public_group.slug}/events/?after_seq=0").json()

    assert len(body["events"]) == 1 + 2 * rows

    # ... signed in: + is_moderator (librarian, membership role), once per request
    as_user(client, member)
    with django_assert_max_num_queries(9):
        body = client.get(f"/api/v1/groups/{public_group.slug}/events/?after_seq=0").json()
    assert len(body["events"]) == 1 + 2 * rows


@pytest.mark.parametrize("rows", [3, 15])
def test_member_list_queries_are_bounded(client, public_group, host, rows, django_assert_max_num_queries):
    for _ in range(rows):
        group_services.group_join(actor=make_user(), group=public_group)
    as_user(client, host)

    # access_group, can-manage checks (librarian, membership), members with users
    with django_assert_max_num_queries(4):
        members = client.get(f"/api/v1/groups/{public_group.slug}/members/").json()

    assert len(members) >= rows


def test_visitors_are_throttled_per_address(settings, public_group):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import AnonRateThrottle

    original = AnonRateThrottle.THROTTLE_RATES  # DRF reads the rates once, at import
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "3/minute"}}
    AnonRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    try:
        client = APIClient()
        statuses = [client.get("/api/v1/groups/").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        refused = client.get("/api/v1/groups/")
        assert refused.json()["code"] == "throttled" and int(refused["Retry-After"]) >= 1
    finally:
        AnonRateThrottle.THROTTLE_RATES = original
