"""The `tenure` command: every subcommand documents itself, and the system commands work."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import click
import pytest
from click.testing import CliRunner

from tenure.cli.main import cli, register_commands
from tenure.users.models import Role, User


def _all_commands() -> list[tuple[str, ...]]:
    register_commands()
    paths: list[tuple[str, ...]] = []

    def walk(group: click.Group, prefix: tuple[str, ...]) -> None:
        for name, command in group.commands.items():
            paths.append((*prefix, name))
            if isinstance(command, click.Group):
                walk(command, (*prefix, name))

    walk(cli, ())
    return paths


def test_every_subcommand_has_help():
    commands = _all_commands()
    assert {("migrate",), ("createuser",), ("serve",), ("worker",)} <= set(commands)
    runner = CliRunner()
    for path in commands:
        result = runner.invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage:" in result.output


def _tenure(database_url: str, *args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TENURE_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "tenure", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )


def test_createuser_creates_a_user_with_a_role(database_url):
    done = _tenure(
        database_url,
        "createuser",
        "maria",
        "--role",
        "success_manager",
        "--password",
        "plum-orchard-7731",
    )
    assert done.returncode == 0, done.stderr
    user = User.objects.get(username="maria")
    assert user.role == Role.SUCCESS_MANAGER
    assert user.check_password("plum-orchard-7731")
    assert not user.is_superuser


def test_createuser_refuses_a_weak_password_and_a_duplicate(database_url):
    weak = _tenure(database_url, "createuser", "sam", "--password", "12345678")
    assert weak.returncode != 0
    assert "too common" in weak.stderr or "numeric" in weak.stderr
    assert not User.objects.filter(username="sam").exists()

    ok = _tenure(database_url, "createuser", "sam", "--password", "plum-orchard-7731")
    assert ok.returncode == 0, ok.stderr
    again = _tenure(database_url, "createuser", "sam", "--password", "plum-orchard-7731")
    assert again.returncode != 0
    assert "already exists" in again.stderr
    assert User.objects.filter(username="sam").count() == 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_answers_http(database_url):
    port = _free_port()
    env = {**os.environ, "TENURE_DATABASE_URL": database_url}
    server = subprocess.Popen(
        [sys.executable, "-m", "tenure", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5) as page:
                    body = page.read().decode()
                    status = page.status
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.3)
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert status == 200
    assert "csrfmiddlewaretoken" in body


@pytest.mark.django_db
def test_unknown_role_is_refused():
    runner = CliRunner()
    result = runner.invoke(
        register_commands(), ["createuser", "x", "--role", "boss", "--password", "p"]
    )
    assert result.exit_code == 2
    assert "boss" in result.output
