"""`tenure demo`: migrate, load the demo business once, print the demo login, serve."""

from __future__ import annotations

import time

import click

from tenure.cli.main import setup_django
from tenure.cli.system import serve_app
from tenure.demo.generator import DEFAULT_SEED


def _describe(counts: dict[str, int]) -> str:
    shown = {
        "customers": "customers",
        "accounts": "accounts",
        "contacts": "contacts",
        "orders": "orders",
        "order_lines": "order lines",
        "subscriptions": "subscriptions",
        "interactions": "interactions",
        "survey_responses": "survey answers",
        "referrals": "referrals",
        "consents": "consents",
        "special_dates": "special dates",
        "messages": "emails sent",
    }
    return ", ".join(f"{counts[key]:,} {label}" for key, label in shown.items() if key in counts)


@click.command()
@click.option(
    "--seed",
    default=DEFAULT_SEED,
    show_default=True,
    type=click.IntRange(0, 2**31 - 1),
    help="which demo business to generate; the same seed gives the same business",
)
@click.option("--no-serve", is_flag=True, help="load and print the login, then exit")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--no-worker", is_flag=True, help="serve without a background worker beside it")
@click.option("--reset-login", is_flag=True, help="give the demo user its printed password back")
def demo(
    seed: int, no_serve: bool, host: str, port: int, no_worker: bool, reset_login: bool
) -> None:
    """Load a demo business (once) and serve it: the quickest way to see tenure.

    Migrates the database, loads three years of a coffee roaster's customers, orders,
    subscriptions and conversations (running it again adds nothing), fits the customer-base
    models once, creates the demo login and prints it, then serves the app with a background
    worker beside it.
    """
    setup_django()
    from django.core.management import call_command
    from django.utils import timezone

    from tenure.demo.services import DemoConflictError, demo_load, demo_login_ensure
    from tenure.events.consumers import consumers_drain
    from tenure.insights.selectors import latest_fit
    from tenure.insights.services import clv_fit

    call_command("migrate", interactive=False, verbosity=0)
    click.echo(f"loading the demo business (seed {seed}) ...")
    started = time.perf_counter()
    try:
        # the UTC date: the demo's window ends at 00:00 UTC of `today`, never in the future
        result = demo_load(seed=seed, today=timezone.now().date())
    except DemoConflictError as error:
        raise click.ClickException(error.reason) from error
    if result.created:
        seconds = time.perf_counter() - started
        click.echo(f"loaded in {seconds:.1f} s: {_describe(result.counts)}")
    else:
        click.echo(f"already loaded: {_describe(result.counts)}")

    if latest_fit() is None:
        # The Analytics page and the CLV figures need fitted models; the worker refits nightly.
        fit = clv_fit()
        if fit.error:
            click.echo(f"the customer-base models could not be fitted: {fit.error}", err=True)
        else:
            click.echo(f"fitted the customer-base models in {fit.duration_seconds or 0:.1f} s")
    # What the worker would do with the demo's events (stages, health, follow-ups), done now
    # so the Lifecycle pages are full at first sight; with the worker running too, each event
    # is still handled once (the consumers' positions are locked while a batch is handled).
    started = time.perf_counter()
    handled = sum(consumers_drain().values())
    if handled:
        seconds = time.perf_counter() - started
        click.echo(f"followed {handled:,} events (stages, health, follow-ups) in {seconds:.1f} s")
    login = demo_login_ensure(reset=reset_login)
    if not login.works:
        raise click.ClickException(
            f"the user {login.username!r} exists and its password was changed; log in with "
            "that password, or run `tenure demo --reset-login` to restore the demo one"
        )
    click.echo(f"demo login: username {login.username}  password {login.password}")
    if not login.is_admin:
        click.echo(f"note: {login.username!r} existed before and is not an admin", err=True)
    if not no_serve:
        serve_app(host, port, with_worker=not no_worker)


COMMANDS = [demo]
