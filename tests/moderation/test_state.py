"""The moderation state a page needs on load: slow modes in force and the caller's own sanctions."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from moderation import services
from tests.chat.conftest import make_thread


def get_state(user, group):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client.get(f"/api/v1/moderation/groups/{group.slug}/state/")


def test_state_shows_slow_modes_and_the_callers_own_mute(public_group, librarian, member, other_member):
    thread = make_thread(public_group, librarian)
    services.slow_mode_set(actor=librarian, group=public_group, seconds=30)
    services.slow_mode_set(actor=librarian, group=public_group, seconds=120, thread=thread)
    services.member_mute(actor=librarian, group=public_group, user=member, reason="Rust", minutes=15)

    mine = get_state(member, public_group).json()
    assert mine["slow_mode"] == {"group": 30, "threads": {str(thread.pk): 120}}
    assert (mine["muted"], mine["banned"], mine["moderator"]) == (True, False, False)
    assert mine["muted_until"].endswith("Z")
    other = get_state(other_member, public_group).json()
    assert (other["muted"], other["muted_until"]) == (False, None)
    assert get_state(librarian, public_group).json()["moderator"] is True
    assert get_state(None, public_group).status_code == 200  # visitors read public groups


@pytest.mark.parametrize("who", ["outsider", None])
def test_a_closed_groups_state_is_not_found_for_outsiders(request, closed_group, who):
    user = request.getfixturevalue(who) if who else None
    assert get_state(user, closed_group).status_code == 404


def state_routes() -> set[tuple[str, str]]:
    return {("get", "moderation/groups/<slug:slug>/state/")}
