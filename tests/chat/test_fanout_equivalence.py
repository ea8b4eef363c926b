"""The optimised fan-out (backend/broadcast.py: one frame per process, serialised once per kind of
viewer) delivers exactly what the per-member path delivered before it: for a scripted conversation
with hidden, held, approved, removed and edited messages, reactions, typing, a meetup and a ban,
each kind of member — author, moderator, muted member, banned member, meetup guest — receives
exactly the frames the former consumer made from the same published events: each event shaped by
`chat.events.redact` for that viewer, a guest's limited to its meetup, nobody's own typing, and
nothing after the viewer's access was revoked."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from chat import services as chat
from chat.events import redact
from chat.models import Message
from meetups.live import active_guest, guest_event_visible
from moderation import services as moderation
from tests.chat.conftest import make_thread
from tests.conftest import add_member, make_user
from tests.meetups.factories import make_guest, make_live, make_meetup

pytestmark = [pytest.mark.django_db(transaction=True)]


@dataclass
class Viewer:
    name: str
    user: Any
    moderator: bool = False
    guest_scope: Any = None
    ws: Any = None

    def expected(self, published: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """What the per-member path sent this viewer for the published frames, in order."""
        frames = []
        for message in published:
            kind = message["type"]
            if kind == "group.revoked" and message["user_id"] == self.user.pk:
                frames.append({"type": "unsubscribed", "group": GROUP_SLUG[0], "reason": message["reason"]})
                break
            event = message.get("event")
            if event is None or kind not in ("group.event", "group.ephemeral"):
                continue
            if self.guest_scope is not None and not guest_event_visible(event, self.guest_scope):
                continue
            if kind == "group.ephemeral":
                if event["type"] == "presence":
                    continue  # announced on a timer, coalesced: not part of the script
                if event["type"] == "typing" and event["user"]["id"] == self.user.pk:
                    continue
                frames.append(event)
            else:
                frames.append(redact(event, moderator=self.moderator, viewer_id=self.user.pk))
        return frames


GROUP_SLUG: list[str] = []


def _state(frame: dict[str, Any]) -> str | None:
    return ((frame.get("message") or {}).get("moderation") or {}).get("state")


def _cast(public_group, librarian, member):
    muted = make_user("Gedempt")
    banned = make_user("Verbannen")
    for user in (muted, banned):
        add_member(public_group, user)
    meetup = make_live(make_meetup(public_group, librarian))
    guest = make_guest(meetup)
    other = make_thread(public_group, member, "Een ander gesprek")
    moderation.word_filter_add(
        actor=librarian, library_id=public_group.library_id, phrase="spoiler", action="hold"
    )
    return muted, banned, meetup, guest, other, active_guest(user=guest)


def _script(*, librarian, member, muted, banned, meetup, other, public_group) -> None:
    """The conversation: every kind of change a group's sockets are told about."""

    def send(author, thread, body: str) -> Message:
        return chat.message_send(author=author, thread=thread, body=body, client_id=uuid.uuid4()).message

    welcome = send(member, meetup.thread, "Welkom in de zaal")
    elsewhere = send(member, other, "Elders in de groep")
    held = send(member, meetup.thread, "Een spoiler over het boek")  # held by the word list
    chat.typing_notify(actor=member, thread=meetup.thread)
    chat.typing_notify(actor=muted, thread=meetup.thread)
    moderation.message_hide(actor=librarian, message=welcome, reason="Buiten het onderwerp")
    chat.reaction_add(actor=muted, message=Message.objects.get(pk=elsewhere.pk), emoji="👍")
    chat.message_edit(actor=member, message=Message.objects.get(pk=elsewhere.pk), body="Elders, bewerkt")
    moderation.message_approve(actor=librarian, message=Message.objects.get(pk=held.pk))
    moderation.member_mute(actor=librarian, group=public_group, user=muted, reason="Even rustig")
    moderation.message_remove(actor=librarian, message=Message.objects.get(pk=elsewhere.pk), reason="Spam")
    moderation.member_ban(actor=librarian, group=public_group, user=banned, reason="Herhaald schelden")
    send(member, meetup.thread, "Na de ban")
    moderation.message_unhide(actor=librarian, message=Message.objects.get(pk=welcome.pk))
    chat.message_delete(actor=member, message=Message.objects.get(pk=welcome.pk))


async def test_every_kind_of_member_gets_what_the_per_member_path_gave(
    connect, db_call, layer_listener, public_group, librarian, member
):
    GROUP_SLUG[:] = [public_group.slug]
    muted, banned, meetup, guest, other, scope = await db_call(_cast, public_group, librarian, member)
    viewers = [
        Viewer("author", member),
        Viewer("moderator", librarian, moderator=True),
        Viewer("muted", muted),
        Viewer("banned", banned),
        Viewer("guest", guest, guest_scope=scope),
    ]
    for viewer in viewers:
        accepted, viewer.ws = await connect(viewer.user)
        assert accepted, viewer.name
        await viewer.ws.subscribe(public_group)
    await db_call(layer_listener.listen, public_group)

    await db_call(
        _script,
        librarian=librarian,
        member=member,
        muted=muted,
        banned=banned,
        meetup=meetup,
        other=other,
        public_group=public_group,
    )
    published = await db_call(layer_listener.received)
    kinds = {m["type"] for m in published}
    assert {"group.event", "group.ephemeral", "group.revoked"} <= kinds, kinds

    for viewer in viewers:
        expected = viewer.expected(published)
        await viewer.ws.send("ping")
        received = []
        while (frame := await viewer.ws.next(ignore=("presence", "moderation.notice", "unread"))) != {
            "type": "pong"
        }:
            received.append(frame)
        assert received == expected, f"{viewer.name}:\n{json.dumps(received, indent=1)[:3000]}"

    # The script really exercised every shaping: withheld for members, whole for moderators and for
    # the author of a held message, nothing after the ban, only the meetup for the guest.
    by_name = {v.name: v.expected(published) for v in viewers}
    hidden = [f for f in by_name["muted"] if f["type"] == "message.hidden"]
    assert hidden and hidden[0]["message"]["body"] == ""
    assert [f for f in by_name["moderator"] if f["type"] == "message.hidden"][0]["message"]["body"]
    author_held = [f for f in by_name["author"] if _state(f) == "held"]
    muted_held = [f for f in by_name["muted"] if _state(f) == "held"]
    assert author_held and author_held[0]["message"]["body"] and muted_held[0]["message"]["body"] == ""
    assert by_name["banned"][-1]["type"] == "unsubscribed"
    assert len(by_name["banned"]) < len(by_name["muted"])
    assert all(
        f.get("message", {}).get("thread", meetup.thread_id) == meetup.thread_id for f in by_name["guest"]
    )
    assert len(by_name["guest"]) < len(by_name["muted"])
    assert any(f["type"] == "typing" for f in by_name["author"])
