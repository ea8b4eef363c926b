"""Finishing a meetup and the knowledge summary it leaves behind (docs/meetups.md, "Summary").

`meetup_finish` marks the meetup finished, ends live mode and drafts the summary from what happened:
participation counts (aggregates only, never who), the questions by votes with whether they were
answered (a question still in the spotlight counts as answered), the resources shared in the
conversation (its sources, and what live messages carried), and the pinned messages. A host edits
the markdown and publishes it; it stays linked to the meetup and its conversation.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import User
from backend.exceptions import DomainError, NotFound
from chat import markdown
from chat.events import user_brief
from chat.models import Message
from chat.services import group_event_publish
from groups.models import Group
from groups.selectors import AnyUser
from resources.payloads import resource_brief
from resources.selectors import live_message_q, thread_sources

from .formatting import format_when
from .models import (
    Guest,
    Meetup,
    MeetupStatus,
    Question,
    QuestionState,
    Rsvp,
    RsvpAnswer,
    Summary,
    SummaryState,
)
from .selectors import can_host

SUMMARY_MAX_CHARS = 20000


class MeetupNotFinishable(DomainError):
    code = "meetup_not_published"
    status_code = 409
    default_message = _("Only a published meetup can be finished.")


class SummaryTooLong(DomainError):
    code = "summary_too_long"
    default_message = _("A summary can be at most %(limit)s characters long.")

    def __init__(self) -> None:
        super().__init__(self.default_message % {"limit": SUMMARY_MAX_CHARS}, limit=SUMMARY_MAX_CHARS)


class SummaryEmpty(DomainError):
    code = "summary_empty"
    default_message = _("A summary cannot be empty.")


def _iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


# --- finishing -------------------------------------------------------------------------------------


def meetup_finish(*, meetup: Meetup, actor: User | None) -> Meetup:
    """Finish a published meetup (a host, or the background task with actor None after `ends_at`):
    live mode ends, the draft summary is made, `meetup.changed` goes out. Idempotent.
    Precondition: a host's `meetup` came from access_hosted_meetup."""
    with transaction.atomic():
        locked = Meetup.objects.select_for_update().get(pk=meetup.pk)
        if locked.status == MeetupStatus.FINISHED:
            return locked
        if locked.status != MeetupStatus.PUBLISHED:
            raise MeetupNotFinishable()
        if locked.live_started_at is not None and locked.live_ended_at is None:
            from .live import live_end  # live mode is another part of meetups/

            live_end(locked)
            locked.refresh_from_db()
        locked.status = MeetupStatus.FINISHED
        locked.finished_at = timezone.now()
        locked.sequence += 1
        locked.save(update_fields=["status", "finished_at", "sequence", "updated_at"])
        summary_draft(meetup=locked)
        from .services import meetup_broadcast

        meetup_broadcast(locked)
    return locked


# --- the draft -------------------------------------------------------------------------------------


def _live_messages(meetup: Meetup) -> QuerySet[Message]:
    return Message.objects.filter(thread_id=meetup.thread_id).filter(live_message_q())


def _message_url(group: Group, message: Message) -> str:
    return f"/groups/{group.slug}/threads/{message.thread_id}#message-{message.pk}"


def summary_facts(meetup: Meetup) -> dict[str, Any]:
    """What the draft is made from. Aggregates only: no names of participants."""
    has_thread = meetup.thread_id is not None
    messages = _live_messages(meetup) if has_thread else Message.objects.none()
    participants = {
        "rsvp_going": Rsvp.objects.filter(
            meetup=meetup, answer=RsvpAnswer.GOING, waitlisted_at__isnull=True
        ).count(),
        "in_conversation": messages.values("author_id").distinct().count(),
        "guests": Guest.objects.filter(meetup=meetup).count(),
        "messages": messages.count(),
    }
    questions = [
        {
            "id": q.pk,
            "body": q.body,
            "votes": q.vote_count,
            "answered": q.state in (QuestionState.ANSWERED, QuestionState.ANSWERING),
        }
        for q in Question.objects.filter(meetup=meetup, hidden_at__isnull=True).order_by(
            "-vote_count", "created_at", "pk"
        )
    ]
    resources = (
        [resource_brief(s.resource) for s in thread_sources(thread=meetup.thread)] if has_thread else []
    )
    pinned = [
        {
            "id": m.pk,
            "author": user_brief(m.author),
            "body": m.body,
            "url": _message_url(meetup.group, m),
        }
        for m in messages.filter(pinned_at__isnull=False).select_related("author").order_by("seq")
    ]
    return {"participants": participants, "questions": questions, "resources": resources, "pinned": pinned}


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _link_text(text: str) -> str:
    return _one_line(text).replace("[", "\\[").replace("]", "\\]")


