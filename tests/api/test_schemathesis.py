"""schemathesis over the whole OpenAPI schema (`/api/v1/schema/`), in-process against the Django
WSGI application and the real PostgreSQL test database.

Every operation is fuzzed as a member with a personal API token (`Authorization: Bearer`), with
valid and invalid input, and anonymously. The checks (CHECKS): no server error; status code,
content type, headers and body as the schema declares them; invalid input refused with a 4xx; auth
not ignored (a 2xx for a token must become a 401/403 without it or with a wrong one, and an
anonymous 2xx only where the schema allows anonymous access). A stateful run walks the
create → use → delete → use chains schemathesis infers from the ids in responses: nothing deleted
stays usable.

The world is small and realistic (tests/api/test_permissions.py's `world` — a library, a public and
a closed group, members, threads, messages — plus a meetup with a question, an RSVP and a support
request, a book in the collection and in a thread, a branch with a room, a word filter, a report and
an appeal), and generated path parameters are drawn mostly from its real ids, so the fuzzer reaches
the code behind the 404. Every example runs in a savepoint that is rolled back, so one example's
leave, delete or ban never changes what the next one sees; with `derandomize` a run is repeatable.
KENNISCLOUD_FUZZ_EXAMPLES / KENNISCLOUD_FUZZ_SCENARIOS make a deeper local run.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks
from schemathesis.core.failures import FailureGroup

from accounts.services import api_token_create
from chat import services as chat_services
from meetups import questions
from meetups import services as meetup_services
from meetups.models import Question, SupportRequest
from moderation import appeals
from moderation import services as moderation_services
from moderation.models import AuditEntry, Report, WordFilter
from moderation.reports import report_create
from resources import services as resource_services
from tests.api.test_permissions import _fast_password_hashing, world  # noqa: F401 - fixtures
from tests.conftest import PASSWORD
from tests.meetups.factories import make_meetup, make_room

SCHEMA_PATH = "/api/v1/schema/"
# Examples per operation and mode: small in the suite; raise it for a deeper local run.
MAX_EXAMPLES = int(os.environ.get("KENNISCLOUD_FUZZ_EXAMPLES", "3"))

STATEFUL_SCENARIOS = int(os.environ.get("KENNISCLOUD_FUZZ_SCENARIOS", "25"))

# What the API promises for any input: no server error; status, content type, headers and body as
# the schema says; a 2xx for a token becomes a 401/403 without it; invalid input (negative mode) is
# refused with a 4xx. Left out: `positive_data_acceptance` — a schema-valid request may still break
# a rule of the domain and get a 400 with its code (already_member, invalid_emoji, title_required,
# a missing library slug …), which the schema cannot express.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
    checks.ignored_auth,
]


@dataclass
class Seeds:
    """Real values for each path parameter, by the collection the path starts with."""

    values: dict[tuple[str, str], list[Any]]
    token: str

    def for_operation(self, path: str, name: str) -> list[Any]:
        # `slug` means a library under /libraries/ and /moderation/libraries/, else a group.
        root = path.removeprefix("/api/v1/").removeprefix("moderation/").split("/", 1)[0]
        return self.values.get((root, name)) or self.values.get(("*", name)) or []


def _seed(world) -> Seeds:  # noqa: F811 - the fixture's value
    member = world.users["member"]
    host = world.users["host"]
    librarian = world.users["librarian"]
    public, closed = world.places["public"], world.places["closed"]
    library = world.library

    _token, raw = api_token_create(email=member.email, password=PASSWORD, name="schemathesis")
    spare, _ = api_token_create(email=member.email, password=PASSWORD, name="oud script")

    reply = chat_services.message_send(
        author=host,
        thread=public.thread,
        body="Welkom! Kijk ook op https://example.org/zon",
        client_id=uuid.UUID(int=1),
    ).message
    chat_services.reaction_add(actor=member, message=reply, emoji="👍")
    meetup = make_meetup(public.group, host, starts_at=timezone.now() + timedelta(days=2))
    closed_meetup = make_meetup(closed.group, host, starts_at=timezone.now() + timedelta(days=3))
    question = Question.objects.create(meetup=meetup, author=member, body="Hoe begin ik?")
    questions.question_vote(actor=host, question=question, vote=True)
    meetup_services.rsvp_set(actor=member, meetup=meetup, answer="going")
    room = make_room(library)
    meetup_services.support_request_create(
        actor=host, meetup=meetup, wants_room=True, preferred_branch=room.branch_id, help="Een beamer"
    )
    book = resource_services.resource_for_isbn(
        actor=member, isbn="9789400000025", title="Het zonnepanelenboek"
    )
    item = resource_services.collection_item_add(actor=librarian, group=public.group, resource=book)
    resource_services.thread_resource_add(actor=member, thread=public.thread, resource=book)
    moderation_services.word_filter_add(
        actor=librarian, library_id=library.pk, phrase="spamwoord", action="block"
    )
    report_create(actor=member, message=reply, category="spam")
    # A moderated message of the member, and the member's appeal against it.
    moderation_services.message_hide(actor=librarian, message=closed.message, reason="Buiten het onderwerp")
    hidden = AuditEntry.objects.get(message=closed.message, target_user=member)
    appeal = appeals.appeal_create(actor=member, entry_id=hidden.pk, text="Het ging wel over zon.")
    groups = [public.group.slug, closed.group.slug]
    values: dict[tuple[str, str], list[Any]] = {
        ("libraries", "slug"): [library.slug],
        ("groups", "slug"): groups,
        ("*", "slug"): groups,
        ("*", "thread_id"): [public.thread.pk, closed.thread.pk],
        ("*", "message_id"): [public.message.pk, closed.message.pk, reply.pk],
        ("*", "user_id"): [public.target_id, public.pending_id, host.pk],
        ("*", "meetup_id"): [meetup.pk, closed_meetup.pk],
        ("*", "question_id"): [question.pk],
        ("*", "resource_id"): [book.pk],
        ("*", "token_id"): [spare.pk],
        ("*", "room_id"): [room.pk],
        ("*", "branch_id"): [room.branch_id],
        ("*", "emoji"): ["👍"],
        ("*", "item_id"): [item.pk],
        ("*", "appeal_id"): [appeal.pk],
    }
    for model, name in (
        (SupportRequest, "request_id"),
        (Report, "report_id"),
        (WordFilter, "entry_id"),
    ):
        values[("*", name)] = list(model.objects.values_list("pk", flat=True)[:3])
    return Seeds(values=values, token=raw)


@dataclass(frozen=True)
class Finding:
    """One distinct failure: an operation, a schemathesis failure code and what it said."""

    label: str
    code: str
    title: str
    message: str

    def __str__(self) -> str:
        return f"{self.label}: {self.code} {self.title}\n    {self.message}"


def _strategy(operation, seeds: Seeds, mode: GenerationMode) -> st.SearchStrategy:
    """Mostly real path parameters (so the request reaches the code behind the lookup), sometimes
    generated ones (missing, malformed, huge ids)."""
    names = [parameter.name for parameter in operation.path_parameters]
    generated = operation.as_strategy(generation_mode=mode)
    known = {name: seeds.for_operation(operation.path, name) for name in names}
    if not names or not all(known.values()):
        return generated
    real = st.fixed_dictionaries({name: st.sampled_from(known[name]) for name in names}).flatmap(
        lambda values: operation.as_strategy(generation_mode=mode, path_parameters=values)
    )
    return st.one_of(real, real, real, generated)


def _fuzz(
    operation, seeds: Seeds, mode: GenerationMode, headers: dict[str, str], succeeded: set[str]
) -> dict[Finding, str]:
    """Run the checks on MAX_EXAMPLES generated requests; the distinct failures, each with the
    first request that showed it. Adds the operation to `succeeded` when one got a 2xx."""
    findings: dict[Finding, str] = {}
    # ignored_auth replays a success without and with a wrong token; that auth is enforced is a
    # property of the operation, so (as schemathesis' own runner does) once per operation is enough.
    auth_confirmed = False

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
        report_multiple_bugs=False,
    )
    @given(case=_strategy(operation, seeds, mode))
    def run(case) -> None:
        nonlocal auth_confirmed
        # Each example starts from the same world: its writes are rolled back, the rate-limit
        # counters in Redis are reset (a fuzzer is not a flood).
        with transaction.atomic():
            cache.clear()
            try:
                excluded = [checks.ignored_auth] if auth_confirmed else []
                response = case.call_and_validate(
                    headers=headers or None, checks=CHECKS, excluded_checks=excluded
                )
                if 200 <= response.status_code < 300:
                    auth_confirmed = True
                    succeeded.add(operation.label)
            except FailureGroup as group:
                for failure in group.exceptions:
                    message = " ".join(failure.message.split())[:300]
                    findings.setdefault(
                        Finding(operation.label, failure.code, failure.title, message),
                        f"{case.method} {case.formatted_path} query={case.query} body={case.body!r}"[:400],
                    )
            finally:
                transaction.set_rollback(True)

    try:
        run()
    except Unsatisfiable:
        # Nothing in this operation can be made invalid (no parameters, no body).
        assert mode is GenerationMode.NEGATIVE, operation.label
    return findings


@pytest.fixture
def in_process_requests() -> Iterator[None]:
    """What Django's own test client does: requests served in this thread keep the test's
    connection (and its transaction) instead of closing it at the start and end of a request."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


