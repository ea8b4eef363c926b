"""The permission matrix for questions, votes, finishing and summaries: every endpoint of
meetups/qa_views.py × every kind of actor × public and closed groups (the actors and the world of
tests/api/test_permissions.py). A closed group's meetups answer 404 to whoever may not see it."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from meetups.capture import summary_draft
from meetups.models import Meetup, MeetupStatus, Question
from tests.api.test_permissions import (
    ANON_401,
    MANAGE,
    MEMBERS_ACT,
    MEMBERS_POST,
    Place,
    World,
    _route,
    hidden,
    run_matrix,
    table,
    world,  # noqa: F401  (the fixture, found by name)
)
from tests.meetups.factories import make_meetup


@dataclass
class Evening:
    meetup: Meetup  # published: questions are open
    question: Question  # asked by "member"
    done: Meetup  # finished, with a draft summary
    shared: Meetup  # finished, with a published summary


@pytest.fixture
def evenings(world: World) -> dict[str, Evening]:  # noqa: F811
    result = {}
    for visibility, place in world.places.items():
        host = world.users["host"]
        meetup = make_meetup(place.group, host)
        question = Question.objects.create(meetup=meetup, author=world.users["member"], body="Waarom?")
        done, shared = (make_meetup(place.group, host, title=f"Afgelopen {n}") for n in range(2))
        for finished in (done, shared):
            Meetup.objects.filter(pk=finished.pk).update(status=MeetupStatus.FINISHED)
            finished.status = MeetupStatus.FINISHED
            summary = summary_draft(meetup=finished)
        summary.state = "published"
        summary.save()
        result[visibility] = Evening(meetup, question, done, shared)
    return result


HOSTS_ONLY_404 = table(404, host=200, librarian=200, staff=200)

# (name, method, path(place, evening), data, expected for the public group)
ROWS = [
    ("questions", "get", lambda p, e: f"/api/v1/meetups/{e.meetup.pk}/questions/", None, table(200)),
    (
        "question-ask",
        "post",
        lambda p, e: f"/api/v1/meetups/{e.meetup.pk}/questions/",
        lambda p, e: {"body": "Nog een vraag"},
        MEMBERS_POST,
    ),
    ("vote", "put", lambda p, e: f"/api/v1/questions/{e.question.pk}/vote/", None, MEMBERS_ACT),
    ("unvote", "delete", lambda p, e: f"/api/v1/questions/{e.question.pk}/vote/", None, MEMBERS_ACT),
    (
        "question-state",
        "post",
        lambda p, e: f"/api/v1/questions/{e.question.pk}/state/",
        lambda p, e: {"state": "answering"},
        MANAGE,
    ),
    (
        "question-hide",
        "delete",
        lambda p, e: f"/api/v1/questions/{e.question.pk}/",
        None,
        table(403, **ANON_401, member=204, host=204, librarian=204, staff=204),
    ),
    ("finish", "post", lambda p, e: f"/api/v1/meetups/{e.meetup.pk}/finish/", None, MANAGE),
    ("summary-draft", "get", lambda p, e: f"/api/v1/meetups/{e.done.pk}/summary/", None, HOSTS_ONLY_404),
    ("summary-published", "get", lambda p, e: f"/api/v1/meetups/{e.shared.pk}/summary/", None, table(200)),
    (
        "summary-edit",
        "patch",
        lambda p, e: f"/api/v1/meetups/{e.done.pk}/summary/",
        lambda p, e: {"body": "Terugblik"},
        MANAGE,
    ),
    ("summary-publish", "post", lambda p, e: f"/api/v1/meetups/{e.done.pk}/summary/publish/", None, MANAGE),
    ("group-summaries", "get", lambda p, e: f"/api/v1/groups/{p.group.slug}/summaries/", None, table(200)),
]

CASES = []
for name, method, path, data, public in ROWS:
    CASES.append(pytest.param("public", method, path, data, public, id=f"{name}-public"))
    CASES.append(pytest.param("closed", method, path, data, hidden(public), id=f"{name}-closed"))


@pytest.mark.parametrize(("visibility", "method", "path", "data", "expected"), CASES)
def test_question_and_summary_endpoints(world, evenings, visibility, method, path, data, expected):  # noqa: F811
    place: Place = world.places[visibility]
    evening = evenings[visibility]
    payload = None if data is None else lambda: data(place, evening)
    assert run_matrix(world, method, path(place, evening), payload) == expected


def covered_endpoints(library_slug: str) -> set[tuple[str, str]]:
    """(method, route) of every row above (for the coverage guard in tests/api/test_permissions.py)."""
    ref = SimpleNamespace(pk=1)
    place = SimpleNamespace(group=SimpleNamespace(slug="g"))
    evening = SimpleNamespace(meetup=ref, question=ref, done=ref, shared=ref)
    return {(method, _route(path(place, evening))) for _n, method, path, _d, _e in ROWS}
