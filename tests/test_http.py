"""Django's HTTP side under ASGI (backend/http.py): a request takes one trip from the event loop to
a thread — request signal, the whole middleware chain, the view and closing the response — and
every middleware still does its work. Driven through `backend.asgi.application`, as daphne does."""

from __future__ import annotations

import inspect
import json
import uuid

import pytest
from asgiref.sync import SyncToAsync
from channels.db import database_sync_to_async as db
from channels.testing import HttpCommunicator
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.services import api_token_create
from chat.models import Message
from tests.chat.conftest import fast_password_hashing, make_thread  # noqa: F401 (a fixture)
from tests.conftest import PASSWORD

pytestmark = [
    pytest.mark.django_db(transaction=True),  # the handler's thread reads committed rows
    pytest.mark.usefixtures("fast_password_hashing"),
]

HOST = (b"host", b"127.0.0.1")


@pytest.fixture
def thread(public_group, librarian):
    return make_thread(public_group, librarian)


async def request(method: str, path: str, body: bytes = b"", headers: list | None = None) -> dict:
    from backend.asgi import application

    sized = [HOST, (b"content-length", str(len(body)).encode()), *(headers or [])]
    communicator = HttpCommunicator(application, method, path, body=body, headers=sized)
    return await communicator.get_response(timeout=10)


def header(response: dict, name: str) -> str | None:
    for key, value in response["headers"]:
        if key.decode().lower() == name.lower():
            return value.decode()
    return None


async def test_an_api_request_takes_one_thread_trip_through_every_middleware(monkeypatch, thread):
    trips: list[str] = []
    real_call = SyncToAsync.__call__

    def counted(self, *args, **kwargs):
        trips.append(getattr(self.func, "__qualname__", repr(self.func)))
        return real_call(self, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "__call__", counted)
    response = await request("GET", f"/api/v1/threads/{thread.pk}/messages/")

    assert response["status"] == 200, response["body"]
    assert json.loads(response["body"]) == {"next": None, "previous": None, "results": []}
    assert len(trips) == 1, trips  # Django's own ASGI handler: 7 switches, 19 before SyncChain
    # The middlewares ran: security headers, the language, the clickjacking guard, CSP.
    assert header(response, "Content-Language") == "nl"
    assert header(response, "X-Frame-Options") == "DENY"
    assert header(response, "X-Content-Type-Options") == "nosniff"
    assert header(response, "Content-Security-Policy")


async def test_a_post_with_a_body_and_a_bearer_token_is_stored(member, thread):
    _token, raw = await db(api_token_create)(email=member.email, password=PASSWORD, name="bot")
    client_id = str(uuid.uuid4())
    response = await request(
        "POST",
        f"/api/v1/threads/{thread.pk}/messages/",
        body=json.dumps({"body": "Via de API", "client_id": client_id}).encode(),
        headers=[(b"authorization", f"Bearer {raw}".encode()), (b"content-type", b"application/json")],
    )
    assert response["status"] == 201, response["body"]
    assert json.loads(response["body"])["client_id"] == client_id
    assert await db(lambda: Message.objects.get(client_id=client_id).body)() == "Via de API"


async def test_errors_are_answered_not_raised(member, thread):
    refused = await request("POST", f"/api/v1/threads/{thread.pk}/messages/", body=b"{}")
    assert refused["status"] == 401, refused
    assert json.loads(refused["body"])["code"] == "not_authenticated"
    missing = await request("GET", "/api/v1/threads/987654/messages/")
    assert missing["status"] == 404
    assert json.loads(missing["body"])["code"] == "not_found"
    _token, raw = await db(api_token_create)(email=member.email, password=PASSWORD, name="bot")
    garbled = await request(
        "POST",
        f"/api/v1/threads/{thread.pk}/messages/",
        body=b"{kapot",
        headers=[(b"authorization", f"Bearer {raw}".encode()), (b"content-type", b"application/json")],
    )
    assert garbled["status"] == 400, garbled
    assert json.loads(garbled["body"])["code"]
    foreign = await request("GET", "/api/v1/groups/", headers=[(b"host", b"evil.example")])
    assert foreign["status"] == 400


def _views(patterns) -> list:
    found = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            found += _views(entry.url_patterns)
        elif isinstance(entry, URLPattern):
            found.append(entry.callback)
    return found


def test_no_view_is_async():
    """backend/http.py runs views on a thread, as WSGI does; an async view would need Django's
    own handler back."""
    views = _views(get_resolver().url_patterns)
    assert len(views) > 20
    asynchronous = [
        view
        for view in views
        if inspect.iscoroutinefunction(getattr(view, "view_class", view))
        or getattr(getattr(view, "view_class", None), "view_is_async", False)
    ]
    assert asynchronous == []
