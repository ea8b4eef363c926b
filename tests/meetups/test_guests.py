"""Guests: they join by code, read and post in their meetup's conversation — over REST and the
WebSocket — and reach nothing else: not the other threads of the same (public) group, not other
groups, not the REST lists, not search; they hear nothing about other threads, live or in catch-up;
their access ends when the meetup ends plus the grace period; moderation applies to them."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from chat import services as chat_services
from chat.models import Message
from meetups.models import Guest
from tests.chat.conftest import make_thread
from tests.meetups.factories import make_guest, make_live, make_meetup

GUEST_NOT_ALLOWED = "guest_not_allowed"


def join(meetup, name: str = "Gast Gerda") -> tuple[APIClient, int]:
    """A visitor's browser that joined the meetup by its code: (client with the session, user id)."""
    client = APIClient()
    response = client.post(f"/api/v1/join/{meetup.join_code}/", {"display_name": name}, format="json")
    assert response.status_code == 200, response.json()
    return client, response.json()["user"]["id"]


def session_client(user) -> APIClient:
    """A real session (through the authentication classes, like a browser)."""
    client = APIClient()
    client.force_login(user)
    return client


def send(client: APIClient, thread_id: int, body: str = "Hallo vanuit de zaal"):
    return client.post(
        f"/api/v1/threads/{thread_id}/messages/",
        {"body": body, "client_id": str(uuid.uuid4())},
        format="json",
    )


# --- REST ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_guest_joins_by_code_and_takes_part_in_the_meetup_conversation(meetup):
    make_live(meetup)
    client, _user_id = join(meetup)
    sent = send(client, meetup.thread_id)
    assert sent.status_code == 201, sent.json()
    message_id = sent.json()["id"]
    assert sent.json()["author"]["display_name"] == "Gast Gerda"
    listed = client.get(f"/api/v1/threads/{meetup.thread_id}/messages/")
    assert listed.status_code == 200 and [m["id"] for m in listed.json()["results"]] == [message_id]
    assert client.get(f"/api/v1/threads/{meetup.thread_id}/").status_code == 200
    assert (
        client.post(f"/api/v1/threads/{meetup.thread_id}/read/", {"seq": 1}, format="json").status_code == 200
    )
    assert (
        client.patch(f"/api/v1/messages/{message_id}/", {"body": "Hallo!"}, format="json").status_code == 200
    )
    assert (
        client.post(f"/api/v1/messages/{message_id}/reactions/", {"emoji": "👍"}, format="json").status_code
        == 200
    )
    assert client.delete(f"/api/v1/messages/{message_id}/reactions/👍/").status_code == 200
    assert client.get(f"/api/v1/meetups/{meetup.pk}/live/").status_code == 200
    assert client.delete(f"/api/v1/messages/{message_id}/").status_code == 204


@pytest.mark.django_db
def test_a_guest_cannot_touch_others_messages_in_its_conversation(member, meetup):
    make_live(meetup)
    theirs = chat_services.message_send(
        author=member, thread=meetup.thread, body="Van een lid", client_id=uuid.uuid4()
    ).message
    client, _ = join(meetup)
    assert client.patch(f"/api/v1/messages/{theirs.pk}/", {"body": "x"}, format="json").status_code == 403
    assert client.delete(f"/api/v1/messages/{theirs.pk}/").status_code == 403


@pytest.mark.django_db
def test_a_guest_sees_no_other_thread_of_the_same_public_group(librarian, member, public_group, meetup):
    make_live(meetup)
    other = make_thread(public_group, librarian, "Een ander gesprek")
    theirs = chat_services.message_send(
        author=member, thread=other, body="Elders", client_id=uuid.uuid4()
    ).message
    client, _ = join(meetup)
    assert client.get(f"/api/v1/threads/{other.pk}/").status_code == 404
    assert client.get(f"/api/v1/threads/{other.pk}/messages/").status_code == 404
    assert send(client, other.pk).status_code == 404
    assert client.post(f"/api/v1/threads/{other.pk}/read/", {"seq": 1}, format="json").status_code == 404
    assert client.get(f"/api/v1/messages/{theirs.pk}/").status_code == 404
    assert (
        client.post(f"/api/v1/messages/{theirs.pk}/reactions/", {"emoji": "👍"}, format="json").status_code
        == 404
    )
    assert not Message.objects.filter(thread=other, author__is_guest=True).exists()


