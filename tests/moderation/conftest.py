"""The chat tests' WebSocket helpers (`connect`, `db_call`, a fresh channel layer per test) for the
moderation tests too."""

from tests.chat.conftest import (  # noqa: F401  (fixtures are found by name)
    _fresh_channel_layer,
    connect,
    db_call,
    fast_password_hashing,
    public_thread,
)
