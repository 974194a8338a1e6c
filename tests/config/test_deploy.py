"""Production settings: refuse to start half-configured; pass Django's deployment checks."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

SECRET = "x" * 20 + "a-long-random-production-secret-0123456789"


def _django(args: list[str], tmp_path, **env: str) -> subprocess.CompletedProcess[str]:
    # A clean environment: no TENURE_* of the test run, nor the browser tests' async switch.
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("TENURE_") and key != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    environment.update(
        TENURE_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="tenure.config.settings", **env
    )
    return subprocess.run(
        [sys.executable, "-m", "django", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy(tmp_path):
    done = _django(
        ["check", "--deploy", "--fail-level", "WARNING"],
        tmp_path,
        TENURE_PRODUCTION="1",
        TENURE_SECRET_KEY=SECRET,
        TENURE_ALLOWED_HOSTS="crm.example.com",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"TENURE_ALLOWED_HOSTS": "crm.example.com"}, "TENURE_SECRET_KEY"),
        ({"TENURE_SECRET_KEY": SECRET}, "TENURE_ALLOWED_HOSTS"),
    ],
)
def test_production_refuses_to_start_without_secret_or_hosts(tmp_path, env, missing):
    done = _django(["check"], tmp_path, TENURE_PRODUCTION="1", **env)
    assert done.returncode != 0
    assert missing in done.stderr
    assert not (tmp_path / "secret_key").exists()  # no generated secret in production


def test_a_local_instance_generates_and_keeps_its_secret(tmp_path):
    assert _django(["check"], tmp_path).returncode == 0
    key_file = tmp_path / "secret_key"
    first = key_file.read_text()
    assert len(first) >= 50
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert _django(["check"], tmp_path).returncode == 0
    assert key_file.read_text() == first
