"""Moderation as connected clients see it, through the real ASGI application on the Redis channel
layer with data committed to PostgreSQL: a hide reaches every open window at once (members the
withheld form, moderators the marked original); a ban stops a group's delivery on all of a member's
sockets and refuses what they send afterwards; a kick closes their sockets.

Negative assertions use ordering, as in tests/chat/test_consumers.py: a later event on a path that
still works must be the next frame the socket sees."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from chat import services as chat_services
from chat.models import Message, Thread
from groups.models import Group
from moderation import services as moderation_services
from moderation.models import AuditEntry
from tests.chat.conftest import make_thread
from tests.conftest import add_member, make_group, make_user

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fast_password_hashing"),
]

CLOSE_KICKED = 4009
IGNORE = ("presence",)


def post(author, thread: Thread, body: str) -> Message:
    return chat_services.message_send(author=author, thread=thread, body=body, client_id=uuid.uuid4()).message


def last_seq(group: Group) -> int:
    return Group.objects.get(pk=group.pk).last_seq


async def test_a_hide_reaches_twenty_members_withheld_and_the_moderator_marked(
    connect, db_call, public_group, public_thread, librarian, member
):
    members = [await db_call(make_user, f"Lid {n}") for n in range(20)]
    for user in members:
        await db_call(add_member, public_group, user)
    message = await db_call(post, member, public_thread, "Iets wat niet door de beugel kan")

    sockets = []
    for user in members:
        accepted, ws = await connect(user)
        assert accepted
        await ws.subscribe(public_group)
        sockets.append(ws)
    _ok, moderator = await connect(librarian)
    await moderator.subscribe(public_group)

    started = time.monotonic()
    await moderator.send("message.hide", id=message.pk, reason="Persoonlijke aanval")
    marked = await moderator.expect("message.hidden", ignore=IGNORE)
    frames = await asyncio.gather(*(ws.expect("message.hidden", ignore=IGNORE) for ws in sockets))
    assert time.monotonic() - started < 1.0

    seq = await db_call(last_seq, public_group)
    assert marked["seq"] == seq
    assert marked["message"]["body"] == "Iets wat niet door de beugel kan"
    assert marked["message"]["html"]
    assert marked["message"]["moderation"] == {"state": "hidden", "reason": "Persoonlijke aanval"}
    for frame in frames:
        assert frame["seq"] == seq
        shown = frame["message"]
        assert shown["id"] == message.pk
        assert (shown["body"], shown["html"], shown["reactions"], shown["deleted"]) == ("", "", [], False)
        assert shown["moderation"] == {"state": "hidden", "reason": "Persoonlijke aanval"}
    assert await db_call(AuditEntry.objects.filter(action="hide").count) == 1

    # A late joiner catching up gets the same forms.
    _ok, late = await connect(members[0])
    catch_up, _subscribed = await late.subscribe(public_group, after_seq=seq - 1)
    assert [f["message"]["body"] for f in catch_up] == [""]
    _ok, late_moderator = await connect(librarian)
    catch_up, _subscribed = await late_moderator.subscribe(public_group, after_seq=seq - 1)
    assert [f["message"]["body"] for f in catch_up] == ["Iets wat niet door de beugel kan"]


async def test_a_ban_stops_delivery_on_every_tab_and_refuses_later_sends(
    connect, db_call, library, public_group, public_thread, librarian, member, other_member
):
    elsewhere = await db_call(make_group, library, creator=librarian)
    elsewhere_thread = await db_call(make_thread, elsewhere, librarian)
    await db_call(add_member, elsewhere, member)
    tabs = []
    for _ in range(2):
        _ok, tab = await connect(member)
        await tab.subscribe(public_group)
        await tab.subscribe(elsewhere)
        tabs.append(tab)
    _ok, witness = await connect(other_member)
    await witness.subscribe(public_group)
    _ok, moderator = await connect(librarian)

    started = time.monotonic()
    await moderator.send("member.ban", group=public_group.slug, member=member.pk, reason="Intimidatie")
    for tab in tabs:
        frames = [await tab.next(), await tab.next()]
        by_type = {f["type"]: f for f in frames}
        assert by_type["unsubscribed"] == {
            "type": "unsubscribed",
            "group": public_group.slug,
            "reason": "banned",
        }
        assert by_type["moderation.notice"]["action"] == "ban"
        assert by_type["moderation.notice"]["reason"] == "Intimidatie"
    assert time.monotonic() - started < 1.0

    # A later message in the group reaches the witness, not the banned tabs; their other group still
    # arrives — and first.
    await db_call(post, other_member, public_thread, "Na de ban")
    assert (await witness.expect("message.created"))["message"]["body"] == "Na de ban"
    await db_call(post, librarian, elsewhere_thread, "Elders")
    for tab in tabs:
        assert (await tab.expect("message.created"))["group"] == elsewhere.slug

    # What the banned member sends is refused and never broadcast.
    client_id = await tabs[0].send_message(public_thread, "Ik ben er nog")
    refused = await tabs[0].expect("error")
    assert refused["code"] in ("banned", "not_a_member")
    assert refused["client_id"] == client_id
    assert not await db_call(Message.objects.filter(author=member, thread=public_thread).exists)
    await db_call(post, other_member, public_thread, "Volgende")
    assert (await witness.expect("message.created"))["message"]["body"] == "Volgende"

    # Subscribing again, and joining again, are refused.
    await tabs[1].send("subscribe", group=public_group.slug)
    assert (await tabs[1].expect("error"))["code"] == "banned"
    _ok, fresh = await connect(member)
    await fresh.send("subscribe", group=public_group.slug)
    assert (await fresh.expect("error"))["code"] == "banned"


async def test_a_kick_closes_all_of_the_members_sockets_with_4009(
    connect, db_call, public_group, librarian, member, other_member
):
    tabs = []
    for token in (False, True):
        _ok, tab = await connect(member, token=token)
        await tab.subscribe(public_group)
        tabs.append(tab)
    _ok, bystander = await connect(other_member)
    await bystander.subscribe(public_group)
    _ok, moderator = await connect(librarian)

    await moderator.send("member.kick", group=public_group.slug, member=member.pk, reason="Even afkoelen")
    for tab in tabs:
        notice = await tab.expect("moderation.notice")
        assert (notice["action"], notice["reason"]) == ("kick", "Even afkoelen")
        assert await tab.closed_with() == CLOSE_KICKED
    await bystander.ping()  # untouched
    # They may reconnect: a kick is not a ban.
    accepted, again = await connect(member)
    assert accepted
    await again.subscribe(public_group)


async def test_a_host_cannot_kick_and_nothing_closes(connect, db_call, public_group, member, host):
    _ok, tab = await connect(member)
    _ok, as_host = await connect(host)
    await as_host.send("member.kick", group=public_group.slug, member=member.pk, reason="Weg")
    assert (await as_host.expect("error"))["code"] == "permission_denied"
    await tab.ping()


async def test_a_demoted_host_stops_receiving_hidden_text_after_the_next_ping(
    connect, db_call, public_group, public_thread, librarian, member, host
):
    from groups import services as group_services

    _ok, as_host = await connect(host)
    await as_host.subscribe(public_group)
    await db_call(
        group_services.membership_set_role,
        actor=librarian,
        group=public_group,
        user_id=host.pk,
        role="member",
    )
    await as_host.ping()  # the socket re-checks its roles
    message = await db_call(post, member, public_thread, "Scherpe woorden")
    await db_call(
        lambda: moderation_services.message_hide(
            actor=librarian,
            message=Message.objects.select_related("group").get(pk=message.pk),
            reason="Te scherp",
        )
    )
    await as_host.expect("message.created", ignore=IGNORE)
    hidden = await as_host.expect("message.hidden", ignore=IGNORE)
    assert hidden["message"]["body"] == ""
