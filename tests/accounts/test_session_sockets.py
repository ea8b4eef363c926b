"""Sockets follow the login (docs/protocol.md, close codes): logging out closes that session's sockets
at once (4001) and no other; a password change makes every session socket reconnect (4009), and the
sessions the change ended are then refused at the handshake. Deactivating an account in the admin
closes all its sockets (4009, then 4003 at the handshake); a ban through the moderation API ends the
group on every socket of the member, a kick closes them (4009) — each within a second."""

from __future__ import annotations

import time

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from tests.accounts.test_auth import AUTH, Browser
from tests.chat.conftest import ALLOWED_ORIGIN
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db(transaction=True)
SOON = 1.0  # seconds: a logged-out (deactivated, banned, kicked) socket must not outlive it by more


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


# --- deactivation and moderation, through their public interfaces -------------------------------


def _deactivate_in_the_admin(staff, user) -> None:
    """What platform staff do: untick "active" on the user's admin page and save."""
    admin = Client()
    admin.force_login(staff)
    url = f"/admin/accounts/user/{user.pk}/change/"
    assert admin.get(url).status_code == 200
    joined = timezone.localtime(user.date_joined)
    response = admin.post(
        url,
        {
            "email": user.email,
            "display_name": user.display_name,
            "language": user.language,
            "is_staff": "",  # unticked boxes are simply absent; "is_active" is not sent either
            "date_joined_0": joined.strftime("%Y-%m-%d"),
            "date_joined_1": joined.strftime("%H:%M:%S"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]  # saved, back to the list
    user.refresh_from_db()
    assert not user.is_active


async def test_deactivating_an_account_in_the_admin_closes_its_sockets_within_a_second(
    connect, fast_password_hashing
):
    user = await sync_to_async(make_user)("Bram", email="bram@example.org")
    staff = await sync_to_async(make_user)("Beheer", staff=True, is_superuser=True)
    _ok, browser = await connect(user)
    _ok, bot = await connect(user, token=True)
    _ok, bystander = await connect(staff)
    for socket in (browser, bot):
        await socket.ping()

    await sync_to_async(_deactivate_in_the_admin)(staff, user)
    started = time.monotonic()  # the admin answered: the deactivation has committed
    codes = [await browser.closed_with(timeout=SOON), await bot.closed_with(timeout=SOON)]
    took = time.monotonic() - started
    print(f"deactivation closed both sockets in {took * 1000:.0f} ms")
    assert codes == [4009, 4009] and took < SOON
    await bystander.ping()
    accepted, again = await connect(user)  # and it cannot come back (docs/protocol.md: 4003)
    assert await again.closed_with() == 4003


def _moderate(librarian, group, user, action: str) -> int:
    client = APIClient()
    client.force_authenticate(librarian)
    url = f"/api/v1/moderation/groups/{group.slug}/members/{user.pk}/{action}/"
    return client.post(url, {"reason": "Volgens de huisregels"}, format="json").status_code


async def test_a_ban_through_the_api_stops_the_group_on_every_socket_within_a_second(
    connect, fast_password_hashing, public_group, librarian, member
):
    """A ban ends the group's subscription on every socket of the member at once (docs/protocol.md:
    `unsubscribed` with reason `banned`); the socket stays for their other groups."""
    tabs = []
    for token in (False, True):
        _ok, tab = await connect(member, token=token)
        await tab.subscribe(public_group)
        tabs.append(tab)

    assert await sync_to_async(_moderate)(librarian, public_group, member, "ban") == 201
    started = time.monotonic()  # the API answered: the ban has committed
    ended = []
    for tab in tabs:
        ended.append(await tab.expect("unsubscribed", ignore=("presence", "moderation.notice")))
    took = time.monotonic() - started
    print(f"ban ended the group on both sockets in {took * 1000:.0f} ms")
    assert [(f["group"], f["reason"]) for f in ended] == [(public_group.slug, "banned")] * 2
    assert took < SOON
    for tab in tabs:
        await tab.send("subscribe", group=public_group.slug)
        assert (await tab.expect("error", ignore=("presence", "moderation.notice")))["code"] == "banned"


async def test_a_kick_through_the_api_closes_every_socket_within_a_second(
    connect, fast_password_hashing, public_group, librarian, member
):
    tabs = [(await connect(member, token=token))[1] for token in (False, True)]
    for tab in tabs:
        await tab.ping()

    assert await sync_to_async(_moderate)(librarian, public_group, member, "kick") == 204
    started = time.monotonic()  # the API answered: the kick has committed
    codes = []
    for tab in tabs:
        await tab.expect("moderation.notice")
        codes.append(await tab.closed_with(timeout=SOON))
    took = time.monotonic() - started
    print(f"kick closed both sockets in {took * 1000:.0f} ms")
    assert codes == [4009, 4009] and took < SOON
