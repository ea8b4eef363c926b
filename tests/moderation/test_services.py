"""moderation.services through its public functions: the state after each action, exactly one audit
entry, the sequenced event `backend.realtime` published (after commit, on the real Redis layer) and
the notice on the affected member's own channel; then the checks in the send and join paths."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from backend.exceptions import PermissionDenied, ValidationFailed
from chat import services as chat_services
from chat.events import redact
from chat.models import GroupEvent, Message, Thread
from chat.selectors import group_events_after
from groups import services as group_services
from groups.models import Group, Membership
from moderation import services
from moderation.errors import Banned, Muted, SlowModeActive, ThreadLocked
from moderation.models import AuditEntry, Sanction, SlowMode
from tests.conftest import add_member, make_group, make_library, make_user


@pytest.fixture
def thread(public_group, member) -> Thread:
    return chat_services.thread_create(actor=member, group=public_group, title="Zonnepanelen")


def send(author, thread: Thread, body: str = "Hallo") -> Message:
    return chat_services.message_send(author=author, thread=thread, body=body, client_id=uuid.uuid4()).message


@pytest.fixture
def message(member, thread) -> Message:
    return send(member, thread, "Een **scherp** bericht")


class Outcome:
    def __init__(self, result: Any, received: list[dict[str, Any]], audit: list[AuditEntry]) -> None:
        self.result = result
        self.events = [m["event"] for m in received if m["type"] == "group.event"]
        self.user_events = [m["event"] for m in received if m["type"] == "user.event"]
        self.others = [m for m in received if m["type"] not in ("group.event", "user.event")]
        self.audit = audit


@pytest.fixture
def act(layer_listener, django_capture_on_commit_callbacks) -> Callable[..., Outcome]:
    """`act(fn, group, target_user_id)` runs one action, commits, and collects what it published
    to the group and to the target's sockets, and the audit entries it wrote."""

    def run(fn: Callable[[], Any], group: Group, target_id: int) -> Outcome:
        layer_listener.listen(group).listen_user(target_id)
        before = set(AuditEntry.objects.values_list("pk", flat=True))
        with django_capture_on_commit_callbacks(execute=True):
            result = fn()
        audit = list(AuditEntry.objects.exclude(pk__in=before))
        return Outcome(result, layer_listener.received(), audit)

    return run


def last_seq(group: Group) -> int:
    return Group.objects.get(pk=group.pk).last_seq


def assert_one_audit(outcome: Outcome, *, action: str, actor, group: Group, **fields: Any) -> AuditEntry:
    [entry] = outcome.audit
    assert (entry.action, entry.actor_id, entry.group_id, entry.library_id) == (
        action,
        actor.pk,
        group.pk,
        group.library_id,
    )
    for key, value in fields.items():
        assert getattr(entry, key) == value, key
    return entry


def assert_notice(outcome: Outcome, *, action: str, group: Group, reason: str, **extra: Any) -> None:
    [notice] = [e for e in outcome.user_events if e["type"] == "moderation.notice"]
    assert notice["action"] == action
    assert notice["group"] == group.slug
    assert notice["reason"] == reason
    for key, value in extra.items():
        assert notice[key] == value, key


def assert_sequenced(outcome: Outcome, group: Group, event_type: str) -> dict[str, Any]:
    [event] = outcome.events
    assert event["type"] == event_type
    assert event["group"] == group.slug
    assert event["seq"] == last_seq(group)
    assert GroupEvent.objects.get(group=group, seq=event["seq"]).type == event_type
    return event


# --- message actions ---------------------------------------------------------------------------


