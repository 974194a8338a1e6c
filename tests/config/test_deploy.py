"""Production settings: refuse to start half-configured, with a weak secret or with debug on;
pass Django's deployment checks."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

SECRET = "kq3V9wZ2-Ea8T_mLr5Yc1Nx7Hd0Pj4UgBs6Wf2Ro9Ki3Mv8Qt1Zy5Xa7Cn0Le4Gb"  # 64, random-looking
HOSTS = {"TENURE_ALLOWED_HOSTS": "crm.example.com"}


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


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("changeme", "too short (8 characters; at least 50)"),
        ("secret", "too short"),
        ("django-insecure-" + SECRET, "Django development key"),
        ("changeme" * 8, "placeholder word 'changeme'"),
        ("my-production-secret-" + SECRET, "placeholder word 'secret'"),
        ("PASSWORD" + SECRET, "placeholder word 'password'"),
        ("ab" * 30, "too little randomness (2 different characters"),
        ("abcdefghij" * 6, "too little randomness (it repeats itself)"),
    ],
)
def test_production_refuses_a_weak_secret_and_says_how_to_make_one(tmp_path, key, reason):
    done = _django(["check"], tmp_path, TENURE_PRODUCTION="1", TENURE_SECRET_KEY=key, **HOSTS)
    assert done.returncode != 0
    assert "ImproperlyConfigured: TENURE_SECRET_KEY is weak" in done.stderr
    assert reason in done.stderr
    assert "secrets.token_urlsafe(50)" in done.stderr  # how to fix it


@pytest.mark.parametrize(
    "key",
    [
        SECRET,
        # what `openssl rand -hex 32` prints: only 16 symbols, but random
        "f3a9c41e07b25d8896ae0c17d4b3f2a65e9801cd7b4a23f6e0d59c18ab7e3f42",
    ],
)
def test_production_accepts_a_strong_secret(tmp_path, key):
    done = _django(["check"], tmp_path, TENURE_PRODUCTION="1", TENURE_SECRET_KEY=key, **HOSTS)
    assert done.returncode == 0, done.stderr


def test_production_refuses_debug(tmp_path):
    done = _django(
        ["check"],
        tmp_path,
        TENURE_PRODUCTION="1",
        TENURE_DEBUG="1",
        TENURE_SECRET_KEY=SECRET,
        **HOSTS,
    )
    assert done.returncode != 0
    assert "TENURE_PRODUCTION=1 refuses TENURE_DEBUG=1" in done.stderr
    assert "Unset TENURE_DEBUG" in done.stderr


def test_debug_alone_still_starts_for_development(tmp_path):
    assert _django(["check"], tmp_path, TENURE_DEBUG="1").returncode == 0


def test_tenure_serve_refuses_to_start_with_a_weak_secret(tmp_path):
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("TENURE_") and key != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    environment.update(
        TENURE_DATA_DIR=str(tmp_path),
        TENURE_PRODUCTION="1",
        TENURE_SECRET_KEY="changeme",
        **HOSTS,
    )
    done = subprocess.run(
        [sys.executable, "-m", "tenure", "serve", "--port", "1"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "TENURE_SECRET_KEY is weak: it is too short" in done.stderr


def test_generated_keys_are_never_refused():
    # What the error message tells people to run, and what `openssl rand -hex 32` gives: the
    # checks must not refuse a truly random key (placeholder words, compression, alphabet).
    import random

    from tenure.config.security import secret_key_problem

    rng = random.Random(11)
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
    for _ in range(2000):
        urlsafe = "".join(rng.choice(alphabet) for _ in range(67))
        hexadecimal = "".join(rng.choice("0123456789abcdef") for _ in range(64))
        assert secret_key_problem(urlsafe) is None, urlsafe
        assert secret_key_problem(hexadecimal) is None, hexadecimal


@pytest.mark.parametrize("value", ["10.0.0.0/8", "proxy.internal", "127.0.0.1,10.0.0.2"])
def test_a_trusted_proxy_must_be_one_address(tmp_path, value):
    done = _django(["check"], tmp_path, TENURE_BEHIND_PROXY="1", TENURE_TRUSTED_PROXY=value)
    assert done.returncode != 0
    assert f"TENURE_TRUSTED_PROXY={value!r} is not an IP address" in done.stderr


def test_a_trusted_proxy_may_be_an_address_or_any(tmp_path):
    for value in ("172.18.0.2", "::1", "*"):
        done = _django(["check"], tmp_path, TENURE_BEHIND_PROXY="1", TENURE_TRUSTED_PROXY=value)
        assert done.returncode == 0, done.stderr
