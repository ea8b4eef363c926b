"""Authentication as clients use it: django-allauth's headless browser flow (session cookie + CSRF,
with Django's test Client enforcing CSRF like a browser), e-mail verification and password reset
through the mail outbox, and personal API tokens on REST."""

from __future__ import annotations

import json
import re
from urllib.parse import unquote

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from accounts.models import ApiToken, User
from tests.conftest import PASSWORD, make_user

AUTH = "/_allauth/browser/v1/auth"
NEW_PASSWORD = "another-horse-battery-7"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class Browser:
    """Django's test Client with CSRF enforced, sending JSON and the CSRF header like the SPA does."""

    def __init__(self) -> None:
        self.client = Client(enforce_csrf_checks=True)
        page = self.client.get("/")  # the SPA page sets the csrftoken cookie
        assert "csrftoken" in page.cookies

    @property
    def csrf_token(self) -> str:
        return self.client.cookies["csrftoken"].value

    def send(self, method: str, path: str, data: dict | None = None, *, csrf: bool = True):
        headers = {"HTTP_X_CSRFTOKEN": self.csrf_token} if csrf else {}
        body = json.dumps(data) if data is not None else ""
        return getattr(self.client, method)(path, body, content_type="application/json", **headers)

    def get(self, path: str, **headers):
        return self.client.get(path, **headers)


def signup(browser: Browser, email: str = "anouk@example.org", **extra):
    data = {"email": email, "password": PASSWORD, "display_name": "Anouk", **extra}
    return browser.send("post", f"{AUTH}/signup", data)


def link_key(body: str, path: str) -> str:
    match = re.search(rf"{re.escape(path)}(\S+)", body)
    assert match, body
    return unquote(match.group(1))


@pytest.fixture
def browser(db) -> Browser:
    return Browser()


# --- headless browser flow -----------------------------------------------------------------------


def test_signup_creates_the_account_and_the_confirmation_link_logs_in(browser, mailoutbox):
    response = signup(browser, email="Anouk@Example.org")

    # E-mail verification is mandatory: not logged in until the address is confirmed.
    assert response.status_code == 401, response.content
    body = response.json()
    assert body["meta"]["is_authenticated"] is False
    assert {"id": "verify_email", "is_pending": True} in body["data"]["flows"]
    user = User.objects.get()
    assert user.email.lower() == "anouk@example.org"
    assert user.display_name == "Anouk"
    assert user.check_password(PASSWORD)
    assert browser.get("/api/v1/me/").status_code == 401
    [mail] = mailoutbox
    key = link_key(mail.body, "/account/verify-email/")

    confirmed = browser.send("post", f"{AUTH}/email/verify", {"key": key})

    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["data"]["user"]["id"] == user.pk
    # The session works on REST too.
    me = browser.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["display_name"] == "Anouk"


def test_signup_without_display_name_fails(browser):
    response = browser.send("post", f"{AUTH}/signup", {"email": "a@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert [e["param"] for e in response.json()["errors"]] == ["display_name"]
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nl", "Dit wachtwoord is te kort. De minimale lengte is 8 tekens."),
        ("en", "This password is too short. It must contain at least 8 characters."),
    ],
)
def test_signup_password_errors_follow_the_language(browser, language, expected):
    browser.client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    response = signup(browser, password="kort")
    assert response.status_code == 400
    messages = [e["message"] for e in response.json()["errors"] if e["param"] == "password"]
    assert expected in messages
    assert not User.objects.exists()


def test_signup_with_blank_display_name_fails(browser):
    response = signup(browser, display_name="   ")
    assert response.status_code == 400
    assert not User.objects.exists()


def test_signup_with_a_taken_email_makes_no_second_account(browser):
    make_user(email="anouk@example.org")
    signup(browser)  # answered like a new sign-up: tests/accounts/test_enumeration.py
    assert User.objects.count() == 1


def test_unsafe_requests_without_the_csrf_header_are_refused(browser):
    response = browser.send(
        "post",
        f"{AUTH}/signup",
        {"email": "a@example.org", "password": PASSWORD, "display_name": "A"},
        csrf=False,
    )
    assert response.status_code == 403
    assert not User.objects.exists()


