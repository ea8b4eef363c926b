"""REST throttles (backend/throttling.py): per signed-in user across all their sessions and tokens,
on their writes, and on the expensive reads (catalogue search, suggestions), counted in Redis. A
refused request gets 429 in the API's one error shape: `throttled`, a translated detail, and
Retry-After. The rates come from the environment (README, configuration)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from django.conf import settings as django_settings
from django.utils import translation
from rest_framework.test import APIClient

from accounts.services import api_token_create
from backend.exceptions import Throttled
from tests.chat.conftest import make_thread
from tests.conftest import PASSWORD, make_user

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def rates(settings):
    """`rates(user=…, write=…, search=…)`: the rates under test; the others unlimited."""

    def set_rates(**scoped: str) -> None:
        current = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**current, **scoped},
        }

    return set_rates


def session_client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)  # a real session: the throttle sees the user as the server does
    return client


def token_client(user) -> APIClient:
    _token, raw = api_token_create(email=user.email, password=PASSWORD, name="bot")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def assert_throttled(response, language: str = "nl") -> int:
    assert response.status_code == 429, response.content
    body = response.json()
    assert body["code"] == "throttled"
    wait = int(response["Retry-After"])
    assert body["retry_after"] == wait and wait >= 1
    with translation.override(language):  # the request's language (Dutch by default)
        expected = str(Throttled(wait).message)
    assert body["detail"] == expected and str(wait) in expected
    return wait


def test_a_user_is_throttled_across_all_their_sessions_and_tokens(rates, public_group, member):
    rates(user="6/minute")
    laptop, phone, bot = session_client(member), session_client(member), token_client(member)
    statuses = [c.get("/api/v1/groups/").status_code for c in (laptop, phone, bot, laptop, phone, bot)]
    assert statuses == [200] * 6
    for client in (laptop, phone, bot):  # one budget, wherever the request comes from
        assert_throttled(client.get("/api/v1/groups/"))
    assert_throttled(bot.get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="en"), language="en")
    assert session_client(make_user("Bram")).get("/api/v1/groups/").status_code == 200  # others not


def test_the_counts_live_in_redis(rates, public_group, member):
    rates(user="1/minute")
    client = session_client(member)
    assert client.get("/api/v1/groups/").status_code == 200
    assert_throttled(client.get("/api/v1/groups/"))
    assert django_settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    keys = redis.Redis.from_url(django_settings.REDIS_URL).keys(f"*throttle_user_{member.pk}")
    assert len(keys) == 1, keys


def test_writes_have_their_own_budget_and_reads_go_on(rates, public_group, member):
    rates(write="3/minute")
    thread = make_thread(public_group, member)
    client = session_client(member)
    path = f"/api/v1/threads/{thread.pk}/read/"
    assert [client.post(path, {"seq": 0}, format="json").status_code for _ in range(3)] == [200] * 3
    assert_throttled(client.post(path, {"seq": 0}, format="json"))
    assert_throttled(client.patch("/api/v1/me/", {"language": "en"}, format="json"))
    assert client.get(f"/api/v1/threads/{thread.pk}/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200


def test_catalogue_search_and_suggestions_share_the_search_budget(rates, public_group, member):
    rates(search="3/minute")
    thread = make_thread(public_group, member)
    client = session_client(member)
    search = f"/api/v1/groups/{public_group.slug}/catalogue/?q=zon"
    statuses = [
        client.get(search).status_code,
        client.get(f"/api/v1/libraries/{public_group.library.slug}/catalogue/?q=zon").status_code,
        client.get(f"/api/v1/threads/{thread.pk}/suggestions/").status_code,
    ]
    assert statuses == [200] * 3
    assert_throttled(client.get(search))
    assert_throttled(client.get(f"/api/v1/threads/{thread.pk}/suggestions/"))
    assert client.get(f"/api/v1/threads/{thread.pk}/").status_code == 200  # cheap reads go on
    assert session_client(make_user("Bram")).get(search).status_code == 200


def test_the_rates_come_from_the_environment():
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "PYTHONPATH"}}
    env.update(
        DJANGO_SETTINGS_MODULE="backend.settings",
        KENNISCLOUD_SQLITE_PATH="/tmp/kc-probe.sqlite3",
        KENNISCLOUD_USER_RATE="7/minute",
        KENNISCLOUD_WRITE_RATE="5/minute",
        KENNISCLOUD_SEARCH_RATE="off",
        KENNISCLOUD_ANON_RATE="3/minute",
    )
    probe = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps(settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "anon": "3/minute",
        "user": "7/minute",
        "write": "5/minute",
        "search": None,  # off: no limit
    }
