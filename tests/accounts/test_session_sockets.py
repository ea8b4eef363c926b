"""Sockets follow the login (docs/protocol.md, close codes): logging out closes that session's sockets
at once (4001) and no other; a password change makes every session socket reconnect (4009), and the
sessions the change ended are then refused at the handshake."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings

from tests.accounts.test_auth import AUTH, Browser
from tests.chat.conftest import ALLOWED_ORIGIN
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db(transaction=True)
SOON = 1.0  # seconds: a logged-out socket must not outlive the logout by more


def logged_in(email: str) -> Browser:
    browser = Browser()
    response = browser.send("post", f"{AUTH}/login", {"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.content
    return browser


def socket_headers(browser: Browser) -> list[tuple[bytes, bytes]]:
    cookie = browser.client.cookies[settings.SESSION_COOKIE_NAME].value
    return [(b"origin", ALLOWED_ORIGIN), (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode())]


async def test_logging_out_closes_that_sessions_sockets_only(connect, fast_password_hashing):
    user = await sync_to_async(make_user)("Bram", email="bram@example.org")
    laptop = await sync_to_async(logged_in)(user.email)
    phone = await sync_to_async(logged_in)(user.email)
    _ok, on_laptop = await connect(headers=socket_headers(laptop))
    _ok, on_phone = await connect(headers=socket_headers(phone))
    await on_laptop.ping()
    await on_phone.ping()

    response = await sync_to_async(laptop.send)("delete", f"{AUTH}/session")
    assert response.status_code == 401  # logged out

    assert await on_laptop.closed_with(timeout=SOON) == 4001
    await on_phone.ping()  # the other session is untouched


async def test_a_password_change_reconnects_session_sockets_and_refuses_the_ended_sessions(
    connect, fast_password_hashing
):
    user = await sync_to_async(make_user)("Bram", email="bram@example.org")
    laptop = await sync_to_async(logged_in)(user.email)
    phone = await sync_to_async(logged_in)(user.email)
    _ok, on_laptop = await connect(headers=socket_headers(laptop))
    _ok, on_phone = await connect(headers=socket_headers(phone))
    _ok, bot = await connect(user, token=True)

    changed = await sync_to_async(laptop.send)(
        "post",
        "/_allauth/browser/v1/account/password/change",
        {"current_password": PASSWORD, "new_password": "een-heel-nieuw-wachtwoord-7"},
    )
    assert changed.status_code == 200, changed.content

    assert await on_laptop.closed_with(timeout=SOON) == 4009
    assert await on_phone.closed_with(timeout=SOON) == 4009
    await bot.ping()  # a personal token is not a session
    accepted, again = await connect(headers=socket_headers(laptop))  # its session was renewed
    assert accepted
    await again.ping()
    accepted, ended = await connect(headers=socket_headers(phone))  # logged out by the change
    assert await ended.closed_with() == 4001