def test_login_session_and_logout(browser):
    user = make_user("Bram", email="bram@example.org")

    assert browser.get(f"{AUTH}/session").status_code == 401
    assert browser.get("/api/v1/me/").status_code == 401

    wrong = browser.send("post", f"{AUTH}/login", {"email": "bram@example.org", "password": "fout"})
    assert wrong.status_code == 400
    login = browser.send("post", f"{AUTH}/login", {"email": "bram@example.org", "password": PASSWORD})
    assert login.status_code == 200, login.content
    assert login.json()["data"]["user"]["id"] == user.pk

    session = browser.get(f"{AUTH}/session")
    assert session.status_code == 200
    assert session.json()["meta"]["is_authenticated"] is True
    assert browser.get("/api/v1/me/").json()["id"] == user.pk

    logout = browser.send("delete", f"{AUTH}/session")
    assert logout.status_code == 401
    assert logout.json()["meta"]["is_authenticated"] is False
    assert browser.get(f"{AUTH}/session").status_code == 401
    assert browser.get("/api/v1/me/").status_code == 401


def test_session_writes_on_rest_need_the_csrf_header(browser, public_group):
    make_user("Bram", email="bram@example.org")
    browser.send("post", f"{AUTH}/login", {"email": "bram@example.org", "password": PASSWORD})
    url = f"/api/v1/groups/{public_group.slug}/join/"

    refused = browser.send("post", url, {}, csrf=False)
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    joined = browser.send("post", url, {})
    assert joined.status_code == 200
    assert joined.json()["membership"] == {"role": "member", "state": "active"}


def test_email_verification_through_the_outbox(browser, mailoutbox):
    signup(browser)
    [mail] = mailoutbox
    assert mail.to == ["anouk@example.org"]
    key = link_key(mail.body, "/account/verify-email/")

    response = browser.send("post", f"{AUTH}/email/verify", {"key": key})

    assert response.status_code == 200, response.content
    assert EmailAddress.objects.get(email="anouk@example.org").verified is True


def test_email_verification_with_a_wrong_key_fails(browser, mailoutbox):
    signup(browser)
    response = browser.send("post", f"{AUTH}/email/verify", {"key": "verkeerd"})
    assert response.status_code == 400
    assert EmailAddress.objects.get(email="anouk@example.org").verified is False


def test_password_reset_through_the_outbox(browser, mailoutbox):
    user = make_user("Bram", email="bram@example.org")

    request = browser.send("post", f"{AUTH}/password/request", {"email": "bram@example.org"})
    assert request.status_code == 200
    [mail] = mailoutbox
    assert mail.to == ["bram@example.org"]
    key = link_key(mail.body, "/account/password/reset/key/")

    reset = browser.send("post", f"{AUTH}/password/reset", {"key": key, "password": NEW_PASSWORD})
    # Reset, but not logged in (ACCOUNT_LOGIN_ON_PASSWORD_RESET is off): 401 with the login flow.
    assert reset.status_code == 401, reset.content
    assert reset.json()["meta"]["is_authenticated"] is False

    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert not user.check_password(PASSWORD)
    assert (
        browser.send("post", f"{AUTH}/login", {"email": "bram@example.org", "password": PASSWORD}).status_code
        == 400
    )
    login = browser.send("post", f"{AUTH}/login", {"email": "bram@example.org", "password": NEW_PASSWORD})
    assert login.status_code == 200
    # The key is used up.
    again = browser.send("post", f"{AUTH}/password/reset", {"key": key, "password": "yet-another-horse-5"})
    assert again.status_code == 400


def test_password_reset_for_an_unknown_address_sends_nothing(browser, mailoutbox):
    make_user("Bram", email="bram@example.org")
    response = browser.send("post", f"{AUTH}/password/request", {"email": "niemand@example.org"})
    assert response.status_code == 200  # no hint whether the account exists
    assert all(mail.to != ["bram@example.org"] for mail in mailoutbox)


# --- personal API tokens -------------------------------------------------------------------------


def create_token(client: Client, email: str, password: str = PASSWORD, name: str = "Robot"):
    return client.post(
        "/api/v1/auth/token/",
        json.dumps({"email": email, "password": password, "name": name}),
        content_type="application/json",
    )


@pytest.fixture
def anouk(db) -> User:
    return make_user("Anouk", email="anouk@example.org")


def test_token_create_with_wrong_password_is_refused(anouk):
    client = Client(enforce_csrf_checks=True)
    for email, password in [("anouk@example.org", "fout"), ("niemand@example.org", PASSWORD)]:
        response = create_token(client, email, password)
        assert response.status_code == 401
        assert response.json()["code"] == "authentication_failed"
        assert response.json()["detail"]
    inactive = make_user("Weg", email="weg@example.org", is_active=False)
    assert create_token(client, inactive.email).status_code == 401
    assert not ApiToken.objects.exists()