def test_hide_withholds_the_text_and_tells_the_author(act, public_group, librarian, member, message):
    outcome = act(
        lambda: services.message_hide(actor=librarian, message=message, reason="Persoonlijke aanval"),
        public_group,
        member.pk,
    )
    message.refresh_from_db()
    assert message.hidden_at is not None and message.removed_at is None
    assert message.moderation_reason == "Persoonlijke aanval"
    assert message.body == "Een **scherp** bericht"  # kept for moderators and appeals
    assert_one_audit(
        outcome,
        action="hide",
        actor=librarian,
        group=public_group,
        target_user_id=member.pk,
        message_id=message.pk,
        reason="Persoonlijke aanval",
        before={"state": "visible"},
        after={"state": "hidden"},
    )
    event = assert_sequenced(outcome, public_group, "message.hidden")
    # Published in the moderator's form; consumers redact per viewer.
    assert event["message"]["body"] == "Een **scherp** bericht"
    assert event["message"]["moderation"] == {"state": "hidden", "reason": "Persoonlijke aanval"}
    withheld = redact(event, moderator=False)["message"]
    assert (withheld["body"], withheld["html"], withheld["deleted"]) == ("", "", False)
    assert withheld["moderation"] == {"state": "hidden", "reason": "Persoonlijke aanval"}
    assert_notice(
        outcome,
        action="hide",
        group=public_group,
        reason="Persoonlijke aanval",
        message=message.pk,
        thread=message.thread_id,
    )


def test_unhide_restores_the_message(act, public_group, host, member, message):
    services.message_hide(actor=host, message=message, reason="Even nakijken")
    outcome = act(lambda: services.message_unhide(actor=host, message=message), public_group, member.pk)
    message.refresh_from_db()
    assert message.hidden_at is None and message.moderation_reason == ""
    assert_one_audit(outcome, action="unhide", actor=host, group=public_group, before={"state": "hidden"})
    event = assert_sequenced(outcome, public_group, "message.unhidden")
    assert redact(event, moderator=False)["message"]["body"] == "Een **scherp** bericht"
    assert event["message"]["moderation"] is None
    assert_notice(outcome, action="unhide", group=public_group, reason="")


def test_remove_leaves_a_tombstone_for_members(act, public_group, librarian, member, message):
    outcome = act(
        lambda: services.message_remove(actor=librarian, message=message, reason="Spam"),
        public_group,
        member.pk,
    )
    message.refresh_from_db()
    assert message.removed_at is not None and message.body == "Een **scherp** bericht"
    assert_one_audit(
        outcome, action="remove", actor=librarian, group=public_group, after={"state": "removed"}
    )
    event = assert_sequenced(outcome, public_group, "message.removed")
    tombstone = redact(event, moderator=False)["message"]
    assert (tombstone["body"], tombstone["html"], tombstone["deleted"]) == ("", "", True)
    assert tombstone["moderation"] == {"state": "removed", "reason": "Spam"}
    marked = redact(event, moderator=True)["message"]
    assert marked["body"] == "Een **scherp** bericht" and marked["deleted"] is False
    assert_notice(outcome, action="remove", group=public_group, reason="Spam")


@pytest.mark.parametrize("action", ["hide", "remove"])
def test_hide_and_remove_need_a_reason(public_group, librarian, message, action):
    fn = services.message_hide if action == "hide" else services.message_remove
    with pytest.raises(ValidationFailed):
        fn(actor=librarian, message=message, reason="  ")
    assert AuditEntry.objects.count() == 0
    assert Message.objects.get(pk=message.pk).hidden_at is None


def test_a_removed_message_cannot_be_hidden_or_unhidden(librarian, message):
    services.message_remove(actor=librarian, message=message, reason="Spam")
    for fn in (services.message_hide, services.message_unhide, services.message_remove):
        with pytest.raises(ValidationFailed):
            fn(actor=librarian, message=message, reason="Nogmaals")
    assert AuditEntry.objects.count() == 1


def test_pin_and_unpin(act, public_group, host, member, message):
    outcome = act(
        lambda: services.message_pin(actor=host, message=message, pinned=True), public_group, member.pk
    )
    assert Message.objects.get(pk=message.pk).pinned_at is not None
    assert_one_audit(outcome, action="pin", actor=host, group=public_group, after={"pinned": True})
    assert assert_sequenced(outcome, public_group, "message.pinned")["message"]["pinned"] is True

    outcome = act(
        lambda: services.message_pin(actor=host, message=message, pinned=False), public_group, member.pk
    )
    assert Message.objects.get(pk=message.pk).pinned_at is None
    assert_one_audit(outcome, action="unpin", actor=host, group=public_group, after={"pinned": False})
    assert assert_sequenced(outcome, public_group, "message.unpinned")["message"]["pinned"] is False
    with pytest.raises(ValidationFailed):
        services.message_pin(actor=host, message=message, pinned=False)


