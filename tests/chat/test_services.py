"""chat.services through its public functions: the database state after each write AND the events
`backend.realtime` published on the real Redis channel layer (only after commit)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import pytest

from backend.exceptions import NotFound, PermissionDenied, RateLimited
from chat import services
from chat.errors import BodyEmpty, BodyTooLong, InvalidEmoji, MessageDeleted
from chat.models import GroupEvent, Message, Reaction, ReadState, Thread
from chat.selectors import (
    access_message,
    access_thread,
    group_events_after,
    group_unread_counts,
    thread_unread_counts,
)
from groups import services as group_services
from groups.errors import NotAMember
from groups.models import Group, MembershipState
from tests.conftest import add_member, in_threads, make_group, make_library, make_user

MESSAGE_FIELDS = {
    "resources",
    "id",
    "group",
    "thread",
    "seq",
    "author",
    "body",
    "html",
    "created_at",
    "edited_at",
    "deleted",
    "reactions",
    "client_id",
    "pinned",
    "moderation",
}


@pytest.fixture
def thread(public_group, member) -> Thread:
    return services.thread_create(actor=member, group=public_group, title="Zonnepanelen")


@pytest.fixture
def send(member, thread) -> Callable[..., Message]:
    """`send(body, author=member, in_thread=thread)` → the stored message (on-commit not run)."""

    def _send(body: str = "Hallo", *, author=member, in_thread=thread) -> Message:
        return services.message_send(
            author=author, thread=in_thread, body=body, client_id=uuid.uuid4()
        ).message

    return _send


def last_seq(group: Group) -> int:
    return Group.objects.get(pk=group.pk).last_seq


def event_seqs(group: Group) -> list[int]:
    return list(GroupEvent.objects.filter(group=group).order_by("seq").values_list("seq", flat=True))


# --- send -------------------------------------------------------------------------------------


def test_send_stores_message_and_publishes_created_after_commit(
    public_group, member, thread, layer_listener, django_capture_on_commit_callbacks
):
    layer_listener.listen(public_group)
    client_id = uuid.uuid4()

    with django_capture_on_commit_callbacks() as callbacks:
        result = services.message_send(
            author=member, thread=thread, body="Wie komt er **donderdag**?", client_id=client_id
        )
        assert layer_listener.published() == []  # not committed yet: nothing has left
    for callback in callbacks:
        callback()

    message = Message.objects.get()
    assert result.created is True
    assert result.message.pk == message.pk
    assert message.body == "Wie komt er **donderdag**?"
    assert message.html == "<p>Wie komt er <strong>donderdag</strong>?</p>"
    assert message.seq == thread.seq + 1 == last_seq(public_group)
    assert GroupEvent.objects.get(seq=message.seq).type == "message.created"
    thread.refresh_from_db()
    assert thread.message_count == 1
    assert thread.last_message_at == message.created_at

    [event] = layer_listener.published()
    assert event["type"] == "message.created"
    assert event["group"] == public_group.slug
    assert event["seq"] == message.seq
    payload = event["message"]
    assert set(payload) == MESSAGE_FIELDS
    assert payload == {
        "id": message.pk,
        "group": public_group.slug,
        "thread": thread.pk,
        "seq": message.seq,
        "author": {"id": member.pk, "display_name": "Anouk"},
        "body": "Wie komt er **donderdag**?",
        "html": "<p>Wie komt er <strong>donderdag</strong>?</p>",
        "created_at": message.created_at.isoformat().replace("+00:00", "Z"),
        "edited_at": None,
        "deleted": False,
        "reactions": [],
        "client_id": str(client_id),
        "pinned": False,
        "moderation": None,
        "resources": [],
    }


def test_sender_has_read_their_own_message(member, thread, send):
    message = send("Eigen bericht")
    assert ReadState.objects.get(user=member, thread=thread).last_read_seq == message.seq


def test_thread_create_publishes_thread_created(
    public_group, member, layer_listener, django_capture_on_commit_callbacks
):
    layer_listener.listen(public_group)
    with django_capture_on_commit_callbacks(execute=True):
        thread = services.thread_create(actor=member, group=public_group, title="  Repair café  ")

    assert thread.title == "Repair café"
    assert thread.seq == 1 == last_seq(public_group)
    assert GroupEvent.objects.get(group=public_group).type == "thread.created"
    [event] = layer_listener.published()
    assert event == {
        "type": "thread.created",
        "group": public_group.slug,
        "seq": 1,
        "thread": {
            "id": thread.pk,
            "group": public_group.slug,
            "title": "Repair café",
            "created_by": {"id": member.pk, "display_name": "Anouk"},
            "created_at": thread.created_at.isoformat().replace("+00:00", "Z"),
            "last_message_at": None,
            "message_count": 0,
            "locked": False,
        },
    }


def test_thread_create_with_first_message_publishes_both_in_seq_order(
    public_group, member, layer_listener, django_capture_on_commit_callbacks
):
    layer_listener.listen(public_group)
    with django_capture_on_commit_callbacks(execute=True):
        thread = services.thread_create(
            actor=member, group=public_group, title="Boekenclub", body="Eerste bericht"
        )

    assert thread.message_count == 1
    assert [(e["type"], e["seq"]) for e in layer_listener.published()] == [
        ("thread.created", 1),
        ("message.created", 2),
    ]


@pytest.mark.parametrize(
    ("body", "error"),
    [("x" * 10_001, BodyTooLong), ("", BodyEmpty), ("  \n\t ", BodyEmpty)],
    ids=["too-long", "empty", "whitespace"],
)
def test_invalid_body_stores_and_publishes_nothing(
    public_group, member, thread, body, error, layer_listener, django_capture_on_commit_callbacks
):
    layer_listener.listen(public_group)
    seq_before = last_seq(public_group)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(error) as excinfo:
            services.message_send(author=member, thread=thread, body=body, client_id=uuid.uuid4())

    assert callbacks == []
    assert layer_listener.published() == []
    assert not Message.objects.exists()
    assert last_seq(public_group) == seq_before
    if error is BodyTooLong:
        assert excinfo.value.as_payload()["code"] == "body_too_long"
        assert excinfo.value.as_payload()["limit"] == 10_000


def test_body_of_exactly_the_limit_is_accepted(member, thread, send):
    assert len(send("x" * 10_000).body) == 10_000


def test_body_is_trimmed(send):
    assert send("  hallo  \n").body == "hallo"


def test_outsider_must_join_a_public_group_before_sending(public_group, outsider, thread):
    with pytest.raises(NotAMember):
        services.message_send(author=outsider, thread=thread, body="Hoi", client_id=uuid.uuid4())
    assert not Message.objects.exists()


def test_pending_member_cannot_send(closed_group, member):
    thread = services.thread_create(actor=member, group=closed_group, title="Intern")
    pending = make_user("Wachtend")
    add_member(closed_group, pending, state=MembershipState.PENDING)
    with pytest.raises(NotAMember):
        services.message_send(author=pending, thread=thread, body="Hoi", client_id=uuid.uuid4())


def test_closed_group_thread_is_not_found_for_outsiders(closed_group, member, outsider):
    thread = services.thread_create(actor=member, group=closed_group, title="Intern")
    with pytest.raises(NotFound):
        access_thread(user=outsider, thread_id=thread.pk)
    assert access_thread(user=member, thread_id=thread.pk) == thread


# --- client_id dedupe --------------------------------------------------------------------------


def test_retried_client_id_returns_the_original(
    public_group, member, thread, layer_listener, django_capture_on_commit_callbacks
):
    layer_listener.listen(public_group)
    client_id = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        first = services.message_send(author=member, thread=thread, body="Een", client_id=client_id)
    seq_after_first = last_seq(public_group)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        retry = services.message_send(author=member, thread=thread, body="Een (opnieuw)", client_id=client_id)

    assert retry.created is False
    assert retry.message.pk == first.message.pk
    assert retry.message.body == "Een"
    assert Message.objects.count() == 1
    assert last_seq(public_group) == seq_after_first
    assert callbacks == []
    assert [e["type"] for e in layer_listener.published()] == ["message.created"]


def test_same_client_id_from_different_authors_are_different_messages(member, other_member, thread):
    client_id = uuid.uuid4()
    a = services.message_send(author=member, thread=thread, body="A", client_id=client_id)
    b = services.message_send(author=other_member, thread=thread, body="B", client_id=client_id)
    assert a.created and b.created
    assert a.message.pk != b.message.pk


@pytest.mark.django_db(transaction=True)
def test_concurrent_senders_get_gapless_seqs(layer_listener):
    library = make_library()
    group = make_group(library)
    senders = [make_user(f"Afzender {i}") for i in range(20)]
    for sender in senders:
        add_member(group, sender)
    thread = services.thread_create(actor=senders[0], group=group, title="Drukte")
    layer_listener.listen(group)
    per_sender = 3

    def work(i: int) -> list[int]:
        author = senders[i]
        own_thread = Thread.objects.select_related("group").get(pk=thread.pk)
        return [
            services.message_send(
                author=author, thread=own_thread, body=f"{i}/{n}", client_id=uuid.uuid4()
            ).message.seq
            for n in range(per_sender)
        ]

    results = in_threads(len(senders), work)

    total = 1 + len(senders) * per_sender
    message_seqs = sorted(seq for seqs in results for seq in seqs)
    assert message_seqs == list(range(2, total + 1))
    assert last_seq(group) == total
    assert event_seqs(group) == list(range(1, total + 1))
    # Each GroupEvent row points at the message that took its seq.
    assert all(
        event.message is not None and event.message.seq == event.seq
        for event in GroupEvent.objects.filter(group=group, type="message.created").select_related("message")
    )
    assert sorted(Message.objects.filter(group=group).values_list("seq", flat=True)) == message_seqs
    assert Thread.objects.get(pk=thread.pk).message_count == len(message_seqs)
    published = layer_listener.published()
    assert sorted(e["seq"] for e in published) == message_seqs
    assert all(e["seq"] == e["message"]["seq"] for e in published)


@pytest.mark.django_db(transaction=True)
def test_same_client_id_from_two_threads_at_once_stores_one_message():
    library = make_library()
    group = make_group(library)
    author = make_user("Dubbel")
    add_member(group, author)
    thread = services.thread_create(actor=author, group=group, title="Haperend netwerk")
    rounds = 5

    for _ in range(rounds):
        client_id = uuid.uuid4()

        def work(_i: int, client_id=client_id) -> services.SendResult:
            own_thread = Thread.objects.select_related("group").get(pk=thread.pk)
            return services.message_send(
                author=author, thread=own_thread, body="Dubbel verstuurd", client_id=client_id
            )

        first, second = in_threads(2, work)
        stored = Message.objects.get(author=author, client_id=client_id)
        assert first.message.pk == second.message.pk == stored.pk
        assert sorted([first.created, second.created]) == [False, True]

    # The send that lost the race gave its seq back: still gapless.
    assert Message.objects.filter(group=group).count() == rounds
    assert event_seqs(group) == list(range(1, rounds + 2))
    assert last_seq(group) == rounds + 1


# --- edit / delete -----------------------------------------------------------------------------


def test_edit_stores_new_body_and_publishes_edited(
    public_group, member, send, layer_listener, django_capture_on_commit_callbacks
):
    message = send("Wie komt er **donderdag**?")
    layer_listener.listen(public_group)

    with django_capture_on_commit_callbacks(execute=True):
        services.message_edit(actor=member, message=message, body="Wie komt er **vrijdag**?")

    message.refresh_from_db()
    assert message.body == "Wie komt er **vrijdag**?"
    assert message.html == "<p>Wie komt er <strong>vrijdag</strong>?</p>"
    assert message.edited_at is not None
    assert last_seq(public_group) == message.seq + 1
    assert GroupEvent.objects.get(seq=message.seq + 1).type == "message.edited"
    [event] = layer_listener.published()
    assert event["type"] == "message.edited"
    assert event["seq"] == message.seq + 1
    assert event["message"]["seq"] == message.seq  # a message keeps the seq it was created with
    assert event["message"]["body"] == "Wie komt er **vrijdag**?"
    assert event["message"]["edited_at"] == message.edited_at.isoformat().replace("+00:00", "Z")


def test_edit_with_unchanged_body_takes_no_seq(public_group, member, send):
    message = send("Zelfde")
    before = last_seq(public_group)
    services.message_edit(actor=member, message=message, body="  Zelfde ")
    message.refresh_from_db()
    assert message.edited_at is None
    assert last_seq(public_group) == before


@pytest.mark.parametrize("who", ["other_member", "host", "librarian", "staff"])
def test_only_the_author_edits_or_deletes(
    request, public_group, send, who, layer_listener, django_capture_on_commit_callbacks
):
    actor = request.getfixturevalue(who)
    message = send("Van mij")
    before = last_seq(public_group)
    layer_listener.listen(public_group)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(PermissionDenied):
            services.message_edit(actor=actor, message=message, body="Van jou")
        with pytest.raises(PermissionDenied):
            services.message_delete(actor=actor, message=message)

    message.refresh_from_db()
    assert (message.body, message.deleted_at) == ("Van mij", None)
    assert last_seq(public_group) == before
    assert callbacks == []
    assert layer_listener.published() == []


def test_delete_leaves_a_tombstone_and_publishes_deleted(
    public_group, member, other_member, send, layer_listener, django_capture_on_commit_callbacks
):
    message = send("Geheim adres: Dorpsstraat 1")
    services.reaction_add(actor=other_member, message=message, emoji="👍")
    layer_listener.listen(public_group)

    with django_capture_on_commit_callbacks(execute=True):
        services.message_delete(actor=member, message=message)

    message.refresh_from_db()
    assert message.deleted_at is not None
    assert Message.objects.filter(pk=message.pk).exists()  # the tombstone keeps its place
    assert not Reaction.objects.filter(message=message).exists()
    assert GroupEvent.objects.get(seq=last_seq(public_group)).type == "message.deleted"
    [event] = layer_listener.published()
    assert event["type"] == "message.deleted"
    assert event["message"]["id"] == message.pk
    assert (event["message"]["deleted"], event["message"]["body"], event["message"]["html"]) == (
        True,
        "",
        "",
    )
    assert event["message"]["reactions"] == []
    assert "Dorpsstraat" not in json.dumps(event)


def test_deleted_message_can_not_be_edited_deleted_or_reacted_to(member, other_member, send):
    message = send("Weg ermee")
    services.message_delete(actor=member, message=message)
    with pytest.raises(MessageDeleted):
        services.message_edit(actor=member, message=message, body="Toch niet")
    with pytest.raises(MessageDeleted):
        services.message_delete(actor=member, message=message)
    with pytest.raises(MessageDeleted):
        services.reaction_add(actor=other_member, message=message, emoji="👍")


def test_deleted_text_is_not_replayed_in_catch_up(public_group, member, other_member, send):
    kept = send("Dit blijft")
    secret = send("Mijn telefoonnummer is 06-12345678")
    services.message_edit(actor=member, message=secret, body="Mijn nummer is 06-12345678!")
    services.reaction_add(actor=other_member, message=secret, emoji="🎉")
    services.message_delete(actor=member, message=secret)

    catch_up = group_events_after(group=public_group, after_seq=0)

    assert "12345678" not in json.dumps(catch_up.events)
    secret_events = [e for e in catch_up.events if e.get("message", {}).get("id") == secret.pk]
    assert [e["type"] for e in secret_events] == [
        "message.created",
        "message.edited",
        "reaction.changed",
        "message.deleted",
    ]
    assert all(e["message"]["deleted"] for e in secret_events)
    assert any(e.get("message", {}).get("body") == "Dit blijft" for e in catch_up.events)
    assert kept.pk in {e["message"]["id"] for e in catch_up.events if "message" in e}


# --- reactions ---------------------------------------------------------------------------------


def test_reactions_add_and_remove_publish_the_current_summary(
    public_group, member, other_member, send, layer_listener, django_capture_on_commit_callbacks
):
    message = send("Feest!")
    layer_listener.listen(public_group)

    with django_capture_on_commit_callbacks(execute=True):
        services.reaction_add(actor=other_member, message=message, emoji="🎉")
        services.reaction_add(actor=member, message=message, emoji="🎉")
        services.reaction_add(actor=member, message=message, emoji="🎉")  # already there: no change
        services.reaction_remove(actor=other_member, message=message, emoji="🎉")
        services.reaction_remove(actor=other_member, message=message, emoji="👍")  # not there

    assert list(Reaction.objects.values_list("user_id", "emoji")) == [(member.pk, "🎉")]
    events = layer_listener.published()
    assert [e["type"] for e in events] == ["reaction.changed"] * 3
    assert [e["seq"] for e in events] == [message.seq + 1, message.seq + 2, message.seq + 3]
    assert [e["message"]["reactions"] for e in events] == [
        [{"emoji": "🎉", "count": 1, "users": [other_member.pk]}],
        [{"emoji": "🎉", "count": 2, "users": [other_member.pk, member.pk]}],
        [{"emoji": "🎉", "count": 1, "users": [member.pk]}],
    ]
    assert last_seq(public_group) == message.seq + 3


def test_invalid_emoji_is_refused(
    public_group, member, send, layer_listener, django_capture_on_commit_callbacks
):
    message = send("Hoi")
    layer_listener.listen(public_group)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(InvalidEmoji):
            services.reaction_add(actor=member, message=message, emoji="🍕")
    assert not Reaction.objects.exists()
    assert callbacks == []
    assert layer_listener.published() == []


def test_outsider_can_not_react_in_a_public_group(outsider, send):
    message = send("Hoi")
    with pytest.raises(NotAMember):
        services.reaction_add(actor=outsider, message=message, emoji="👍")
    assert not Reaction.objects.exists()


def test_messages_in_closed_groups_are_not_found_for_outsiders(closed_group, member, outsider):
    thread = services.thread_create(actor=member, group=closed_group, title="Intern")
    message = services.message_send(
        author=member, thread=thread, body="Intern", client_id=uuid.uuid4()
    ).message
    with pytest.raises(NotFound):
        access_message(user=outsider, message_id=message.pk)


# --- catch-up ----------------------------------------------------------------------------------


def test_catch_up_returns_exactly_the_events_after_n_in_order(
    public_group, member, other_member, thread, send
):
    first = send("een")
    second = send("twee", author=other_member)
    services.message_edit(actor=member, message=first, body="één")
    services.reaction_add(actor=member, message=second, emoji="👀")
    services.message_delete(actor=other_member, message=second)
    third = send("drie")

    everything = group_events_after(group=public_group, after_seq=0)
    assert [(e["type"], e["seq"]) for e in everything.events] == [
        ("thread.created", 1),
        ("message.created", 2),
        ("message.created", 3),
        ("message.edited", 4),
        ("reaction.changed", 5),
        ("message.deleted", 6),
        ("message.created", 7),
    ]
    assert everything.last_seq == 7 == third.seq
    assert everything.resync_required is False

    later = group_events_after(group=public_group, after_seq=4)
    assert [e["seq"] for e in later.events] == [5, 6, 7]
    assert later.events == everything.events[4:]
    # Replays render the current state: the first message shows its edited body.
    assert everything.events[1]["message"]["body"] == "één"

    assert group_events_after(group=public_group, after_seq=7).events == []


def test_catch_up_from_the_future_asks_for_resync(public_group, send):
    send("een")
    catch_up = group_events_after(group=public_group, after_seq=99)
    assert catch_up.resync_required is True
    assert catch_up.events == []
    assert catch_up.last_seq == last_seq(public_group)


def test_more_missed_than_the_limit_asks_for_resync(settings, public_group, thread, send):
    settings.KENNISCLOUD = {**settings.KENNISCLOUD, "CATCH_UP_LIMIT": 10}
    for n in range(11):
        send(f"bericht {n}")
    assert last_seq(public_group) == 12

    at_limit = group_events_after(group=public_group, after_seq=2)  # exactly 10 missed
    assert at_limit.resync_required is False
    assert [e["seq"] for e in at_limit.events] == list(range(3, 13))

    beyond = group_events_after(group=public_group, after_seq=1)  # 11 missed
    assert beyond.resync_required is True
    assert beyond.events == []
    assert beyond.last_seq == 12


# --- rate limit --------------------------------------------------------------------------------


def test_twenty_first_message_in_the_window_is_rate_limited(
    settings,
    public_group,
    member,
    other_member,
    thread,
    send,
    layer_listener,
    django_capture_on_commit_callbacks,
):
    # A long window so the test never straddles a window boundary.
    settings.KENNISCLOUD = {**settings.KENNISCLOUD, "RATE_LIMIT_WINDOW": 3600}
    for n in range(20):
        send(f"bericht {n}")
    before = last_seq(public_group)
    layer_listener.listen(public_group)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RateLimited) as excinfo:
            send("nummer 21")

    payload = excinfo.value.as_payload()
    assert payload["code"] == "rate_limited"
    assert 1 <= payload["retry_after"] <= 3600
    assert Message.objects.filter(author=member).count() == 20
    assert last_seq(public_group) == before
    assert callbacks == []
    assert layer_listener.published() == []
    # The limit is per user: others can still talk.
    assert send("ik mag nog", author=other_member).body == "ik mag nog"


def test_rate_limit_rolls_back_a_thread_with_its_first_message(
    settings,
    public_group,
    member,
    thread,
    send,
    layer_listener,
    django_capture_on_commit_callbacks,
):
    settings.KENNISCLOUD = {**settings.KENNISCLOUD, "RATE_LIMIT_WINDOW": 3600}
    for n in range(20):
        send(f"bericht {n}")
    before = last_seq(public_group)
    layer_listener.listen(public_group)

    # thread_create takes a seq and queues thread.created before the first message hits the limit.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RateLimited):
            services.thread_create(actor=member, group=public_group, title="Nieuw", body="Hoi")

    assert Thread.objects.filter(group=public_group).count() == 1
    assert last_seq(public_group) == before
    assert event_seqs(public_group) == list(range(1, before + 1))
    assert callbacks == []
    assert layer_listener.published() == []


def test_retry_of_a_stored_message_is_not_rate_limited(settings, member, thread):
    settings.KENNISCLOUD = {**settings.KENNISCLOUD, "RATE_LIMIT_WINDOW": 3600}
    client_id = uuid.uuid4()
    for _ in range(25):
        services.message_send(author=member, thread=thread, body="Hoi", client_id=client_id)
    assert Message.objects.count() == 1


# --- markdown ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected", "forbidden"),
    [
        (
            "<script>alert(1)</script>",
            "&lt;script&gt;alert(1)&lt;/script&gt;",
            ["<script"],
        ),
        ('<img src="x" onerror="alert(1)">', "&lt;img", ["<img"]),
        ("[klik](javascript:alert(1))", "", ["href", "<a"]),
        ('<a href="javascript:alert(1)">klik</a>', "&lt;a", ["<a "]),
        (
            "[bieb](https://example.org/agenda)",
            '<a href="https://example.org/agenda" rel="nofollow noopener noreferrer ugc">bieb</a>',
            [],
        ),
        (
            "Zie https://example.org/x",
            '<a href="https://example.org/x" rel="nofollow noopener noreferrer ugc">',
            [],
        ),
        ("**vet** en _schuin_", "<strong>vet</strong> en <em>schuin</em>", []),
    ],
    ids=[
        "script",
        "img-onerror",
        "md-javascript-link",
        "html-javascript-link",
        "link",
        "autolink",
        "emphasis",
    ],
)
def test_markdown_is_rendered_safely(
    public_group, send, body, expected, forbidden, layer_listener, django_capture_on_commit_callbacks
):
    layer_listener.listen(public_group)
    with django_capture_on_commit_callbacks(execute=True):
        message = send(body)

    assert expected in message.html
    for fragment in forbidden:
        assert fragment not in message.html
    assert message.body == body  # the source is kept as typed
    [event] = layer_listener.published()
    assert event["message"]["html"] == message.html


# --- unread counts -----------------------------------------------------------------------------


def test_own_messages_are_never_unread(public_group, member, thread, send):
    for n in range(3):
        send(f"mijn bericht {n}")
    assert group_unread_counts(user=member, group_ids=[public_group.pk]).get(public_group.pk, 0) == 0
    assert thread_unread_counts(user=member, thread_ids=[thread.pk]).get(thread.pk, 0) == 0


def test_history_before_joining_is_not_unread(public_group, member, thread, send):
    for n in range(3):
        send(f"oud {n}")
    newcomer = make_user("Nieuw")
    membership = group_services.group_join(actor=newcomer, group=public_group)
    assert membership.read_floor_seq == last_seq(public_group)

    assert group_unread_counts(user=newcomer, group_ids=[public_group.pk]) == {}
    send("na het lid worden")
    assert group_unread_counts(user=newcomer, group_ids=[public_group.pk]) == {public_group.pk: 1}
    assert thread_unread_counts(user=newcomer, thread_ids=[thread.pk]) == {thread.pk: 1}


def test_read_position_moves_the_counts(
    public_group,
    member,
    other_member,
    thread,
    send,
    layer_listener,
    django_capture_on_commit_callbacks,
):
    other_thread = services.thread_create(actor=member, group=public_group, title="Ander gesprek")
    messages = [send(f"bericht {n}") for n in range(4)]
    send("elders", in_thread=other_thread)
    assert group_unread_counts(user=other_member, group_ids=[public_group.pk]) == {public_group.pk: 5}
    assert thread_unread_counts(user=other_member, thread_ids=[thread.pk, other_thread.pk]) == {
        thread.pk: 4,
        other_thread.pk: 1,
    }
    layer_listener.listen_user(other_member.pk)

    def mark_read(seq: int) -> int:
        fresh = access_thread(user=other_member, thread_id=thread.pk)  # the service's precondition
        return services.thread_mark_read(actor=other_member, thread=fresh, seq=seq)

    with django_capture_on_commit_callbacks(execute=True):
        remaining = mark_read(messages[1].seq)

    assert remaining == 2
    assert ReadState.objects.get(user=other_member, thread=thread).last_read_seq == messages[1].seq
    assert thread_unread_counts(user=other_member, thread_ids=[thread.pk, other_thread.pk]) == {
        thread.pk: 2,
        other_thread.pk: 1,
    }
    assert group_unread_counts(user=other_member, group_ids=[public_group.pk]) == {public_group.pk: 3}
    assert layer_listener.received() == [
        {
            "type": "user.event",
            "event": {"type": "unread", "group": public_group.slug, "thread": thread.pk, "count": 2},
        }
    ]

    # Reading never moves backwards, and a seq from the future is clamped to the group's last.
    assert mark_read(1) == 2
    assert mark_read(10**6) == 0
    assert ReadState.objects.get(user=other_member, thread=thread).last_read_seq == last_seq(public_group)
    assert group_unread_counts(user=other_member, group_ids=[public_group.pk]) == {public_group.pk: 1}


def test_deleted_messages_are_not_unread(public_group, member, other_member, send):
    message = send("even weg")
    services.message_delete(actor=member, message=message)
    assert group_unread_counts(user=other_member, group_ids=[public_group.pk]) == {}


@pytest.mark.parametrize("who", ["outsider", "pending"])
def test_people_without_an_active_membership_have_nothing_unread(request, public_group, thread, send, who):
    if who == "pending":
        user = make_user("Wachtend")
        add_member(public_group, user, state=MembershipState.PENDING)
    else:
        user = request.getfixturevalue(who)
    send("een")
    send("twee")
    assert group_unread_counts(user=user, group_ids=[public_group.pk]) == {}
    assert thread_unread_counts(user=user, thread_ids=[thread.pk]) == {}


def test_leaving_resets_unread_to_nothing(public_group, member, other_member, thread, send):
    send("een")
    group_services.group_leave(actor=other_member, group=public_group)
    assert thread_unread_counts(user=other_member, thread_ids=[thread.pk]) == {}


def test_outsider_can_not_mark_a_thread_read(public_group, outsider, thread, send):
    send("een")
    with pytest.raises(NotAMember):
        services.thread_mark_read(actor=outsider, thread=thread, seq=10)
    assert not ReadState.objects.filter(user=outsider).exists()


def test_other_writes_have_their_own_rate_limit(settings, member, thread, send):
    settings.KENNISCLOUD = {**settings.KENNISCLOUD, "RATE_LIMIT_WRITES": 4, "RATE_LIMIT_WINDOW": 3600}
    message = send("Reageer maar")
    for emoji in ("👍", "🎉"):
        services.reaction_add(actor=member, message=message, emoji=emoji)
        services.reaction_remove(actor=member, message=message, emoji=emoji)
    before = last_seq(thread.group)
    with pytest.raises(RateLimited):
        services.reaction_add(actor=member, message=message, emoji="💡")
    with pytest.raises(RateLimited):
        services.thread_create(actor=member, group=thread.group, title="Nog een")
    assert last_seq(thread.group) == before  # refused writes take no seq
    send("Nieuwe berichten tellen apart")  # the send bucket is separate


def test_erasing_a_member_keeps_the_event_log_gapless(public_group, member, other_member, thread, send):
    send("Van Anouk")
    services.message_send(author=other_member, thread=thread, body="Van Bram", client_id=uuid.uuid4())
    send("Weer van Anouk")
    member.delete()  # erasure: their messages go, their events keep their place

    events = group_events_after(group=public_group, after_seq=0).events
    assert [e["seq"] for e in events] == list(range(1, last_seq(public_group) + 1))
    assert [e["type"] for e in events] == ["thread.created", "gone", "message.created", "gone"]
    assert events[2]["message"]["body"] == "Van Bram"
