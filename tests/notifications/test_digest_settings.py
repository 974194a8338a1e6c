"""Where the team's digest goes: the server TENURE_SMTP_URL names (as the customers' mail), or
files under the data directory when none is set, never a server nobody configured."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
READ = (
    "import django, json; from django.conf import settings as s; django.setup(); "
    "print(json.dumps([s.EMAIL_BACKEND, getattr(s, 'EMAIL_HOST', ''), getattr(s, 'EMAIL_PORT', 0),"
    " getattr(s, 'EMAIL_USE_TLS', False), getattr(s, 'EMAIL_USE_SSL', False),"
    " getattr(s, 'EMAIL_HOST_USER', ''), getattr(s, 'EMAIL_HOST_PASSWORD', ''),"
    " getattr(s, 'EMAIL_FILE_PATH', '')]))"
)


def _settings(tmp_path: Path, smtp_url: str) -> list:
    import json

    env = {
        **os.environ, "PYTHONPATH": str(SRC), "DJANGO_SETTINGS_MODULE": "tenure.config.settings",
        "TENURE_SMTP_URL": smtp_url, "TENURE_DATA_DIR": str(tmp_path), "TENURE_DATABASE_URL": "",
    }  # fmt: skip
    out = subprocess.run(
        [sys.executable, "-c", READ], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://ann%40x:p%2Fw@mail.example:587?starttls=1",
         ["django.core.mail.backends.smtp.EmailBackend", "mail.example", 587, True, False,
          "ann@x", "p/w"]),
        ("smtps://mail.example",
         ["django.core.mail.backends.smtp.EmailBackend", "mail.example", 465, False, True, "", ""]),
    ],
)  # fmt: skip
def test_the_digest_goes_to_the_configured_server(tmp_path, url, expected):
    assert _settings(tmp_path, url)[:7] == expected


def test_without_a_server_the_digest_is_written_under_the_data_directory(tmp_path):
    found = _settings(tmp_path, "")
    assert found[0] == "django.core.mail.backends.filebased.EmailBackend"
    assert found[7] == str(tmp_path / "team-mail")