# --- thread and group actions ------------------------------------------------------------------


def test_lock_and_unlock_a_thread(act, public_group, host, member, thread):
    outcome = act(
        lambda: services.thread_lock(actor=host, thread=thread, locked=True, reason="Afgerond"),
        public_group,
        member.pk,
    )
    thread.refresh_from_db()
    assert thread.locked_at is not None and thread.locked_by_id == host.pk
    assert_one_audit(
        outcome, action="lock", actor=host, group=public_group, thread_id=thread.pk, reason="Afgerond"
    )
    event = assert_sequenced(outcome, public_group, "thread.locked")
    assert event["thread"]["id"] == thread.pk and event["thread"]["locked"] is True

    outcome = act(
        lambda: services.thread_lock(actor=host, thread=thread, locked=False), public_group, member.pk
    )
    thread.refresh_from_db()
    assert thread.locked_at is None and thread.locked_by_id is None
    assert_one_audit(outcome, action="unlock", actor=host, group=public_group)
    assert assert_sequenced(outcome, public_group, "thread.unlocked")["thread"]["locked"] is False
    with pytest.raises(ValidationFailed):
        services.thread_lock(actor=host, thread=thread, locked=False)


def test_slow_mode_for_the_group_and_for_a_thread(act, public_group, host, member, thread):
    outcome = act(
        lambda: services.slow_mode_set(actor=host, group=public_group, seconds=30), public_group, member.pk
    )
    assert SlowMode.objects.get(group=public_group, thread=None).seconds == 30
    assert_one_audit(
        outcome,
        action="slow_mode",
        actor=host,
        group=public_group,
        before={"seconds": 0},
        after={"seconds": 30},
    )
    event = assert_sequenced(outcome, public_group, "group.slow_mode")
    assert (event["thread"], event["seconds"]) == (None, 30)

    outcome = act(
        lambda: services.slow_mode_set(actor=host, group=public_group, seconds=120, thread=thread),
        public_group,
        member.pk,
    )
    assert SlowMode.objects.get(group=public_group, thread=thread).seconds == 120
    assert (assert_sequenced(outcome, public_group, "group.slow_mode")["thread"]) == thread.pk

    outcome = act(
        lambda: services.slow_mode_set(actor=host, group=public_group, seconds=0), public_group, member.pk
    )
    assert not SlowMode.objects.filter(group=public_group, thread=None).exists()
    assert_one_audit(outcome, action="slow_mode", actor=host, group=public_group, after={"seconds": 0})
    # Catch-up replays it too.
    replay = group_events_after(group=public_group, after_seq=last_seq(public_group) - 1).events
    assert replay[-1]["type"] == "group.slow_mode" and replay[-1]["seconds"] == 0


# --- member actions ----------------------------------------------------------------------------


def test_mute(act, public_group, librarian, member):
    outcome = act(
        lambda: services.member_mute(
            actor=librarian, group=public_group, user=member, reason="Rustig aan", minutes=10
        ),
        public_group,
        member.pk,
    )
    sanction = outcome.result
    assert (sanction.kind, sanction.group_id, sanction.user_id) == ("mute", public_group.pk, member.pk)
    assert timedelta(minutes=9) < sanction.ends_at - timezone.now() <= timedelta(minutes=10)
    until = sanction.ends_at.isoformat().replace("+00:00", "Z")
    assert_one_audit(
        outcome,
        action="mute",
        actor=librarian,
        group=public_group,
        target_user_id=member.pk,
        after={"until": until},
    )
    assert outcome.events == []  # nothing for the group to see
    assert_notice(outcome, action="mute", group=public_group, reason="Rustig aan", until=until)
    assert Membership.objects.filter(group=public_group, user=member).exists()  # still reads

    outcome = act(
        lambda: services.sanction_lift(actor=librarian, group=public_group, user=member, kind="mute"),
        public_group,
        member.pk,
    )
    assert Sanction.objects.get(pk=sanction.pk).lifted_at is not None
    assert_one_audit(outcome, action="unmute", actor=librarian, group=public_group, target_user_id=member.pk)
    assert_notice(outcome, action="unmute", group=public_group, reason="")


