"""`tenure demo` through the real command line, on the test database, at full size."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import date
from pathlib import Path

from django.contrib.auth import authenticate
from django.db.models import Max, Min
from django.test import RequestFactory

from tenure.customers.models import Account, Contact, Customer, Subscription
from tenure.demo.generator import DEFAULT_SEED
from tenure.demo.models import DemoLoad, DemoTruth
from tenure.demo.services import demo_load
from tenure.events.models import Event
from tenure.insights.models import CustomerPrediction, FitStatus, ModelFit
from tenure.interactions.models import CaseStatus, Interaction, InteractionKind
from tenure.lifecycle.models import CustomerStage, HealthScore
from tenure.orders.models import Order
from tenure.todos.models import Task

LOGIN = re.compile(r"demo login: username (\S+)\s+password (\S+)")


def tenure_demo(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tenure", "demo", "--no-serve", *args],
        env={**os.environ, "TENURE_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_demo_loads_the_full_business_once_and_prints_a_working_login(database_url):
    first = tenure_demo(database_url)
    assert first.returncode == 0, first.stderr
    assert "loaded in" in first.stdout
    username, password = LOGIN.search(first.stdout).groups()
    user = authenticate(RequestFactory().post("/login/"), username=username, password=password)
    assert user is not None and user.is_superuser

    assert Customer.objects.count() >= 2000
    assert Account.objects.count() == 40
    assert not Account.objects.filter(contacts=None).exists()
    assert Contact.objects.filter(is_primary=True).count() == 40
    assert 23_000 <= Order.objects.count() <= 27_000
    span = Order.objects.aggregate(first=Min("placed_at"), last=Max("placed_at"))
    assert (span["last"] - span["first"]).days > 3 * 365 - 30
    assert Subscription.objects.exclude(cancelled_at=None).exists()
    assert Subscription.objects.filter(cancelled_at=None).exists()
    complaints = Interaction.objects.filter(kind=InteractionKind.COMPLAINT)
    assert complaints.filter(status=CaseStatus.RESOLVED).exclude(resolution="").exists()
    assert complaints.exclude(status=CaseStatus.RESOLVED).exists()
    assert DemoTruth.objects.count() == Customer.objects.count()
    assert "fitted the customer-base models" in first.stdout
    fit = ModelFit.objects.get()
    assert fit.status == FitStatus.DONE
    assert CustomerPrediction.objects.count() == Customer.objects.exclude(orders_count=0).count()
    # The demo's records wrote the events every path writes, and they were followed at once:
    # the Lifecycle pages are full before any worker or nightly run.
    placed = Event.objects.filter(kind="order.placed")
    assert placed.count() == Order.objects.count()
    assert set(placed.values_list("subject_id", flat=True)) == set(
        Order.objects.values_list("id", flat=True)
    )
    assert Event.objects.filter(kind="customer.created").count() == Customer.objects.count()
    assert "followed" in first.stdout
    assert CustomerStage.objects.count() == Customer.objects.count()
    assert HealthScore.objects.count() == Customer.objects.count()
    assert Event.objects.filter(kind="stage.entered").count() == Customer.objects.count()
    # a follow-up for each open complaint of an owned customer, none for a resolved one
    followed_up = Task.objects.exclude(interaction=None)
    assert followed_up.exists()
    assert not followed_up.filter(interaction__status=CaseStatus.RESOLVED).exists()
    events = Event.objects.count()

    counts = (Customer.objects.count(), Order.objects.count(), Interaction.objects.count())
    again = tenure_demo(database_url)
    assert again.returncode == 0, again.stderr
    assert "already loaded" in again.stdout
    assert LOGIN.search(again.stdout).groups() == (username, password)
    assert (Customer.objects.count(), Order.objects.count(), Interaction.objects.count()) == counts
    assert DemoLoad.objects.count() == 1
    assert ModelFit.objects.count() == 1  # fitted once; the worker refits nightly
    assert Event.objects.count() == events


def test_demo_refuses_a_second_business_with_exit_code_1(database_url):
    DemoLoad.objects.create(seed=5, customers=0, orders=0)
    other = tenure_demo(database_url, "--seed", "6")
    assert other.returncode == 1
    assert "seed 5" in other.stderr
    assert not Customer.objects.exists()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise
            time.sleep(0.3)


def log_in(base: str, username: str, password: str) -> str:
    """Log in through the login form; return the path the browser lands on."""
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    with browser.open(f"{base}/login/") as page:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.read().decode())
    form = {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)}
    request = urllib.request.Request(
        f"{base}/login/", data=urllib.parse.urlencode(form).encode(), headers={"Referer": base}
    )
    with browser.open(request) as landed:
        return urllib.parse.urlparse(landed.url).path


def test_demo_serves_the_app_with_a_worker_and_the_login_works(database_url):
    demo_load(seed=DEFAULT_SEED, today=date(2026, 3, 15), customers=150, accounts=4)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "tenure", "demo", "--port", str(port)],
        env={**os.environ, "TENURE_DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output, landed = "", ""
    try:
        while not (match := LOGIN.search(output)) and server.poll() is None:
            output += server.stdout.readline()
        assert match is not None, output
        wait_for_http(f"http://127.0.0.1:{port}/login/", server)
        landed = log_in(f"http://127.0.0.1:{port}", *match.groups())
    finally:
        server.send_signal(signal.SIGINT)
        rest, _ = server.communicate(timeout=30)
    output += rest
    assert landed and not landed.startswith("/login")  # logged in, sent on to the app
    assert "already loaded" in output
    worker = re.search(r"background worker started \(pid (\d+)\)", output)
    assert worker is not None, output
    assert not Path(f"/proc/{worker.group(1)}").exists()  # stopped with the server
