"""Under ASGI (daphne) Django's middleware chain runs in one trip to the thread-sensitive thread
(backend/middleware.py) instead of a trip per middleware hook — and every middleware still does its
work."""

from __future__ import annotations

import pytest
from asgiref.sync import SyncToAsync
from django.test import AsyncClient

from tests.chat.conftest import make_thread

pytestmark = pytest.mark.django_db(transaction=True)  # the handler's thread reads committed rows


@pytest.fixture
def thread(public_group, librarian):
    return make_thread(public_group, librarian)


async def test_an_api_request_takes_the_middleware_chain_in_one_thread_trip(monkeypatch, thread):
    trips: list[str] = []
    real_call = SyncToAsync.__call__

    def counted(self, *args, **kwargs):
        trips.append(getattr(self.func, "__qualname__", repr(self.func)))
        return real_call(self, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "__call__", counted)
    response = await AsyncClient().get(f"/api/v1/threads/{thread.pk}/messages/")

    assert response.status_code == 200, response.content
    assert response.json() == {"next": None, "previous": None, "results": []}
    hooks = [t for t in trips if t.endswith(("process_request", "process_response"))]
    assert hooks == [], trips  # no middleware hook on a trip of its own (19 trips in all before)
    assert len(trips) <= 6, trips  # the request signal, the chain, Django's handling of the view
    # The middlewares above still ran: security headers, the language, the clickjacking guard.
    assert response["Content-Language"] == "nl"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