def test_ban_ends_membership_revokes_delivery_and_refuses_join(act, public_group, librarian, member):
    outcome = act(
        lambda: services.member_ban(
            actor=librarian, group=public_group, user=member, reason="Herhaald schelden"
        ),
        public_group,
        member.pk,
    )
    assert outcome.result.kind == "ban" and outcome.result.group_id == public_group.pk
    assert not Membership.objects.filter(group=public_group, user=member).exists()
    assert_one_audit(
        outcome,
        action="ban",
        actor=librarian,
        group=public_group,
        target_user_id=member.pk,
        after={"until": None, "library_wide": False},
    )
    assert outcome.events == []
    assert_notice(outcome, action="ban", group=public_group, reason="Herhaald schelden", library_wide=False)
    assert {
        "type": "group.revoked",
        "group_id": public_group.pk,
        "user_id": member.pk,
        "reason": "banned",
    } in outcome.others

    with pytest.raises(Banned) as refused:
        group_services.group_join(actor=member, group=public_group)
    assert refused.value.as_payload()["code"] == "banned"

    outcome = act(
        lambda: services.sanction_lift(actor=librarian, group=public_group, user=member, kind="ban"),
        public_group,
        member.pk,
    )
    assert_one_audit(outcome, action="unban", actor=librarian, group=public_group, target_user_id=member.pk)
    assert_notice(outcome, action="unban", group=public_group, reason="")
    group_services.group_join(actor=member, group=public_group)  # welcome back


def test_a_ban_with_an_end_lapses(public_group, librarian, member):
    services.member_ban(
        actor=librarian,
        group=public_group,
        user=member,
        reason="Afkoelen",
        until=timezone.now() + timedelta(hours=1),
    )
    with pytest.raises(Banned) as refused:
        group_services.group_join(actor=member, group=public_group)
    assert 3500 < refused.value.as_payload()["retry_after"] <= 3600
    Sanction.objects.update(ends_at=timezone.now() - timedelta(seconds=1))
    group_services.group_join(actor=member, group=public_group)


def test_library_wide_ban_covers_every_group_of_the_library(
    act, library, librarian, public_group, closed_group, member
):
    later = make_group(library, creator=librarian)
    add_member(later, member)
    elsewhere = make_group(make_library("Andere bieb"))
    add_member(elsewhere, member)

    outcome = act(
        lambda: services.member_ban(
            actor=librarian, group=public_group, user=member, reason="Overal spam", library_wide=True
        ),
        public_group,
        member.pk,
    )
    assert outcome.result.group_id is None and outcome.result.library_id == library.pk
    assert_one_audit(
        outcome,
        action="ban",
        actor=librarian,
        group=public_group,
        after={"until": None, "library_wide": True},
    )
    revoked = {m["group_id"] for m in outcome.others if m["type"] == "group.revoked"}
    assert revoked == {public_group.pk, closed_group.pk, later.pk}
    assert list(Membership.objects.filter(user=member).values_list("group_id", flat=True)) == [elsewhere.pk]

    newer = make_group(library, creator=librarian)  # also groups founded after the ban
    for group in (public_group, later, newer):
        with pytest.raises(Banned):
            group_services.group_join(actor=member, group=group)
    add_member(newer, member)  # a membership that slipped through still cannot post
    with pytest.raises(Banned):
        chat_services.ensure_may_send(author=member, group=newer, new_message=True)
    chat_services.ensure_may_send(author=member, group=elsewhere, new_message=True)  # other library


def test_only_librarians_ban_library_wide(public_group, member, librarian):
    group_librarian = make_user("Groepsbibliothecaris")  # librarian role in the group, not of the library
    add_member(public_group, group_librarian, role="librarian")
    with pytest.raises(PermissionDenied):
        services.member_ban(
            actor=group_librarian, group=public_group, user=member, reason="x", library_wide=True
        )
    services.member_ban(actor=group_librarian, group=public_group, user=member, reason="x")
    other = make_user()
    services.member_ban(actor=librarian, group=public_group, user=other, reason="x", library_wide=True)
    with pytest.raises(PermissionDenied):  # ... nor lift one
        services.sanction_lift(actor=group_librarian, group=public_group, user=other, kind="ban")
    services.sanction_lift(actor=librarian, group=public_group, user=other, kind="ban")
    assert AuditEntry.objects.filter(action="ban").count() == 2


