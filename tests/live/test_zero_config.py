"""The zero-configuration server (`make run` without DATABASE_URL and REDIS_URL): SQLite, the
in-memory channel layer, and background tasks inside the daphne process. A link preview and the
collection suggestions reach the sockets live — which a separate worker process could not do there,
since the in-memory layer lives in the server's memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
import uuid

import pytest

from tests.live.conftest import REPO, LiveClient, _ready, _start, _stop

pytestmark = pytest.mark.live

TOKEN_SCRIPT = """
from accounts.models import ApiToken, User
from accounts.services import api_token_create
print(api_token_create(email="anouk@voorbeeldstad.example", password="kenniscloud-demo", name="t")[1])
"""


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture
def zero_config_server(tmp_path, preview_server):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        {
            "KENNISCLOUD_SQLITE_PATH": str(tmp_path / "db.sqlite3"),
            "DJANGO_DEBUG": "1",
            "DJANGO_SETTINGS_MODULE": "backend.settings",
            "PYTHONUNBUFFERED": "1",
            "KENNISCLOUD_INPROCESS_WORKER": "1",
            "KENNISCLOUD_INPROCESS_WORKER_INTERVAL": "0.1",
            "KENNISCLOUD_SUGGESTION_DEBOUNCE_SECONDS": "1",
            "KENNISCLOUD_PREVIEW_TEST_LOOPBACK_PORTS": str(preview_server.port),
        }
    )
    _manage(env, "migrate", "-v0")
    _manage(env, "load_demo")
    token = _manage(env, "shell", "-c", TOKEN_SCRIPT).strip().splitlines()[-1]
    log = tmp_path / "daphne.log"
    process = _start(log, env)
    try:
        yield _ready(process, log), token
    finally:
        _stop(process)
        assert "Traceback" not in log.read_text(errors="replace"), log.read_text(errors="replace")


async def test_previews_and_suggestions_arrive_live_without_redis(
    zero_config_server, preview_server, open_client
):
    server, token = zero_config_server
    request = urllib.request.Request(
        f"{server.http_url}/api/v1/groups/energie-en-klimaat/threads/",
        headers={"Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        thread = json.load(response)[0]["id"]
    client: LiveClient = await open_client(server, token)
    await client.subscribe("energie-en-klimaat")
    await client.send(
        "message.send",
        thread=thread,
        body=f"Hoe leggen we zonnepanelen op ons dak? {preview_server.url}/artikel-zon",
        client_id=str(uuid.uuid4()),
    )
    seen: dict[str, dict] = {}
    while "message.resources" not in seen or "thread.suggestions" not in seen:
        frame = await client.next(ignore=("presence", "typing"), timeout=15)
        seen.setdefault(frame["type"], frame)
    card = seen["message.resources"]["message"]["resources"][0]
    assert card["preview_status"] == "ready" and card["title"] == "Zonnepanelen op je dak: zo begin je"
    suggestions = seen["thread.suggestions"]
    assert suggestions["thread"] == thread
    assert any("zon" in s["resource"]["title"].lower() for s in suggestions["suggestions"])
