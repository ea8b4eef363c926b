"""Collection suggestions: titles from the group's library catalogue that match what a thread is
about. Recomputed in the background as the conversation grows (at most once per debounce period
per thread), stored, and pushed live to open "Bronnen" panels. Only the thread's own words are
used — never anyone's personal history — so one group's conversation cannot shape another's."""

from __future__ import annotations

import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from backend import counters, realtime
from chat.models import Thread

from .models import SuggestionDismissal, ThreadResource, ThreadSuggestion
from .payloads import resource_brief
from .selectors import catalogue_match_ids, search_words, thread_recent_text, thread_suggestions


def _pending_key(thread_id: int) -> str:
    return f"resources:suggest:{thread_id}"


# Threads with a recompute waiting → when it may start (time.monotonic()). Until then the pending
# key is certainly set, so the next messages skip asking Redis: every message sent asked, in the ORM
# thread that all of a worker's sockets share. Known for the recomputes this process scheduled and
# for those another one did (the key holds when it may start).
_scheduled_here: dict[int, float] = {}


def suggestions_schedule(*, thread: Thread) -> None:
    """Ask for a recompute `SUGGESTION_DEBOUNCE_SECONDS` from now, unless one is already waiting
    (it will read the newest messages when it runs). Call inside the write's transaction."""
    from .tasks import suggestions_compute

    now = time.monotonic()
    if _scheduled_here.get(thread.pk, 0.0) > now:
        return
    delay = settings.KENNISCLOUD["SUGGESTION_DEBOUNCE_SECONDS"]
    run_after = timezone.now() + timedelta(seconds=delay)
    waiting = counters.add_or_get(_pending_key(thread.pk), run_after.timestamp(), timeout=max(60, delay * 6))
    starts = now + delay if waiting is None else now + min(delay, waiting - time.time())
    if len(_scheduled_here) >= 10_000:
        for thread_id in [t for t, at in _scheduled_here.items() if at <= now]:
            del _scheduled_here[thread_id]
    _scheduled_here[thread.pk] = starts
    if waiting is not None:
        return
    thread_id = thread.pk
    transaction.on_commit(lambda: suggestions_compute.using(run_after=run_after).enqueue(thread_id))


def suggestion_payload(suggestion: ThreadSuggestion) -> dict:
    return {"resource": resource_brief(suggestion.resource), "score": round(suggestion.score, 4)}


def suggestions_recompute(*, thread_id: int) -> list[ThreadSuggestion]:
    """Match the thread's recent text against its library's catalogue and store the best titles
    not dismissed for it and not already among its sources."""
    cache.delete(_pending_key(thread_id))
    _scheduled_here.pop(thread_id, None)  # run early (called directly): the next message asks again
    thread = Thread.objects.select_related("group").filter(pk=thread_id).first()
    if thread is None:
        return []
    words = search_words(thread_recent_text(thread=thread))
    exclude = set(SuggestionDismissal.objects.filter(thread=thread).values_list("resource_id", flat=True))
    exclude |= set(ThreadResource.objects.filter(thread=thread).values_list("resource_id", flat=True))
    matches = catalogue_match_ids(
        library_id=thread.group.library_id,
        words=words,
        limit=settings.KENNISCLOUD["SUGGESTION_LIMIT"],
        exclude_ids=exclude,
    )
    with transaction.atomic():
        ThreadSuggestion.objects.filter(thread=thread).delete()
        ThreadSuggestion.objects.bulk_create(
            ThreadSuggestion(thread=thread, resource_id=rid, rank=rank, score=score)
            for rank, (rid, score) in enumerate(matches, start=1)
        )
        stored = thread_suggestions(thread=thread)
        realtime.publish_ephemeral_on_commit(
            thread.group_id,
            {
                "type": "thread.suggestions",
                "group": thread.group.slug,
                "thread": thread.pk,
                "suggestions": [suggestion_payload(s) for s in stored],
            },
        )
    return stored
