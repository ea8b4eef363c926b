"""The logs of a scripted session — sign-up, login, a personal token, a message, an error, a bad
request — at DEBUG level with the production settings never contain the message's text, the
token, the password or the e-mail address; and they come out as JSON lines."""

from __future__ import annotations

import json
import logging
import uuid

import pytest

from backend.logs import JsonFormatter
from tests.accounts.test_auth import AUTH, Browser, link_key
from tests.chat.conftest import make_thread

pytestmark = pytest.mark.django_db

EMAIL = "geheim.adres@example.org"
PASSWORD = "een-geheim-wachtwoord-42"
BODY = "Mijn telefoonnummer is 06-12345678"


def test_a_scripted_session_logs_no_bodies_tokens_passwords_or_addresses(
    settings, caplog, mailoutbox, public_group
):
    settings.DEBUG = False
    caplog.set_level(logging.DEBUG)
    browser = Browser()
    signup = browser.send(
        "post", f"{AUTH}/signup", {"email": EMAIL, "password": PASSWORD, "display_name": "Ria"}
    )
    assert signup.status_code == 401, signup.content  # confirm the address first
    key = link_key(mailoutbox[0].body, "/account/verify-email/")
    assert browser.send("post", f"{AUTH}/email/verify", {"key": key}).status_code == 200
    assert browser.send("post", f"/api/v1/groups/{public_group.slug}/join/", {}).status_code in (200, 201)
    thread = make_thread(public_group, public_group.created_by)
    sent = browser.send(
        "post", f"/api/v1/threads/{thread.pk}/messages/", {"body": BODY, "client_id": str(uuid.uuid4())}
    )
    assert sent.status_code == 201, sent.content
    token = browser.send("post", "/api/v1/auth/token/", {"email": EMAIL, "password": PASSWORD, "name": "bot"})
    secret = token.json()["token"]
    assert browser.client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    assert browser.client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {secret}x").status_code == 401
    browser.send("post", f"/api/v1/threads/{thread.pk}/messages/", {"body": "", "client_id": "nope"})
    browser.send("delete", f"{AUTH}/session")
    wrong = browser.send("post", f"{AUTH}/login", {"email": EMAIL, "password": PASSWORD + "x"})
    assert wrong.status_code == 400

    assert caplog.records, "the session logged nothing at all: the test would prove nothing"
    lines = [JsonFormatter().format(record) for record in caplog.records]
    for line in lines:
        entry = json.loads(line)
        assert {"time", "level", "logger", "message"} <= entry.keys()
        for secret_text in (EMAIL, PASSWORD, BODY, secret, "06-12345678"):
            assert secret_text not in line, (secret_text, line)
