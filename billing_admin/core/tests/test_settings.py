import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def run(*args, **env):
    # DJANGO_ALLOW_ASYNC_UNSAFE is the browser tests' (Playwright's event loop), not a deployment's.
    drop = ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE")
    base = {k: v for k, v in os.environ.items() if k not in drop}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env},
                          capture_output=True, text=True, timeout=120)


def test_a_missing_secret_key_outside_debug_stops_start_up_with_one_clear_line():
    result = run("check", DEBUG="false", ALLOWED_HOSTS="billing.example.com")
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == ["Configuration error: SECRET_KEY is required when DEBUG is off: set SECRET_KEY to a long "
                     "random string."]
    assert "Traceback" not in result.stderr


def test_a_wrong_database_url_is_one_clear_line():
    result = run("check", DEBUG="true", DATABASE_URL="nosuchdb://x")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "DATABASE_URL" in result.stderr


def test_deploy_check_is_clean_with_production_settings():
    result = run("check", "--deploy", "--fail-level", "WARNING", DEBUG="false",
                 SECRET_KEY="a-very-long-random-production-secret-key-0123456789-abcdefghijklmnop",
                 ALLOWED_HOSTS="billing.example.com")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_secure_defaults_and_csp_outside_debug():
    code = ("from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
            "s.SECURE_HSTS_SECONDS > 0, s.CONTENT_SECURITY_POLICY['DIRECTIVES']['script-src'])")
    result = run("shell", "-c", code, DEBUG="false", SECRET_KEY="x" * 60, ALLOWED_HOSTS="billing.example.com")
    assert result.stdout.strip().splitlines()[-1] == "True True True [\"'self'\"]"
