"""Collection suggestions: the library's catalogue matched against a thread's own words with
PostgreSQL's Dutch full-text search (stemming: "zonnepanelen" finds "zonnepaneel")."""

from __future__ import annotations

import time
import uuid

import pytest

from chat import services as chat_services
from resources import services
from resources.catalogue.importer import search_document_for
from resources.models import Resource, Source, ThreadResource, ThreadSuggestion
from resources.selectors import catalogue_search, thread_suggestions
from resources.suggestions import suggestions_recompute
from tests.conftest import add_member, make_group, make_library

pytestmark = pytest.mark.django_db

CATALOGUE = [
    ("A1", "Het zonnepaneel", ["energie"], "Alles over het zonnepaneel op een schuin of plat dak."),
    ("A2", "Zonne-energie in en om het huis", ["zonne-energie", "duurzaamheid"], "Stroom van je eigen dak."),
    ("A3", "Koken met groenten uit de tuin", ["koken"], "Recepten voor elk seizoen."),
    ("A4", "Stamboomonderzoek voor beginners", ["genealogie"], "Zoek je voorouders in archieven."),
    ("A5", "Warmtepompen uitgelegd", ["energie", "verwarming"], "Hoe een warmtepomp je huis verwarmt."),
]


def _record(library, record_id, title, subjects, description, source=Source.CATALOGUE) -> Resource:
    return Resource.objects.create(
        library=library if source == Source.CATALOGUE else None,
        record_id=record_id if source == Source.CATALOGUE else "",
        title=title,
        kind="book",
        subjects=subjects,
        description=description,
        source=source,
        search_document=search_document_for(
            title=title, creators=[], subjects=subjects, description=description
        ),
    )


@pytest.fixture
def catalogue(library) -> dict[str, Resource]:
    return {rid: _record(library, rid, *rest) for rid, *rest in CATALOGUE}


def _say(thread, author, body: str) -> None:
    chat_services.message_send(author=author, thread=thread, body=body, client_id=uuid.uuid4())


def _titles(thread) -> list[str]:
    return [s.resource.title for s in thread_suggestions(thread=thread)]


def test_a_thread_about_solar_panels_gets_solar_titles_first(catalogue, public_group, member):
    thread = chat_services.thread_create(actor=member, group=public_group, title="Ons dak")
    _say(thread, member, "We willen zonnepanelen op ons dak. Wie heeft ervaring?")
    found = suggestions_recompute(thread_id=thread.pk)
    titles = [s.resource.title for s in found]
    assert titles[0] in {"Het zonnepaneel", "Zonne-energie in en om het huis"}
    assert "Het zonnepaneel" in titles  # stemming: zonnepanelen → zonnepanel ← zonnepaneel
    assert "Koken met groenten uit de tuin" not in titles
    assert "Stamboomonderzoek voor beginners" not in titles
    assert [s.rank for s in found] == list(range(1, len(found) + 1))


def test_suggestions_follow_the_conversation(catalogue, public_group, member):
    thread = chat_services.thread_create(actor=member, group=public_group, title="Vraag")
    _say(thread, member, "Hoe werkt een warmtepomp eigenlijk?")
    assert _titles(thread) == []  # nothing stored before the first computation
    assert [s.resource.title for s in suggestions_recompute(thread_id=thread.pk)] == [
        "Warmtepompen uitgelegd"
    ]
    _say(thread, member, "En zonnepanelen erbij?")
    titles = [s.resource.title for s in suggestions_recompute(thread_id=thread.pk)]
    assert "Het zonnepaneel" in titles and "Warmtepompen uitgelegd" in titles


def test_dismissed_suggestions_do_not_come_back_and_added_ones_move_to_the_sources(
    catalogue, public_group, member
):
    thread = chat_services.thread_create(actor=member, group=public_group, title="Zonnepanelen")
    _say(thread, member, "zonnepanelen en zonne-energie op ons dak")
    suggestions_recompute(thread_id=thread.pk)
    services.suggestion_dismiss(actor=member, thread=thread, resource_id=catalogue["A1"].pk)
    services.suggestion_add(actor=member, thread=thread, resource_id=catalogue["A2"].pk)
    assert ThreadResource.objects.filter(
        thread=thread, resource=catalogue["A2"], from_suggestion=True
    ).exists()
    _say(thread, member, "Nog meer over het zonnepaneel graag")
    titles = [s.resource.title for s in suggestions_recompute(thread_id=thread.pk)]
    assert "Het zonnepaneel" not in titles
    assert "Zonne-energie in en om het huis" not in titles


def test_only_the_groups_own_library_catalogue_is_suggested(catalogue, library, public_group, member):
    other_library = make_library("Elders")
    _record(
        other_library, "B1", "Zonnepanelen in de polder", ["zonne-energie"], "Uit een andere bibliotheek."
    )
    # A member's own entry with matching words is not a catalogue title.
    _record(
        None, "", "Zonnepanelen: ons geheime plan", [], "Gedeeld in een gesloten groep.", source=Source.MEMBER
    )
    thread = chat_services.thread_create(actor=member, group=public_group, title="Zonnepanelen")
    _say(thread, member, "zonnepanelen op ons dak")
    found = suggestions_recompute(thread_id=thread.pk)
    assert {s.resource.library_id for s in found} == {library.pk}


