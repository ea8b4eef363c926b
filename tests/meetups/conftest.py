"""The chat tests' WebSocket helpers for the meetup tests, and meetup fixtures."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.chat.conftest import (  # noqa: F401  (fixtures are found by name)
    _fresh_channel_layer,
    connect,
    db_call,
    fast_password_hashing,
    public_thread,
)
from tests.meetups.factories import make_meetup


@pytest.fixture
def meetup(public_group, host):
    """A published meetup of the public group tomorrow evening, hosted by `host`, with its thread."""
    return make_meetup(public_group, host, starts_at=timezone.now() + timedelta(days=1))


@pytest.fixture
def closed_meetup(closed_group, host):
    return make_meetup(closed_group, host, starts_at=timezone.now() + timedelta(days=1))
