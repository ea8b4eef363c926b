"""Abuse of the login (#7): failed logins are throttled per account and per address, and neither the
login, the sign-up nor the password reset tells whether an address has an account (same status,
same body)."""

from __future__ import annotations

import json

import pytest

from accounts.models import User
from tests.accounts.test_auth import AUTH, Browser, signup
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(db) -> Browser:
    return Browser()


def attempt(browser: Browser, email: str, password: str, address: str = "198.51.100.7"):
    return browser.client.post(
        f"{AUTH}/login",
        json.dumps({"email": email, "password": password}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=browser.csrf_token,
        REMOTE_ADDR=address,
    )


def test_the_login_answers_alike_for_an_unknown_address_and_a_wrong_password(browser):
    make_user("Bram", email="bram@example.org")
    unknown = attempt(browser, "niemand@example.org", "geen-idee-123")
    wrong = attempt(browser, "bram@example.org", "geen-idee-123")
    assert unknown.status_code == wrong.status_code == 400
    assert unknown.json() == wrong.json()


def test_a_password_reset_answers_alike_for_known_and_unknown_addresses(browser, mailoutbox):
    make_user("Bram", email="bram@example.org")
    known = browser.send("post", f"{AUTH}/password/request", {"email": "bram@example.org"})
    unknown = browser.send("post", f"{AUTH}/password/request", {"email": "niemand@example.org"})
    assert known.status_code == unknown.status_code
    assert known.json() == unknown.json()
    assert [m.to for m in mailoutbox][0] == ["bram@example.org"]  # only the real one got mail


def test_a_sign_up_answers_alike_for_a_taken_and_a_new_address(db, mailoutbox):
    """With e-mail verification mandatory (the default) a new account waits for its confirmation, so
    a sign-up with a taken address can answer the same; its owner is told by e-mail instead."""
    bram = make_user("Bram", email="bram@example.org")
    taken = signup(Browser(), email="bram@example.org")
    new = signup(Browser(), email="nieuw@example.org")
    assert taken.status_code == new.status_code == 401
    assert taken.json() == new.json()
    assert User.objects.filter(email__iexact="bram@example.org").get() == bram  # no second account
    assert bram.check_password(PASSWORD)  # and the sign-up's password changed nothing
    by_address = {tuple(m.to): m for m in mailoutbox}
    assert set(by_address) == {("bram@example.org",), ("nieuw@example.org",)}
    assert "/account/verify-email/" in by_address[("nieuw@example.org",)].body
    assert "/account/verify-email/" not in by_address[("bram@example.org",)].body
    assert "/account/password/reset" in by_address[("bram@example.org",)].body  # "already exists"


def codes(response) -> list[str]:
    return [error["code"] for error in response.json().get("errors", [])]


THROTTLED = ["too_many_login_attempts"]  # allauth answers 400 with this code, translated


def test_failed_logins_are_throttled_per_account(browser):
    make_user("Bram", email="bram@example.org")
    # From a different address each time: only the account's own limit (5 per 5 minutes) applies.
    answers = [codes(attempt(browser, "bram@example.org", "fout", f"198.51.100.{n}")) for n in range(6)]
    assert THROTTLED not in answers[:5] and answers[5] == THROTTLED
    assert (
        codes(attempt(browser, "bram@example.org", PASSWORD, "203.0.113.9")) == THROTTLED
    )  # even the right one


def test_failed_logins_are_throttled_per_address(browser):
    answers = [codes(attempt(browser, f"iemand{n}@example.org", "fout")) for n in range(11)]
    assert THROTTLED not in answers[:10] and answers[10] == THROTTLED
    make_user("Bram", email="bram@example.org")
    assert attempt(browser, "bram@example.org", PASSWORD, "203.0.113.9").status_code == 200  # others log in
