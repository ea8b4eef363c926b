"""The reads that answer several checks at once agree with the checks they replace: a user's
standing read along with an access check, and the pings' shared re-check (chat.selectors.live_states)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat.selectors import access_thread, live_states
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


def test_the_send_path_reads_membership_and_role_with_the_access_check():
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
                    thread = access_thread(user=user, thread_id=place.thread.pk)
                except Exception:
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


def test_a_message_is_sent_in_a_fixed_number_of_queries(member, public_group, librarian):
    import uuid

    from chat import services

    thread = make_thread(public_group, librarian)

    def send() -> list[str]:
        with CaptureQueriesContext(connection) as queries, standings_remembered():
            services.message_send(
                author=member,
                thread=access_thread(user=member, thread_id=thread.pk),
                body="Wie komt er donderdag?",
                client_id=uuid.uuid4(),
            )
        return [q["sql"][:80] for q in queries]

    first = send()  # also reads the library's word list and settings, then cached
    assert len(first) == 12, first
    # access (with standing and sanctions) · retry probe · slow mode · BEGIN · seq · message ·
    # event · thread counters · read position · COMMIT
    again = send()
    assert len(again) == 10, again


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
