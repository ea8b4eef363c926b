from tests.chat.conftest import (  # noqa: F401  (fixtures are found by name)
    _fresh_channel_layer,
    connect,
    db_call,
    fast_password_hashing,
)