@pytest.mark.django_db
def test_a_guest_of_one_meetup_sees_nothing_of_another(host, public_group, meetup):
    other = make_live(make_meetup(public_group, host, title="Taalcafé"))
    make_live(meetup)
    client, _ = join(meetup)
    assert send(client, other.thread_id).status_code == 404
    assert client.get(f"/api/v1/threads/{other.thread_id}/messages/").status_code == 404
    assert client.get(f"/api/v1/meetups/{other.pk}/live/").status_code == 404
    assert client.get(f"/api/v1/meetups/{other.pk}/questions/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/api/v1/groups/"),
        ("get", "/api/v1/groups/{group}/"),
        ("get", "/api/v1/groups/{group}/threads/"),
        ("post", "/api/v1/groups/{group}/threads/"),
        ("get", "/api/v1/groups/{group}/members/"),
        ("get", "/api/v1/groups/{group}/events/"),
        ("post", "/api/v1/groups/{group}/join/"),
        ("get", "/api/v1/groups/{closed}/"),
        ("get", "/api/v1/libraries/"),
        ("get", "/api/v1/libraries/{library}/catalogue/?q=energie"),
        ("get", "/api/v1/groups/{group}/catalogue/?q=energie"),
        ("get", "/api/v1/groups/{group}/collection/"),
        ("get", "/api/v1/resources/1/"),
        ("get", "/api/v1/auth/tokens/"),
        ("get", "/api/v1/moderation/libraries/{library}/reports/"),
        ("post", "/api/v1/moderation/messages/{message}/report/"),
        ("post", "/api/v1/moderation/threads/{thread}/lock/"),
        ("get", "/api/v1/groups/{group}/meetups/"),
        ("get", "/api/v1/me/calendar/"),
        ("post", "/api/v1/meetups/{meetup}/live/start/"),
    ],
)
def test_a_guest_is_refused_everywhere_else(public_group, closed_group, librarian, meetup, method, path):
    make_live(meetup)
    client, user_id = join(meetup)
    message = send(client, meetup.thread_id).json()["id"]
    url = path.format(
        group=public_group.slug,
        closed=closed_group.slug,
        library=public_group.library.slug,
        message=message,
        thread=meetup.thread_id,
        meetup=meetup.pk,
    )
    response = getattr(client, method)(url, {}, format="json")
    assert response.status_code == 403, (url, response.status_code)
    assert response.json()["code"] == GUEST_NOT_ALLOWED


@pytest.mark.django_db
def test_a_guest_cannot_create_tokens_or_threads(public_group, meetup):
    from accounts.models import ApiToken
    from chat.models import Thread

    make_live(meetup)
    client, user_id = join(meetup)
    threads = Thread.objects.count()
    assert (
        client.post(
            f"/api/v1/groups/{public_group.slug}/threads/", {"title": "Nieuw"}, format="json"
        ).status_code
        == 403
    )
    user = Guest.objects.get(user_id=user_id).user
    # Even a service call is refused: a guest never writes outside its meetup's thread.
    with pytest.raises(Exception) as refused:
        chat_services.thread_create(actor=user, group=public_group, title="Nieuw")
    assert getattr(refused.value, "status_code", None) == 403
    assert Thread.objects.count() == threads and not ApiToken.objects.filter(user_id=user_id).exists()


