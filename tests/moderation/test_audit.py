"""The audit log as librarians read it: filters and the CSV export."""

from __future__ import annotations

from rest_framework.test import APIClient

from moderation import services


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_audit_log_filters_and_exports(
    public_group, closed_group, librarian, member, other_member, library
):
    services.member_mute(actor=librarian, group=public_group, user=member, reason="Rust", minutes=5)
    services.member_mute(actor=librarian, group=closed_group, user=other_member, reason="Ook rust", minutes=5)
    services.member_kick(actor=librarian, group=public_group, user=other_member, reason="Even weg")
    base = f"/api/v1/moderation/libraries/{library.slug}/audit/"
    client = api(librarian)

    def actions(query=""):
        return sorted((e["action"], e["target"]) for e in client.get(base + query).json())

    assert actions() == [("kick", "Bram"), ("mute", "Anouk"), ("mute", "Bram")]
    assert actions(f"?group={closed_group.slug}") == [("mute", "Bram")]
    assert actions(f"?user={member.pk}") == [("mute", "Anouk")]
    assert actions("?action=kick") == [("kick", "Bram")]
    assert actions("?since=2999-01-01T00:00:00Z") == []
    assert client.get(base + "?action=explode").json()["code"] == "validation_error"
    csv = client.get(base + "?format=csv&action=kick")
    assert csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode().strip().splitlines()
    assert lines[0].startswith("time,action,actor,target") and len(lines) == 2 and ",kick," in lines[1]