def test_kick_closes_the_members_sockets(act, public_group, librarian, member):
    outcome = act(
        lambda: services.member_kick(
            actor=librarian, group=public_group, user=member, reason="Even afkoelen"
        ),
        public_group,
        member.pk,
    )
    assert_one_audit(outcome, action="kick", actor=librarian, group=public_group, target_user_id=member.pk)
    assert_notice(outcome, action="kick", group=public_group, reason="Even afkoelen")
    assert {"type": "user.kicked", "reason": "Even afkoelen"} in outcome.others
    assert Membership.objects.filter(group=public_group, user=member).exists()  # may reconnect


@pytest.mark.parametrize("who", ["self", "staff", "librarian"])
def test_moderators_are_not_sanctioned_by_peers(public_group, librarian, staff, who):
    target = {"self": librarian, "staff": staff, "librarian": make_user()}[who]
    if who == "librarian":
        group_services.librarian_add(library=public_group.library, user=target)
    for fn in (services.member_mute, services.member_ban, services.member_kick):
        with pytest.raises(PermissionDenied):
            fn(actor=librarian, group=public_group, user=target, reason="x")
    assert AuditEntry.objects.count() == 0


# --- redaction: history and catch-up -----------------------------------------------------------


def test_catch_up_gives_members_the_withheld_form_and_moderators_the_marked_original(
    public_group, librarian, member, thread
):
    hidden = send(member, thread, "Verborgen tekst")
    removed = send(member, thread, "Verwijderde tekst")
    visible = send(member, thread, "Gewone tekst")
    chat_services.reaction_add(actor=member, message=hidden, emoji="👍")
    services.message_hide(actor=librarian, message=hidden, reason="Off-topic")
    services.message_remove(actor=librarian, message=removed, reason="Spam")

    events = group_events_after(group=public_group, after_seq=0).events
    by_message: dict[int, list[dict]] = {}
    for event in events:
        if "message" in event:
            by_message.setdefault(event["message"]["id"], []).append(event)
    assert events[-2]["type"] == "message.hidden" and events[-1]["type"] == "message.removed"

    for event in by_message[hidden.pk]:  # every replayed event about it, created included
        as_member = redact(event, moderator=False)["message"]
        assert (as_member["body"], as_member["html"], as_member["reactions"]) == ("", "", [])
        assert as_member["deleted"] is False
        assert as_member["moderation"] == {"state": "hidden", "reason": "Off-topic"}
        as_moderator = redact(event, moderator=True)["message"]
        assert as_moderator["body"] == "Verborgen tekst" and as_moderator["html"]
        assert as_moderator["moderation"] == {"state": "hidden", "reason": "Off-topic"}
    for event in by_message[removed.pk]:
        as_member = redact(event, moderator=False)["message"]
        assert (as_member["body"], as_member["html"], as_member["deleted"]) == ("", "", True)
        assert as_member["moderation"]["state"] == "removed"
        as_moderator = redact(event, moderator=True)["message"]
        assert as_moderator["body"] == "Verwijderde tekst" and as_moderator["deleted"] is False
    for event in by_message[visible.pk]:
        assert redact(event, moderator=False) == event


# --- the send path -----------------------------------------------------------------------------


def test_muted_members_read_but_cannot_write(public_group, librarian, member, thread):
    message = send(member, thread)
    services.member_mute(actor=librarian, group=public_group, user=member, reason="Rust", minutes=15)
    with pytest.raises(Muted) as refused:
        send(member, thread)
    payload = refused.value.as_payload()
    assert payload["code"] == "muted"
    assert payload["until"].endswith("Z")
    assert 14 * 60 < payload["retry_after"] <= 15 * 60
    assert payload["reason"] == "Rust"
    for write in (
        lambda: chat_services.message_edit(actor=member, message=message, body="Anders"),
        lambda: chat_services.reaction_add(actor=member, message=message, emoji="👍"),
        lambda: chat_services.thread_create(actor=member, group=public_group, title="Nieuw"),
    ):
        with pytest.raises(Muted):
            write()
    assert Message.objects.filter(author=member).count() == 1