# A member fuzzes valid and invalid input; a visitor's requests mostly stop at the login, so valid
# ones (which reach the access checks and the public reads) are what tells something there.
MODES = {
    "member": (GenerationMode.POSITIVE, GenerationMode.NEGATIVE),
    "anonymous": (GenerationMode.POSITIVE,),
}


# Operations that must answer at least one 2xx (measured: 54 as the member, 29 anonymously), so a
# world that no longer matches the routes cannot make the run pass by answering 404 to everything.
MIN_SUCCEEDED = {"member": 45, "anonymous": 24}


@pytest.mark.parametrize("actor", ["member", "anonymous"])
def test_every_operation_survives_fuzzing_and_keeps_its_schema(world, actor, in_process_requests):  # noqa: F811
    seeds = _seed(world)
    schema = schemathesis.openapi.from_wsgi(SCHEMA_PATH, get_wsgi_application())
    headers = {"Authorization": f"Bearer {seeds.token}"} if actor == "member" else {}
    findings: dict[Finding, str] = {}
    succeeded: set[str] = set()
    started = time.monotonic()
    # One loop instead of schemathesis' pytest parametrization: its fixture-loaded schemas
    # (`schemathesis.pytest.from_fixture`) do not run under pytest 9, and one world per actor
    # keeps the run inside the time budget.
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        for mode in MODES[actor]:
            for finding, example in _fuzz(operation, seeds, mode, headers, succeeded).items():
                findings.setdefault(finding, example)
    print(
        f"{actor}: {len(operations)} operations, {len(succeeded)} answered a 2xx, "
        f"{time.monotonic() - started:.1f} s"
    )
    assert not findings, "\n".join(f"{f}\n    e.g. {example}" for f, example in findings.items())
    # The world gave the fuzzer something to find: reads and writes got past the access checks.
    assert len(succeeded) >= MIN_SUCCEEDED[actor], sorted(succeeded)


