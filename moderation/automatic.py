"""Automatic moderation in the send path: the library's word list and the new-member hold.

Phrases are matched as literal, whole words — case-insensitively and after Unicode normalisation
(NFKC + casefold) — through one escaped alternation, so no entry can make the matcher backtrack
catastrophically."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
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


# A library's word list and new-member hold, as the send path reads them: cached (shared by the
# workers when the cache is Redis) and dropped whenever an entry or the settings change. The expiry
# only bounds the one race left: a send that read the old rules just before a change committed and
# stored them just after its drop.
RULES_CACHE_SECONDS = 60


@dataclass(frozen=True)
class Entry:
    phrase: str
    action: str


@dataclass(frozen=True)
class Rules:
    entries: tuple[Entry, ...]
    new_member_messages: int = 0  # 0: links from new members are not held
    new_member_days: int = 0


def _rules_key(library_id: int) -> str:
    return f"moderation:rules:{library_id}"


def library_rules(library_id: int) -> Rules:
    """The rules `screen` applies in this library: two queries, none while cached."""
    key = _rules_key(library_id)
    rules = cache.get(key)
    if rules is None:
        entries = tuple(
            Entry(phrase, action)
            for phrase, action in WordFilter.objects.filter(library_id=library_id)
            .order_by("pk")
            .values_list("phrase", "action")
        )
        config = (
            LibraryModerationSettings.objects.filter(library_id=library_id)
            .values_list("new_member_messages", "new_member_days")
            .first()
        )
        rules = Rules(entries, *(config or ()))
        cache.set(key, rules, RULES_CACHE_SECONDS)
    return rules


def rules_changed(*, library_id: int) -> None:
    """Drop the cached rules now and again when the change commits (a send in between may have
    stored the old ones)."""
    key = _rules_key(library_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


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


def matching_phrases(text: str, entries: tuple[Entry, ...]) -> list[Entry]:
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
    rules = library_rules(group.library_id)
    hits = matching_phrases(body, rules.entries) if rules.entries else []
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
    if _new_member_hold(author, group, body, rules):
        return Verdict("hold", str(_("Held for review: links from new members are checked first.")))
    if FilterAction.FLAG in actions:
        return Verdict("flag", ", ".join(e.phrase for e in hits if e.action == FilterAction.FLAG))
    return Verdict(None)


def _new_member_hold(author, group: Group, body: str, rules: Rules) -> bool:
    if not rules.new_member_messages or not LINK.search(body):
        return False
    if timezone.now() - author.date_joined > timedelta(days=rules.new_member_days):
        return False
    sent = Message.objects.filter(author=author, group__library_id=group.library_id).count()
    return sent < rules.new_member_messages


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
