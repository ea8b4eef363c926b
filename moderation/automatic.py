"""Automatic moderation in the send path: the library's word list and the new-member hold.

Phrases are matched as literal, whole words — case-insensitively and after Unicode normalisation
(NFKC + casefold) — through one escaped alternation, so no entry can make the matcher backtrack
catastrophically."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend import realtime
from backend.exceptions import DomainError
from chat.models import Message
from groups.models import Group

from .models import Action, AuditEntry, FilterAction, LibraryModerationSettings, Report, WordFilter
from .selectors import is_moderator

LINK = re.compile(r"(https?://|www\.)\S+", re.IGNORECASE)


class BlockedContent(DomainError):
    code = "blocked_content"
    default_message = _("This message contains words this library does not allow. Nothing was posted.")


@dataclass(frozen=True)
class Verdict:
    action: str | None  # None, "hold" or "flag"
    reason: str = ""


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _matcher(phrases: list[str]) -> re.Pattern[str] | None:
    cleaned = sorted({normalise(p).strip() for p in phrases if p.strip()}, key=len, reverse=True)
    if not cleaned:
        return None
    alternation = "|".join(r"\s+".join(map(re.escape, p.split())) for p in cleaned)
    return re.compile(rf"(?<!\w)(?:{alternation})(?!\w)")


def matching_phrases(text: str, entries: list[WordFilter]) -> list[WordFilter]:
    matcher = _matcher([e.phrase for e in entries])
    if matcher is None:
        return []
    found = {m.group(0) for m in matcher.finditer(normalise(text))}
    hits = {re.sub(r"\s+", " ", f) for f in found}
    return [e for e in entries if re.sub(r"\s+", " ", normalise(e.phrase).strip()) in hits]


def screen(*, author, group: Group, body: str) -> Verdict:
    """Check a new message. Raises BlockedContent for a "block" entry; returns whether to hold or
    flag it. Moderators are not screened."""
    if is_moderator(author, group):
        return Verdict(None)
    entries = list(WordFilter.objects.filter(library_id=group.library_id))
    hits = matching_phrases(body, entries) if entries else []
    actions = {e.action for e in hits}
    if FilterAction.BLOCK in actions:
        AuditEntry.objects.create(
            library_id=group.library_id,
            group=group,
            actor=None,
            action=Action.FILTER_BLOCK,
            target_user_id=author.pk,
            reason=", ".join(e.phrase for e in hits),
        )
        raise BlockedContent()
    if FilterAction.HOLD in actions:
        return Verdict("hold", str(_("Held for review: it matched the library's word list.")))
    if _new_member_hold(author, group, body):
        return Verdict("hold", str(_("Held for review: links from new members are checked first.")))
    if FilterAction.FLAG in actions:
        return Verdict("flag", ", ".join(e.phrase for e in hits if e.action == FilterAction.FLAG))
    return Verdict(None)


def _new_member_hold(author, group: Group, body: str) -> bool:
    config = LibraryModerationSettings.objects.filter(library_id=group.library_id).first()
    if config is None or not config.new_member_messages or not LINK.search(body):
        return False
    if timezone.now() - author.date_joined > timedelta(days=config.new_member_days):
        return False
    sent = Message.objects.filter(author=author, group__library_id=group.library_id).count()
    return sent < config.new_member_messages


def record(*, message: Message, verdict: Verdict) -> None:
    """After the message is stored (same transaction): audit the automatic action and tell the
    library's moderators — a held message waits in their queue, a flagged one opens a report."""
    group = message.group
    if verdict.action == "hold":
        AuditEntry.objects.create(
            library_id=group.library_id,
            group=group,
            actor=None,
            action=Action.HOLD,
            target_user_id=message.author_id,
            message=message,
            reason=verdict.reason,
        )
        realtime.publish_to_moderators_on_commit(
            group.library_id, {"type": "message.held", "group": group.slug, "message": message.pk}
        )
    elif verdict.action == "flag":
        report = Report.objects.create(
            library_id=group.library_id,
            group=group,
            message=message,
            reporter=None,
            category="other",
            note=str(_("Word list: %(phrases)s")) % {"phrases": verdict.reason},
        )
        AuditEntry.objects.create(
            library_id=group.library_id,
            group=group,
            actor=None,
            action=Action.FILTER_FLAG,
            target_user_id=message.author_id,
            message=message,
            reason=verdict.reason,
        )
        from .reports import report_payload  # reports imports services, which imports chat.services

        realtime.publish_to_moderators_on_commit(
            group.library_id, {"type": "report.created", "report": report_payload(report)}
        )