# --- stateful: nothing deleted stays usable -------------------------------------------------------

# Create → read/use → delete → read/use chains a member can walk, linked by the ids in responses.
STATEFUL_OPERATIONS = (
    "POST /api/v1/groups/{slug}/threads/",
    "GET /api/v1/threads/{thread_id}/",
    "POST /api/v1/threads/{thread_id}/messages/",
    "GET /api/v1/messages/{message_id}/",
    "PATCH /api/v1/messages/{message_id}/",
    "DELETE /api/v1/messages/{message_id}/",
    "POST /api/v1/messages/{message_id}/reactions/",
    "DELETE /api/v1/messages/{message_id}/reactions/{emoji}/",
    "POST /api/v1/meetups/{meetup_id}/questions/",
    "DELETE /api/v1/questions/{question_id}/",
    "PUT /api/v1/questions/{question_id}/vote/",
    "DELETE /api/v1/questions/{question_id}/vote/",
)


STATEFUL_CHECKS = [*CHECKS, checks.use_after_free]
# A deleted message stays readable as a tombstone (`deleted: true`, no body) by design — the
# conversation keeps its place (docs/api.md: DELETE /messages/{id}/ "leaves a tombstone").
TOMBSTONES = {"GET /api/v1/messages/{message_id}/"}