def test_token_is_shown_once_and_works_as_bearer(anouk, public_group):
    client = Client(enforce_csrf_checks=True)  # no session, no CSRF: the token is the credential
    response = create_token(client, "anouk@example.org")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "name", "prefix", "created_at", "last_used_at", "token"}
    raw = body["token"]
    assert raw.startswith(body["prefix"])
    stored = ApiToken.objects.get()
    assert raw not in (stored.key_hash, stored.prefix)  # only a hash is stored

    bearer = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    me = client.get("/api/v1/me/", **bearer)
    assert me.status_code == 200
    assert me.json()["id"] == anouk.pk
    # Unsafe requests too, without a CSRF token: no cookie is involved.
    joined = client.post(
        f"/api/v1/groups/{public_group.slug}/join/", "{}", content_type="application/json", **bearer
    )
    assert joined.status_code == 200
    stored.refresh_from_db()
    assert stored.last_used_at is not None


@pytest.mark.parametrize("header", ["Bearer kc_verzonnen", "Bearer", "Bearer a b"])
def test_invalid_bearer_is_refused(db, header):
    response = Client().get("/api/v1/me/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_token_list_shows_no_raw_key_and_revoke_stops_it(anouk):
    client = Client()
    first = create_token(client, "anouk@example.org", name="Eerste").json()
    second = create_token(client, "anouk@example.org", name="Tweede").json()
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {first['token']}"}

    listed = client.get("/api/v1/auth/tokens/", **bearer)
    assert listed.status_code == 200
    assert {t["name"] for t in listed.json()} == {"Eerste", "Tweede"}
    assert all(set(t) == {"id", "name", "prefix", "created_at", "last_used_at"} for t in listed.json())
    assert first["token"] not in listed.content.decode()
    assert second["token"] not in listed.content.decode()

    revoked = client.delete(f"/api/v1/auth/tokens/{second['id']}/", **bearer)
    assert revoked.status_code == 204
    gone = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {second['token']}")
    assert gone.status_code == 401
    assert gone.json()["code"] == "authentication_failed"
    assert [t["name"] for t in client.get("/api/v1/auth/tokens/", **bearer).json()] == ["Eerste"]

    # A token can revoke itself; after that it no longer works.
    assert client.delete(f"/api/v1/auth/tokens/{first['id']}/", **bearer).status_code == 204
    assert client.get("/api/v1/me/", **bearer).status_code == 401


def test_another_users_token_is_not_found(anouk):
    make_user("Bram", email="bram@example.org")
    client = Client()
    mine = create_token(client, "anouk@example.org").json()
    theirs = create_token(client, "bram@example.org").json()

    response = client.delete(
        f"/api/v1/auth/tokens/{theirs['id']}/", HTTP_AUTHORIZATION=f"Bearer {mine['token']}"
    )

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {theirs['token']}").status_code == 200
    listed = client.get("/api/v1/auth/tokens/", HTTP_AUTHORIZATION=f"Bearer {mine['token']}").json()
    assert [t["id"] for t in listed] == [mine["id"]]


def test_inactive_users_token_stops_working(anouk):
    client = Client()
    raw = create_token(client, "anouk@example.org").json()["token"]
    User.objects.filter(pk=anouk.pk).update(is_active=False)
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_token_endpoint_stops_password_guessing(anouk, settings):
    settings.KENNISCLOUD = {**settings.KENNISCLOUD, "TOKEN_FAILURES_PER_HOUR": 3}
    client = Client()
    for _attempt in range(3):
        assert create_token(client, anouk.email, password="geraden").status_code == 401
    refused = create_token(client, anouk.email)  # even the right password, for now
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert not ApiToken.objects.exists()


def test_token_needs_a_verified_address_when_verification_is_mandatory(db, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    unconfirmed = make_user("Anouk", email="anouk@example.org", verified=False)
    refused = create_token(Client(), unconfirmed.email)
    assert (refused.status_code, refused.json()["code"]) == (403, "email_not_verified")
    EmailAddress.objects.create(user=unconfirmed, email=unconfirmed.email, verified=True, primary=True)
    assert create_token(Client(), unconfirmed.email).status_code == 201
