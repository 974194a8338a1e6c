"""Entry point of the `tenure` command. Each subcommand lives in a module of this package."""

from __future__ import annotations

import os

import click


def setup_django() -> None:
    """Configure Django once, on the first subcommand that needs it (``--help`` does not)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tenure.config.settings")
    import django

    django.setup()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tenure")
def cli() -> None:
    """tenure: customer records, lifecycle and retention analytics after the first sale.

    Settings come from TENURE_* environment variables (see tenure/config/settings.py); with
    none set, tenure keeps its data in ./var/tenure.sqlite3.
    """


def register_commands() -> click.Group:
    """Attach every subcommand to the group (idempotent) and return it."""
    from tenure.cli import (
        analytics,
        check,
        demo,
        events,
        ideas,
        insights,
        lifecycle,
        loyalty,
        mail,
        person,
        playbooks,
        referrals,
        reports,
        rewards,
        segments,
        success,
        surveys,
        system,
        themes,
        tokens,
        transfer,
        voices,
    )

    modules = (
        system, tokens, person, transfer, demo, insights, lifecycle, segments, check, events, mail,
        playbooks, surveys,
        reports,  # results reports and agency metrics
        voices,  # comments and reviews from a CSV file
        success,  # onboarding and success plans
        loyalty,  # loyalty points
        referrals,  # referral codes and rewards
        rewards,  # the rewards catalog and coupons
        themes,  # themes of what customers wrote
        ideas,  # the ideas board and appreciation
        analytics,  # the orders' extract, and fits on DuckDB or Spark
    )  # fmt: skip
    for module in modules:
        for command in module.COMMANDS:
            cli.add_command(command)
    return cli


def main() -> None:
    register_commands()()


if __name__ == "__main__":
    main()