def test_nothing_deleted_stays_usable(world, in_process_requests):  # noqa: F811
    """schemathesis links the operations by the ids in their responses (its dependency analysis)
    and walks create → use → delete → use chains; after a delete, every use must be a 404 (or
    another refusal), never a success. Each scenario runs in a savepoint that is rolled back."""
    seeds = _seed(world)
    schema = schemathesis.openapi.from_wsgi(SCHEMA_PATH, get_wsgi_application())
    schema = schema.include(lambda ctx: ctx.operation.label in STATEFUL_OPERATIONS)
    schema.config.update(headers={"Authorization": f"Bearer {seeds.token}"})
    # Valid requests: the chains must get past validation to create and delete anything.
    schema.config.generation.modes = [GenerationMode.POSITIVE]
    # Where the chains start: the public group, its thread and its meetup.
    starts = {
        "slug": seeds.values[("groups", "slug")][0],
        "thread_id": seeds.values[("*", "thread_id")][0],
        "meetup_id": seeds.values[("*", "meetup_id")][0],
    }

    @schema.hook
    def map_path_parameters(context, path_parameters):
        return {**path_parameters, **{k: v for k, v in starts.items() if k in path_parameters}}

    findings: dict[Finding, str] = {}
    steps: list[str] = []

    class Machine(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            self.savepoint = transaction.atomic()
            self.savepoint.__enter__()
            cache.clear()
            self.deleted: set[str] = set()

        def teardown(self) -> None:
            transaction.set_rollback(True)
            self.savepoint.__exit__(None, None, None)

        def validate_response(self, response, case, additional_checks=None, **kwargs) -> None:
            steps.append(f"{case.operation.label} -> {response.status_code}")
            excluded = [checks.use_after_free] if case.operation.label in TOMBSTONES else []
            if case.method == "DELETE" and 200 <= response.status_code < 300:
                self.deleted.add(case.formatted_path)
            if excluded and case.formatted_path in self.deleted and response.status_code == 200:
                # …but a tombstone it must be: marked deleted, the text gone.
                tombstone = response.json()
                if not (tombstone["deleted"] and tombstone["body"] == ""):
                    findings.setdefault(
                        Finding(case.operation.label, "tombstone", "Deleted message readable", ""),
                        f"{case.formatted_path}: {tombstone}"[:300],
                    )
            try:
                case.validate_response(
                    response,
                    checks=STATEFUL_CHECKS,
                    excluded_checks=excluded,
                    transport_kwargs=kwargs or None,
                    recorder=self.recorder,
                )
            except FailureGroup as group:
                for failure in group.exceptions:
                    message = " ".join(failure.message.split())[:300]
                    findings.setdefault(
                        Finding(case.operation.label, failure.code, failure.title, message),
                        f"{case.method} {case.formatted_path} body={case.body!r}"[:300],
                    )

    Machine.run(
        settings=settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=8,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    deletes = [step for step in steps if step.startswith("DELETE") and " -> 2" in step]
    print(f"stateful: {len(steps)} steps, {len(deletes)} successful deletes")
    assert deletes, steps  # the chains did reach a delete, so the check had something to check
    assert not findings, "\n".join(f"{f}\n    e.g. {example}" for f, example in findings.items())
