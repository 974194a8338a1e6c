"""Running tenure: migrate, createuser, serve, worker."""

from __future__ import annotations

import contextlib
import faulthandler
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import click

from tenure.cli.main import setup_django
from tenure.cli.supervise import WorkerSupervisor, stop_on_sigterm


@click.command()
def migrate() -> None:
    """Create or upgrade the database tables."""
    setup_django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1)


@click.command()
@click.argument("username")
@click.option(
    "--role",
    type=click.Choice(["admin", "manager", "success_manager", "analyst"]),
    default="manager",
    show_default=True,
)
@click.option("--email", default="")
@click.option(
    "--password",
    envvar="TENURE_NEW_PASSWORD",
    help="the new user's password (or TENURE_NEW_PASSWORD); asked for when missing",
)
def createuser(username: str, role: str, email: str, password: str | None) -> None:
    """Create a team member who can log in to the web app."""
    setup_django()
    from django.core.exceptions import ValidationError

    from tenure.users.services import user_create

    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = user_create(username=username, password=password, role=role, email=email)
    except ValidationError as error:
        raise click.ClickException("; ".join(error.messages)) from error
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"created {user.username} ({user.get_role_display()})")


def proxy_options() -> dict[str, object]:
    """waitress's trust in a TLS proxy, from TENURE_BEHIND_PROXY and TENURE_TRUSTED_PROXY.

    waitress removes X-Forwarded-* headers from every peer it does not trust, so without this
    Django never sees the proxy's X-Forwarded-Proto, takes every request for plain http and
    redirects it to https forever. From the trusted proxy, waitress sets the request's scheme
    from X-Forwarded-Proto and the client's address from X-Forwarded-For (the login lockout
    counts per address: behind a proxy, without it, every client would share the proxy's).
    The Host header is not taken from X-Forwarded-Host: the proxy must pass the client's Host.
    """
    from django.conf import settings

    if not settings.BEHIND_PROXY:
        return {}
    return {
        "trusted_proxy": settings.TRUSTED_PROXY,
        "trusted_proxy_count": 1,
        "trusted_proxy_headers": {"x-forwarded-proto", "x-forwarded-for"},
        "clear_untrusted_proxy_headers": True,
    }


def serve_app(host: str, port: int, *, with_worker: bool, threads: int = 8) -> None:
    """Serve the web app with waitress (and a worker beside it when asked) until interrupted."""
    setup_django()
    from django.conf import settings
    from waitress import serve as waitress_serve

    from tenure.config.wsgi import application

    stop_on_sigterm()
    worker = None
    if with_worker:
        worker = WorkerSupervisor([sys.executable, "-m", "tenure", "worker"], echo=click.echo)
        worker.start()
    click.echo(f"tenure is serving on http://{host}:{port}/  (Ctrl+C to stop)")
    if host not in settings.ALLOWED_HOSTS and host not in ("0.0.0.0", "::"):  # noqa: S104
        click.echo(f"note: add {host} to TENURE_ALLOWED_HOSTS to reach it by that name", err=True)
    if settings.BEHIND_PROXY:
        click.echo(f"trusting X-Forwarded-Proto and X-Forwarded-For from {settings.TRUSTED_PROXY}")
    elif settings.HTTPS:
        click.echo(
            "note: this server speaks plain http and redirects to https: put a TLS proxy in "
            "front of it and set TENURE_BEHIND_PROXY=1",
            err=True,
        )
    try:
        waitress_serve(
            application, host=host, port=port, threads=threads, ident="tenure", **proxy_options()
        )
    finally:
        if worker is not None:
            worker.stop()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--with-worker", is_flag=True, help="also run a background worker beside it")
def serve(host: str, port: int, with_worker: bool) -> None:
    """Serve the web app (and its API) over HTTP."""
    serve_app(host, port, with_worker=with_worker)


@click.command()
def worker() -> None:
    """Run the background worker: imports, scheduled jobs, refits, emails, and the followers
    of the events (the lifecycle engine, webhooks)."""
    setup_django()
    from django.conf import settings
    from django_q.cluster import Cluster

    from tenure.events.consumers import consumers_follow

    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # kill -USR1: where is it stuck?
    settings.SECRET_KEY  # noqa: B018 -- the cluster signs its tasks: fail now without a key
    cluster = Cluster()
    cluster.start()  # forks the cluster's processes
    # Our own handlers from here: django-q's stops the cluster inside the handler, where
    # setting its stop event can block for good when SIGTERM reached the whole process group
    # (a supervisor, systemd, Ctrl-C) and a process waiting on the event died of it.
    stopping = ClusterStopper(cluster)
    signal.signal(signal.SIGTERM, stopping.ask)
    signal.signal(signal.SIGINT, stopping.ask)
    # This process then follows the events, until asked to stop or the cluster has stopped.
    sentinel = cluster.sentinel
    consumers_follow(stop=lambda: stopping.asked or sentinel is None or not sentinel.is_alive())
    stopping.finish()


class ClusterStopper:
    """Stops django-q's cluster when asked (a task in hand may finish) while the event
    followers wind down beside it; whatever of the cluster still runs ``STOP_SECONDS`` after
    the ask is killed (a task killed so is swept and run again by ``tenure.jobs.sweep``), so
    the worker is gone within the supervisor's grace (``supervise.STOP_GRACE_SECONDS``)."""

    STOP_SECONDS = 6.0

    def __init__(self, cluster: Any) -> None:
        self.cluster = cluster
        self.asked = False
        self._thread: threading.Thread | None = None
        self._deadline = 0.0

    def ask(self, *_: object) -> None:
        if self.asked:
            return
        self.asked = True
        self._deadline = time.monotonic() + self.STOP_SECONDS
        self._thread = threading.Thread(target=self.cluster.stop, name="cluster-stop", daemon=True)
        self._thread.start()

    def finish(self) -> None:
        """After the followers stopped: wait for the cluster, within the deadline."""
        self.ask()  # the cluster ended by itself: stopping it is a no-op
        assert self._thread is not None
        sentinel = self.cluster.sentinel
        while self._thread.is_alive() and time.monotonic() < self._deadline:
            if sentinel is not None and not sentinel.is_alive():
                # Dead while the stop still waits: it died of the same SIGTERM (django-q's
                # sentinel takes the default action) and the stop waits for it for ever.
                self._thread.join(timeout=0.2)
                break
            self._thread.join(timeout=0.05)
        if self._thread.is_alive():
            for pid in descendants(os.getpid()):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


def descendants(pid: int) -> list[int]:
    """The processes below ``pid`` (children, their children, ...), read from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # ended while we looked
            continue
        # "pid (name) state ppid ...": the name may hold spaces and parentheses
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


COMMANDS = [migrate, createuser, serve, worker]