def test_an_open_ended_mute_has_no_retry_after(public_group, librarian, member, thread):
    services.member_mute(actor=librarian, group=public_group, user=member, reason="Rust")
    with pytest.raises(Muted) as refused:
        send(member, thread)
    payload = refused.value.as_payload()
    assert payload["until"] is None and "retry_after" not in payload


def test_banned_members_cannot_send(public_group, librarian, member, thread):
    services.member_ban(actor=librarian, group=public_group, user=member, reason="Weg")
    with pytest.raises(Banned):  # the ban ended the membership, but the answer says why
        send(member, thread)
    add_member(public_group, member)  # and were it back somehow, the ban still holds
    with pytest.raises(Banned) as refused:
        send(member, thread)
    assert refused.value.as_payload()["code"] == "banned"
    assert not Message.objects.filter(author=member).exists()


def test_locked_thread_refuses_members_but_not_moderators(
    public_group, host, librarian, staff, member, thread
):
    services.thread_lock(actor=host, thread=thread, locked=True)
    with pytest.raises(ThreadLocked) as refused:
        send(member, thread)
    assert refused.value.as_payload()["code"] == "thread_locked"
    for moderator in (host, librarian, staff):
        send(moderator, thread, f"Van {moderator.display_name}")
    other = chat_services.thread_create(actor=member, group=public_group, title="Elders")
    send(member, other)  # only that thread


def test_slow_mode_limits_members_and_exempts_moderators(public_group, host, librarian, member, thread):
    services.slow_mode_set(actor=host, group=public_group, seconds=60)
    send(member, thread)
    with pytest.raises(SlowModeActive) as refused:
        send(member, thread)
    payload = refused.value.as_payload()
    assert payload["code"] == "slow_mode"
    assert 55 <= payload["retry_after"] <= 60
    other = chat_services.thread_create(actor=librarian, group=public_group, title="Elders")
    with pytest.raises(SlowModeActive):  # group-wide: every thread
        send(member, other)
    for _ in range(3):
        send(host, thread)
        send(librarian, thread)
    Message.objects.filter(author=member).update(created_at=timezone.now() - timedelta(seconds=61))
    send(member, thread)


def test_thread_slow_mode_applies_to_that_thread_only(public_group, host, member, thread):
    services.slow_mode_set(actor=host, group=public_group, seconds=60, thread=thread)
    other = chat_services.thread_create(actor=host, group=public_group, title="Elders")
    send(member, thread)
    with pytest.raises(SlowModeActive):
        send(member, thread)
    send(member, other)
    send(member, other)


# --- the audit log is append-only --------------------------------------------------------------


@pytest.fixture
def entry(public_group, librarian, member, message) -> AuditEntry:
    services.message_hide(actor=librarian, message=message, reason="Off-topic")
    return AuditEntry.objects.get()


def test_audit_entries_cannot_be_changed_through_the_orm(entry):
    entry.reason = "Anders"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(reason="Anders")
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).reason == "Off-topic"


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE moderation_auditentry SET reason = 'Anders'",
        "UPDATE moderation_auditentry SET action = 'unhide'",
        "UPDATE moderation_auditentry SET after = '{}'::jsonb",
        "UPDATE moderation_auditentry SET created_at = now() - interval '1 day'",
        "UPDATE moderation_auditentry SET actor_id = target_user_id",
        "DELETE FROM moderation_auditentry",
        "DELETE FROM moderation_auditentry WHERE id = %s",
    ],
)
def test_audit_entries_cannot_be_changed_in_the_database(entry, sql):
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk] if "%s" in sql else None)
    assert AuditEntry.objects.get(pk=entry.pk).reason == "Off-topic"


def test_deleting_a_referenced_user_keeps_the_entry(entry, librarian, member):
    member.delete()  # target, and author of the message (which goes with them)
    librarian.delete()  # actor
    kept = AuditEntry.objects.get(pk=entry.pk)
    assert (kept.actor_id, kept.target_user_id, kept.message_id) == (None, None, None)
    assert (kept.action, kept.reason, kept.before, kept.after) == (
        "hide",
        "Off-topic",
        {"state": "visible"},
        {"state": "hidden"},
    )