def test_closed_group_conversations_never_influence_another_groups_suggestions(
    catalogue, library, public_group, member, librarian
):
    thread = chat_services.thread_create(actor=member, group=public_group, title="Ons dak")
    _say(thread, member, "zonnepanelen op ons dak")
    before = [(s.resource_id, s.score) for s in suggestions_recompute(thread_id=thread.pk)]
    closed = make_group(library, visibility="closed", creator=librarian)
    add_member(closed, member)
    secret = chat_services.thread_create(actor=member, group=closed, title="Koken en stamboom")
    for _ in range(5):
        _say(secret, member, "koken met groenten, stamboomonderzoek en warmtepompen, zonnepaneel")
    services.thread_resource_add(actor=member, thread=secret, resource=catalogue["A3"])
    after = [(s.resource_id, s.score) for s in suggestions_recompute(thread_id=thread.pk)]
    assert after == before


def test_recompute_is_pushed_live_to_the_group(
    catalogue, public_group, member, layer_listener, django_capture_on_commit_callbacks
):
    thread = chat_services.thread_create(actor=member, group=public_group, title="Zonne-energie")
    layer_listener.listen(public_group)
    with django_capture_on_commit_callbacks(execute=True):
        suggestions_recompute(thread_id=thread.pk)
    frames = [m["event"] for m in layer_listener.received() if m["type"] == "group.ephemeral"]
    [frame] = [f for f in frames if f["type"] == "thread.suggestions"]
    assert frame["thread"] == thread.pk and frame["group"] == public_group.slug
    assert frame["suggestions"][0]["resource"]["title"] == "Zonne-energie in en om het huis"


def test_sending_schedules_one_debounced_recompute_per_thread(
    public_group, member, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    thread = chat_services.thread_create(actor=member, group=public_group, title="Zon")
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            _say(thread, member, f"bericht {n}")
    [task] = DBTaskResult.objects.filter(task_path="resources.tasks.suggestions_compute")
    assert task.args_kwargs["args"] == [thread.pk]
    assert task.run_after is not None and task.run_after > task.enqueued_at


def test_a_message_after_the_recompute_started_schedules_the_next_one(
    public_group, member, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    thread = chat_services.thread_create(actor=member, group=public_group, title="Zon")
    with django_capture_on_commit_callbacks(execute=True):
        _say(thread, member, "eerste")
    suggestions_recompute(thread_id=thread.pk)  # it read the newest messages: later ones ask again
    with django_capture_on_commit_callbacks(execute=True):
        _say(thread, member, "tweede")
        _say(thread, member, "derde")
    tasks = DBTaskResult.objects.filter(task_path="resources.tasks.suggestions_compute")
    assert [t.args_kwargs["args"] for t in tasks] == [[thread.pk], [thread.pk]]


def test_a_recompute_another_process_scheduled_is_not_scheduled_again(
    public_group, member, settings, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    from backend import counters
    from resources.suggestions import _pending_key

    thread = chat_services.thread_create(actor=member, group=public_group, title="Zon")
    # Another worker stored a message a moment ago and scheduled the recompute, which says when it
    # may start.
    delay = settings.KENNISCLOUD["SUGGESTION_DEBOUNCE_SECONDS"]
    assert counters.add_or_get(_pending_key(thread.pk), time.time() + delay, timeout=60) is None
    with django_capture_on_commit_callbacks(execute=True):
        _say(thread, member, "eerste")
        _say(thread, member, "tweede")
    assert not DBTaskResult.objects.filter(task_path="resources.tasks.suggestions_compute").exists()
    suggestions_recompute(thread_id=thread.pk)  # it ran: the next message asks for the next one
    with django_capture_on_commit_callbacks(execute=True):
        _say(thread, member, "derde")
    [task] = DBTaskResult.objects.filter(task_path="resources.tasks.suggestions_compute")
    assert task.args_kwargs["args"] == [thread.pk]


def test_catalogue_search_as_you_type_and_by_isbn(catalogue, library):
    found = [r.title for r in catalogue_search(library=library, q="zonne-ener")]
    assert found[0] == "Zonne-energie in en om het huis"
    assert "Koken met groenten uit de tuin" not in found
    assert [r.title for r in catalogue_search(library=library, q="warmtep")] == ["Warmtepompen uitgelegd"]
    catalogue["A5"].isbn13 = "9789024401239"
    catalogue["A5"].save()
    assert [r.title for r in catalogue_search(library=library, q="978-90-244-0123-9")] == [
        "Warmtepompen uitgelegd"
    ]
    assert catalogue_search(library=library, q="   ") == []
    assert catalogue_search(library=library, q="'\"&|!:*()") == []


def test_the_gin_index_serves_the_search(catalogue, library):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM resources_resource WHERE to_tsvector('dutch'::regconfig, "
            "search_document) @@ websearch_to_tsquery('dutch', 'zonnepanelen')"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = on")
    assert "resources_resource_search_nl" in plan, plan


def test_stored_suggestions_for_a_thread_stay_with_it(catalogue, public_group, member):
    thread = chat_services.thread_create(actor=member, group=public_group, title="Zonnepanelen")
    _say(thread, member, "zonnepanelen")
    suggestions_recompute(thread_id=thread.pk)
    other = chat_services.thread_create(actor=member, group=public_group, title="Iets anders")
    assert ThreadSuggestion.objects.filter(thread=other).count() == 0
    assert _titles(other) == []
