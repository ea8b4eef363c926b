"""The reads that answer several checks at once agree with the checks they replace: a user's
standing read along with an access check, and the pings' shared re-check (chat.selectors.live_states)."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.exceptions import NotFound
from chat.models import Message
from chat.selectors import access_message, access_thread, access_thread_to_send, live_states
from groups.models import Group, MembershipState, Role
from groups.selectors import can_post, standings_remembered, visible_groups_q
from moderation.selectors import active_sanctions, is_moderator
from tests.conftest import add_member, make_group, make_library, make_user
from tests.moderation.test_permissions import build_world

from .conftest import make_thread

pytestmark = pytest.mark.django_db


def _actors(world) -> dict:
    users = {name: user for name, user in world.users.items() if user is not None}
    # Also: a pending member, a pending host, and a member with the group's librarian role.
    for name, role, state in (
        ("pending", Role.MEMBER, MembershipState.PENDING),
        ("pending_host", Role.HOST, MembershipState.PENDING),
        ("group_librarian", Role.LIBRARIAN, MembershipState.ACTIVE),
    ):
        users[name] = make_user(name)
        for place in world.places.values():
            add_member(place.group, users[name], role=role, state=state)
    return users


def test_the_pings_shared_recheck_agrees_with_visibility_and_roles():
    world = build_world()
    users = _actors(world)
    groups = [place.group for place in world.places.values()]
    extra = make_group(make_library("Derde bieb"), visibility="closed")  # nobody's group
    ids = [g.pk for g in [*groups, extra]]
    asks = [(user, ids) for user in users.values()]
    with CaptureQueriesContext(connection) as queries:
        states = live_states(asks)
    assert len(queries) == 3  # groups, memberships, librarians — for every socket at once
    for (user, _ids), (seqs, moderated) in zip(asks, states, strict=True):
        visible = Group.objects.filter(visible_groups_q(user), pk__in=ids)
        assert seqs == {g.pk: g.last_seq for g in visible}, user.display_name
        assert moderated == {g.pk for g in visible if is_moderator(user, g)}, user.display_name


def _for_send(*, user, thread_id):
    return access_thread_to_send(user=user, thread_id=thread_id, client_id=uuid.uuid4())


def _for_message(*, user, thread_id):
    """access_message on a message of the thread (edits, deletions, reactions, reports)."""
    message = access_message(user=user, message_id=Message.objects.filter(thread_id=thread_id).first().pk)
    assert message.thread.pk == thread_id and message.group.pk == message.thread.group_id
    assert message.author == Message.objects.get(pk=message.pk).author
    return message


@pytest.mark.parametrize(
    "access", [access_thread, _for_send, _for_message], ids=["access_thread", "to_send", "message"]
)
def test_the_send_path_reads_membership_and_role_with_the_access_check(access):
    world = build_world()
    users = _actors(world)
    checked = set()
    for place in world.places.values():
        for name, user in users.items():
            expected_post = can_post(user, place.group)
            expected_moderator = is_moderator(user, place.group)
            expected_sanctions = set(active_sanctions(user=user, group=place.group))
            try:
                Group.objects.filter(visible_groups_q(user)).get(pk=place.group.pk)
                expected_visible = True
            except Group.DoesNotExist:
                expected_visible = False
            with standings_remembered():
                try:
                    thread = access(user=user, thread_id=place.thread.pk)
                except NotFound:
                    assert not expected_visible, name
                    continue
                assert expected_visible, name
                with CaptureQueriesContext(connection) as queries:
                    assert can_post(user, thread.group) == expected_post, name
                    assert is_moderator(user, thread.group) == expected_moderator, name
                assert len(queries) == 0, name
                with CaptureQueriesContext(connection) as queries:
                    assert set(active_sanctions(user=user, group=thread.group)) == expected_sanctions, name
                # Read only for those who have one (the muted and the banned) — and for staff, whose
                # access check reads no standing (staff see every group).
                assert len(queries) == (1 if expected_sanctions or name == "staff" else 0), name
                checked.add(name)
    assert {"muted", "banned", "member", "librarian", "pending"} <= checked


@pytest.mark.parametrize("path", ["websocket", "rest"])
def test_a_message_is_sent_in_a_fixed_number_of_queries(member, public_group, librarian, path):
    from chat import services

    thread = make_thread(public_group, librarian)

    def send() -> list[str]:
        client_id = uuid.uuid4()
        with CaptureQueriesContext(connection) as queries, standings_remembered():
            if path == "websocket":
                target = access_thread_to_send(user=member, thread_id=thread.pk, client_id=client_id)
            else:
                target = access_thread(user=member, thread_id=thread.pk)
            services.message_send(
                author=member, thread=target, body="Wie komt er donderdag?", client_id=client_id
            )
        return [q["sql"][:80] for q in queries]

    first = send()  # also reads the library's word list and settings, then cached
    again = send()
    if path == "websocket":
        # access with standing, sanctions, retry probe and slow mode · the store (seq, message,
        # event, thread counters, read position: one statement, no BEGIN/COMMIT around it)
        assert len(again) == 2, again
    else:
        # access (with standing and sanctions) · retry probe · slow mode · the store
        assert len(again) == 4, again
    assert len(first) == len(again) + 2, first


def test_the_live_subscription_check_agrees_with_access_ban_and_role():
    from backend.exceptions import DomainError
    from chat.selectors import access_group_live
    from groups.selectors import access_group
    from moderation.checks import ensure_not_banned

    world = build_world()
    users = _actors(world)
    outcomes = set()
    for place in world.places.values():
        for name, user in users.items():
            try:
                group = access_group(user=user, slug=place.group.slug)
                ensure_not_banned(user=user, group=group)
                expected = ("ok", is_moderator(user, group))
            except DomainError as error:
                expected = (error.code, None)
            try:
                group, moderator = access_group_live(user=user, slug=place.group.slug)
                actual = ("ok", moderator)
            except DomainError as error:
                actual = (error.code, None)
            assert actual == expected, (name, place.group.visibility)
            outcomes.add(expected)
    assert {("ok", True), ("ok", False), ("not_found", None), ("banned", None)} <= outcomes


def test_the_send_probe_agrees_with_the_queries_it_replaces(member, public_group, librarian):
    from chat import services
    from moderation import services as moderation_services
    from moderation.selectors import slow_mode_seconds

    thread = make_thread(public_group, librarian)
    other = make_thread(public_group, librarian)
    sent = services.message_send(author=member, thread=thread, body="Eerder", client_id=uuid.uuid4())

    def probe(thread_id: int, client_id: uuid.UUID):
        return access_thread_to_send(user=member, thread_id=thread_id, client_id=client_id).send_probe

    assert probe(thread.pk, sent.message.client_id).stored_id == sent.message.pk
    assert probe(other.pk, sent.message.client_id).stored_id == sent.message.pk  # refused later
    assert probe(thread.pk, uuid.uuid4()).stored_id is None
    cases = [(None, 0, 0)]
    for scope, seconds in ((thread, 30), (None, 10), (other, 60), (None, 90)):
        moderation_services.slow_mode_set(actor=librarian, group=public_group, thread=scope, seconds=seconds)
        for target in (thread, other):
            expected = slow_mode_seconds(group=public_group, thread=target)  # the ORM query
            cases.append((scope, expected, probe(target.pk, uuid.uuid4()).slow_mode))
    assert all(expected == found for _, expected, found in cases), cases
    assert {found for *_, found in cases} == {0, 10, 30, 60, 90}
