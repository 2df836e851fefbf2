"""Production mode refuses to start unsafe, and starts safe when configured."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
GOOD_KEY = "k3y-" + "x7Q9" * 15
PROBE = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'DEBUG': s.DEBUG, 'SESSION_COOKIE_SECURE': s.SESSION_COOKIE_SECURE, "
    "'CSRF_COOKIE_SECURE': s.CSRF_COOKIE_SECURE, 'SECURE_SSL_REDIRECT': s.SECURE_SSL_REDIRECT, "
    "'SECURE_HSTS_SECONDS': s.SECURE_HSTS_SECONDS, 'SESSION_COOKIE_HTTPONLY': "
    "s.SESSION_COOKIE_HTTPONLY, 'ALLOWED_HOSTS': s.ALLOWED_HOSTS}))"
)


def start(tmp_path, **env) -> subprocess.CompletedProcess:
    base = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "rehsos.settings",
        "REHSOS_ENV": "production",
        "REHSOS_VAR_DIR": str(tmp_path / "var"),
    }
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**base, **env},
        timeout=60,
        check=False,
    )


@pytest.fixture
def complete():
    return {
        "SECRET_KEY": GOOD_KEY,
        "ALLOWED_HOSTS": "rehsos.kemensos.go.id",
        "DATABASE_URL": "postgres://rehsos@db.internal:5432/rehsos",
        "REHSOS_IDENTIFIER_KEYS": "k2026:" + "bmJu" * 10 + "bmI=",
        "REHSOS_BLIND_INDEX_KEY": "aWlp" * 10 + "aWk=",
    }


def test_a_missing_secret_key_stops_the_start_with_a_clear_message(tmp_path, complete):
    del complete["SECRET_KEY"]
    result = start(tmp_path, **complete)
    assert result.returncode != 0
    assert result.stdout == ""
    assert (
        "django.core.exceptions.ImproperlyConfigured: rehsos refuses to start in production: "
        "SECRET_KEY must be set to a random value of at least 50 characters."
    ) in result.stderr


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"SECRET_KEY": "short"}, "SECRET_KEY must be set to a random value of at least 50"),
        ({"DEBUG": "true"}, "DEBUG must be off in production"),
        (
            {"SESSION_COOKIE_SECURE": "false"},
            "SESSION_COOKIE_SECURE and CSRF_COOKIE_SECURE must be true in production",
        ),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS must name the host names the site is served on"),
        ({"DATABASE_URL": ""}, "DATABASE_URL must point at the production database"),
        (
            {"REHSOS_IDENTIFIER_KEYS": ""},
            "REHSOS_IDENTIFIER_KEYS and REHSOS_BLIND_INDEX_KEY must be set",
        ),
    ],
)
def test_each_unsafe_setting_is_refused(tmp_path, complete, change, message):
    result = start(tmp_path, **{**complete, **change})
    assert result.returncode != 0
    assert message in result.stderr


def test_a_complete_production_configuration_starts_safe(tmp_path, complete):
    result = start(tmp_path, **complete)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SESSION_COOKIE_HTTPONLY": True,
        "ALLOWED_HOSTS": ["rehsos.kemensos.go.id"],
    }