@pytest.mark.django_db
def test_guest_access_ends_after_the_meetup_and_grace(meetup):
    make_live(meetup)
    client, user_id = join(meetup)
    assert send(client, meetup.thread_id).status_code == 201
    Guest.objects.filter(user_id=user_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert send(client, meetup.thread_id).status_code in (403, 404)
    assert client.get(f"/api/v1/threads/{meetup.thread_id}/messages/").status_code == 404
    assert client.get("/api/v1/groups/").status_code == 403
    for path in ("", "live/", "questions/", "qr.svg"):  # the meetup itself is gone for it too
        assert client.get(f"/api/v1/meetups/{meetup.pk}/{path}").status_code == 404, path


@pytest.mark.django_db
def test_moderation_applies_to_guests(api, librarian, public_group, meetup):
    make_live(meetup)
    client, user_id = join(meetup)
    assert send(client, meetup.thread_id).status_code == 201
    banned = api(librarian).post(
        f"/api/v1/moderation/groups/{public_group.slug}/members/{user_id}/ban/",
        {"reason": "spam"},
        format="json",
    )
    assert banned.status_code in (200, 201), banned.json()
    refused = send(client, meetup.thread_id)
    assert refused.status_code == 403 and refused.json()["code"] == "banned"


# --- WebSocket -------------------------------------------------------------------------------------

ws = pytest.mark.django_db(transaction=True)


def _post(author, thread, body):
    return chat_services.message_send(author=author, thread=thread, body=body, client_id=uuid.uuid4()).message


@ws
async def test_a_guest_posts_over_the_websocket_and_hears_only_its_meetup(
    connect, db_call, librarian, member, public_group, meetup
):
    await db_call(make_live, meetup)
    guest = await db_call(make_guest, meetup)
    other = await db_call(make_thread, public_group, librarian, "Een ander gesprek")
    accepted, guest_ws = await connect(guest)
    assert accepted
    _, member_ws = await connect(member)
    await guest_ws.subscribe(public_group)
    await member_ws.subscribe(public_group)

    # Another thread's message, then one in the meetup's conversation: the guest's next frame is
    # the meetup's, the member gets both.
    elsewhere = await db_call(_post, member, other, "Elders")
    here = await db_call(_post, member, meetup.thread, "In de zaal")
    frame = await guest_ws.expect("message.created")
    assert frame["message"]["id"] == here.pk
    assert [(await member_ws.expect("message.created"))["message"]["id"] for _ in range(2)] == [
        elsewhere.pk,
        here.pk,
    ]

    client_id = await guest_ws.send_message(meetup.thread, "Goede vraag!")
    ack, created = await guest_ws.ack_and_echo()
    assert ack["client_id"] == client_id
    assert created["message"]["id"] == ack["id"] and created["seq"] == here.seq + 1

    # Writing in another thread over the socket is refused like over REST.
    await guest_ws.send_message(other, "Mag dit?")
    error = await guest_ws.expect("error")
    assert error["code"] == "not_found"


@ws
async def test_a_guest_cannot_subscribe_to_another_group(connect, db_call, closed_group, library, meetup):
    from tests.conftest import make_group

    await db_call(make_live, meetup)
    guest = await db_call(make_guest, meetup)
    other_public = await db_call(make_group, library, name="Andere groep")
    _, guest_ws = await connect(guest)
    for group in (closed_group, other_public):
        await guest_ws.send("subscribe", group=group.slug)
        assert (await guest_ws.expect("error"))["code"] == "not_found"


@ws
async def test_catch_up_withholds_other_threads_from_a_guest(
    connect, db_call, librarian, member, public_group, meetup
):
    await db_call(make_live, meetup)
    guest = await db_call(make_guest, meetup)
    other = await db_call(make_thread, public_group, librarian, "Een ander gesprek")
    start = (await db_call(lambda: type(public_group).objects.get(pk=public_group.pk))).last_seq
    await db_call(_post, member, other, "Elders 1")
    here = await db_call(_post, member, meetup.thread, "In de zaal")
    await db_call(_post, member, other, "Elders 2")
    last = (await db_call(lambda: type(public_group).objects.get(pk=public_group.pk))).last_seq

    _, guest_ws = await connect(guest)
    catch_up, subscribed = await guest_ws.subscribe(public_group, after_seq=start)
    assert [f["message"]["id"] for f in catch_up] == [here.pk]
    assert subscribed["last_seq"] == last  # the withheld events advanced it: no gap, no resync

    _, member_ws = await connect(member)
    member_catch_up, _ = await member_ws.subscribe(public_group, after_seq=start)
    assert len([f for f in member_catch_up if f["type"] == "message.created"]) == 3

    # Live after catch-up: the guest's next frame is the meetup's message, not the other one.
    await db_call(_post, member, other, "Elders 3")
    latest = await db_call(_post, member, meetup.thread, "Nog eentje")
    assert (await guest_ws.expect("message.created"))["message"]["id"] == latest.pk


@ws
async def test_an_expired_guest_loses_its_subscription_at_the_next_ping(
    connect, db_call, public_group, meetup
):
    await db_call(make_live, meetup)
    guest = await db_call(make_guest, meetup)
    _, guest_ws = await connect(guest)
    await guest_ws.subscribe(public_group)
    await db_call(
        lambda: Guest.objects.filter(user=guest).update(expires_at=timezone.now() - timedelta(seconds=1))
    )
    await guest_ws.send("ping")
    frame = await guest_ws.expect("unsubscribed")
    assert frame == {"type": "unsubscribed", "group": public_group.slug, "reason": "expired"}
    await guest_ws.expect("pong")
    await guest_ws.send("subscribe", group=public_group.slug)
    assert (await guest_ws.expect("error"))["code"] == "not_found"
    await guest_ws.send_message(meetup.thread, "Nog iemand?")
    assert (await guest_ws.expect("error"))["code"] == "not_found"
