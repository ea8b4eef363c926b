"""Fixtures for the resources tests: a local HTTP server for link previews, a real task worker,
and (re-exported) the REST matrix's world and the chat tests' sockets."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from tests.api.test_permissions import _fast_password_hashing, world  # noqa: F401 - fixtures
from tests.chat.conftest import (  # noqa: F401 - fixtures
    _fresh_channel_layer,
    connect,
    db_call,
    fast_password_hashing,
    public_thread,
)

REPO = Path(__file__).resolve().parents[2]

# A 1×1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)

ARTICLE = b"""<!doctype html><html><head><meta charset="utf-8">
<title>Fallback titel</title>
<meta property="og:title" content="Zonnepanelen op je dak: zo begin je">
<meta property="og:description" content="Een stappenplan van het energieloket.">
<meta property="og:site_name" content="Energieloket Voorbeeldstad">
<meta property="og:type" content="article">
<meta property="og:image" content="/zon.png">
</head><body><p>Tekst</p></body></html>"""


@dataclass
class PreviewServer:
    """A real local HTTP server the preview fetcher may reach (through the test-only setting)."""

    port: int
    requests: list[str] = field(default_factory=list)
    # Extra paths a test serves: path (without the query) → (body, content type).
    routes: dict[str, tuple[bytes, str]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def preview_server(settings) -> Iterator[PreviewServer]:
    seen: list[str] = []
    routes: dict[str, tuple[bytes, str]] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            seen.append(self.path)
            path = self.path.split("?", 1)[0]
            if path in routes:
                body, content_type = routes[path]
            elif path == "/zon.png":
                body, content_type = PNG, "image/png"
            elif path.startswith("/artikel"):
                body, content_type = ARTICLE, "text/html; charset=utf-8"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    found = PreviewServer(port=server.server_address[1], requests=seen, routes=routes)
    settings.KENNISCLOUD = {**settings.KENNISCLOUD, "PREVIEW_TEST_LOOPBACK_PORTS": [found.port]}
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()


def _database_url() -> str:
    db = django_settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def run_worker(settings):
    """`run_worker()` runs a real task worker process (`manage.py db_worker --batch`) on the test
    database until the queue is empty. Only for `transaction=True` tests: it must see their data."""

    def run(**env: str) -> str:
        ports = ",".join(str(p) for p in settings.KENNISCLOUD["PREVIEW_TEST_LOOPBACK_PORTS"])
        result = subprocess.run(
            [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay", "--no-reload"],
            cwd=REPO,
            env={
                **os.environ,
                "DATABASE_URL": _database_url(),
                "KENNISCLOUD_DB_POOL": "0",
                "KENNISCLOUD_PREVIEW_TEST_LOOPBACK_PORTS": ports,
                **env,
            },
            capture_output=True,
            text=True,
            timeout=120,
        )
        output = result.stdout + result.stderr
        assert result.returncode == 0, output
        assert "Traceback" not in output, output
        return output

    return run
