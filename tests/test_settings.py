"""The one settings file: zero-config defaults, and production refusing to start half-configured.

Each case imports the settings in a fresh interpreter with a controlled environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'engine': settings.DATABASES['default']['ENGINE'], "
    "'layer': settings.CHANNEL_LAYERS['default']['BACKEND'], "
    "'cache': settings.CACHES['default']['BACKEND'], 'debug': settings.DEBUG, "
    "'hosts': settings.ALLOWED_HOSTS, "
    "'prepare': settings.DATABASES['default'].get('OPTIONS', {}).get('prepare_threshold', 'unset')}))"
)
KEEP = {"PATH", "HOME", "LANG", "PYTHONPATH"}


def probe(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k in KEEP}
    clean.update(DJANGO_SETTINGS_MODULE="backend.settings", KENNISCLOUD_SQLITE_PATH="/tmp/kc-probe.sqlite3")
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def test_no_configuration_means_sqlite_in_memory_layer_and_debug_on_localhost():
    result = probe()
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    assert config["engine"] == "django.db.backends.sqlite3"
    assert config["layer"] == "channels.layers.InMemoryChannelLayer"
    assert config["cache"].endswith("LocMemCache")
    assert config["debug"] is True
    assert config["hosts"] == ["127.0.0.1", "localhost"]


def test_urls_switch_to_postgresql_and_redis():
    result = probe(DATABASE_URL="postgres://u:p@db:5432/kc", REDIS_URL="redis://cache:6379/0")
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    assert config["engine"] == "django.db.backends.postgresql"
    # channels-redis, made to outlive a Redis outage (backend/channel_layer.py)
    assert config["layer"] == "backend.channel_layer.RedisChannelLayer"
    assert config["cache"].endswith("RedisCache")
    assert config["prepare"] == 5  # rows.prepared_cursor's statements


def test_prepared_statements_can_be_turned_off_for_a_pooler_that_cannot_keep_them():
    result = probe(DATABASE_URL="postgres://u:p@db:5432/kc", KENNISCLOUD_DB_PREPARE="0")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["prepare"] is None


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"DJANGO_ALLOWED_HOSTS": "kenniscloud.example.nl"}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": "s" * 50}, "DJANGO_ALLOWED_HOSTS"),
    ],
    ids=["no-secret-key", "no-allowed-hosts"],
)
def test_without_debug_it_refuses_to_start_half_configured(env, missing):
    result = probe(DJANGO_DEBUG="0", **env)
    assert result.returncode != 0
    assert missing in result.stderr


def test_without_debug_and_fully_configured_it_starts():
    result = probe(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="s" * 50, DJANGO_ALLOWED_HOSTS="kc.example.nl")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["debug"] is False
