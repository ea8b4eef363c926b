"""Production posture: Django's deployment checks pass with the production settings, responses carry
the security headers (HTTPS only, HSTS, a CSP without inline scripts, no framing), cookies are
secure, the health and readiness endpoints answer, and daphne is a version with the known fixes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "k" * 20 + "-production-secret-for-the-check-" + "x" * 20,
    "DJANGO_ALLOWED_HOSTS": "kenniscloud.example.nl",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://kenniscloud.example.nl",
    "EMAIL_HOST": "smtp.example.nl",
}


def test_the_deployment_checks_pass_with_the_production_settings():
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "DATABASE_URL", "REDIS_URL"}}
    env.update(PRODUCTION, DJANGO_SETTINGS_MODULE="backend.settings")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def production(settings):
    """The security settings as production computes them (the rest of the test settings stay)."""
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["kenniscloud.example.nl"]
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 365 * 24 * 3600
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    return Client(HTTP_HOST="kenniscloud.example.nl")


@pytest.mark.django_db
def test_plain_http_is_redirected_except_the_health_checks(production):
    response = production.get("/groups/energie")
    assert response.status_code == 301
    assert response["Location"] == "https://kenniscloud.example.nl/groups/energie"
    assert production.get("/healthz").status_code == 200
    assert production.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_pages_carry_the_security_headers_and_secure_cookies(production):
    response = production.get("/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    directives = [part.split() for part in response["Content-Security-Policy"].split("; ") if part]
    policy = {name: sources for name, *sources in directives}
    assert policy["script-src"] == ["'self'"]  # no inline scripts, no other origin
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["default-src"] == ["'self'"]
    assert not any(re.match(r"https?://", source) for sources in policy.values() for source in sources)
    csrf = response.cookies["csrftoken"]
    assert csrf["secure"] and csrf["samesite"] == "Lax"


@pytest.mark.django_db
def test_readiness_names_the_components(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


def test_daphne_has_the_fixes_of_4_2_2():
    assert tuple(int(part) for part in version("daphne").split(".")[:3]) >= (4, 2, 2)
    assert re.search(r'"daphne>=4\.2\.2', (ROOT / "pyproject.toml").read_text())


@pytest.mark.django_db
def test_readiness_fails_and_says_why_when_redis_is_unreachable(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "backend.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "ok", "redis": "unavailable"}}
