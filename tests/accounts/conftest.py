"""The chat tests' WebSocket helpers, for the tests of sockets that follow the login."""

from tests.chat.conftest import (  # noqa: F401  (fixtures are found by name)
    _fresh_channel_layer,
    connect,
    fast_password_hashing,
)