def summary_markdown(meetup: Meetup, facts: dict[str, Any]) -> str:
    """The draft's markdown, in the active language."""
    p = facts["participants"]
    lines = [f"# {_one_line(meetup.title)}", "", format_when(meetup.starts_at, meetup.ends_at), ""]
    lines += [f"## {_t('Who took part')}", ""]
    lines.append(
        "- "
        + ngettext("%(n)s person said they would come", "%(n)s people said they would come", p["rsvp_going"])
        % {"n": p["rsvp_going"]}
    )
    lines.append(
        "- "
        + ngettext(
            "%(n)s person took part in the conversation",
            "%(n)s people took part in the conversation",
            p["in_conversation"],
        )
        % {"n": p["in_conversation"]}
    )
    lines.append("- " + ngettext("%(n)s guest", "%(n)s guests", p["guests"]) % {"n": p["guests"]})
    lines.append("- " + ngettext("%(n)s message", "%(n)s messages", p["messages"]) % {"n": p["messages"]})
    lines.append("")
    if facts["questions"]:
        lines += [f"## {_t('Questions')}", ""]
        for i, q in enumerate(facts["questions"], start=1):
            votes = ngettext("%(n)s vote", "%(n)s votes", q["votes"]) % {"n": q["votes"]}
            mark = f" ✓ {_t('answered')}" if q["answered"] else ""
            lines.append(f"{i}. {_one_line(q['body'])} ({votes}){mark}")
        lines.append("")
    if facts["resources"]:
        lines += [f"## {_t('Resources shared')}", ""]
        for r in facts["resources"]:
            line = f"- [{_link_text(r['title'])}](/resources/{r['id']})"
            if r.get("url"):
                line += f" — <{r['url']}>" if " " not in r["url"] else ""
            lines.append(line)
        lines.append("")
    if facts["pinned"]:
        lines += [f"## {_t('Pinned messages')}", ""]
        for m in facts["pinned"]:
            lines += [f"> {line}" if line else ">" for line in m["body"].splitlines()]
            lines.append(f"> — {_one_line(m['author']['display_name'])}")
            lines.append("")
    return "\n".join(lines).strip() + "\n"


def summary_draft(*, meetup: Meetup, language: str | None = None) -> Summary:
    """Make the draft summary (once; an existing summary is kept). In the group's language: Dutch
    unless told otherwise."""
    existing = Summary.objects.filter(meetup=meetup).first()
    if existing is not None:
        return existing
    facts = summary_facts(meetup)
    with translation.override(language or settings.LANGUAGE_CODE):
        body = summary_markdown(meetup, facts)
    return Summary.objects.create(meetup=meetup, body=body, html=markdown.render(body), facts=facts)


# --- reading and publishing ------------------------------------------------------------------------


def summary_payload(summary: Summary) -> dict[str, Any]:
    return {
        "meetup": summary.meetup_id,
        "body": summary.body,
        "html": summary.html,
        "facts": summary.facts,
        "state": summary.state,
        "published_at": _iso(summary.published_at),
        "published_by": user_brief(summary.published_by) if summary.published_by else None,
    }


def summary_list_payload(summary: Summary) -> dict[str, Any]:
    meetup = summary.meetup
    return {
        **summary_payload(summary),
        "meetup": {
            "id": meetup.pk,
            "title": meetup.title,
            "starts_at": _iso(meetup.starts_at),
            "thread": meetup.thread_id,
        },
    }


def access_summary(*, user: AnyUser, meetup: Meetup) -> Summary:
    """The summary of a meetup the user sees: hosts see the draft, others only once published.
    Precondition: `meetup` came from access_meetup."""
    summary = Summary.objects.select_related("published_by").filter(meetup=meetup).first()
    if summary is None or (summary.state != SummaryState.PUBLISHED and not can_host(user, meetup)):
        raise NotFound()
    return summary


def group_summaries(*, group: Group) -> QuerySet[Summary]:
    """Published summaries of the group, newest first. Precondition: `group` from access_group."""
    return (
        Summary.objects.filter(meetup__group=group, state=SummaryState.PUBLISHED)
        .select_related("meetup", "published_by")
        .order_by("-published_at", "-pk")
    )


@transaction.atomic
def summary_edit(*, actor: User, summary: Summary, body: str) -> Summary:
    """Precondition: the actor hosts the meetup (access_hosted_meetup)."""
    if len(body) > SUMMARY_MAX_CHARS:
        raise SummaryTooLong()
    if not body.strip():
        raise SummaryEmpty()
    summary.body = body
    summary.html = markdown.render(body)
    summary.save(update_fields=["body", "html", "updated_at"])
    return summary


@transaction.atomic
def summary_publish(*, actor: User, summary: Summary) -> Summary:
    """Publish (once; again is a no-op) and record `meetup.summary`. Precondition: the actor hosts
    the meetup."""
    locked = Summary.objects.select_for_update().select_related("meetup__group").get(pk=summary.pk)
    if locked.state == SummaryState.PUBLISHED:
        return Summary.objects.select_related("published_by").get(pk=locked.pk)
    locked.state = SummaryState.PUBLISHED
    locked.published_at = timezone.now()
    locked.published_by = actor
    locked.save(update_fields=["state", "published_at", "published_by", "updated_at"])
    group_event_publish(
        group=locked.meetup.group,
        event_type="meetup.summary",
        payload={
            "meetup": locked.meetup_id,
            "summary": {"state": locked.state, "published_at": _iso(locked.published_at)},
        },
    )
    return locked
