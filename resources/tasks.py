"""Background tasks (Django's task framework, database backend; `manage.py db_worker` runs them).
Each is an interface: it calls one service."""

from __future__ import annotations

from django.tasks import task


@task()
def preview_fetch(resource_id: int, message_id: int | None = None) -> None:
    from .previews import resource_preview_refresh

    resource_preview_refresh(resource_id=resource_id, message_id=message_id)


@task()
def suggestions_compute(thread_id: int) -> None:
    from .suggestions import suggestions_recompute

    suggestions_recompute(thread_id=thread_id)


@task()
def catalogue_import_process(import_id: int) -> None:
    from .imports import catalogue_import_execute

    catalogue_import_execute(import_id=import_id)


@task()
def catalogue_covers(library_id: int) -> None:
    from .previews import COVER_BATCH, catalogue_covers_fetch

    # Large catalogues: one batch per task, the next one queued after it.
    if catalogue_covers_fetch(library_id=library_id) == COVER_BATCH:
        catalogue_covers.enqueue(library_id)
