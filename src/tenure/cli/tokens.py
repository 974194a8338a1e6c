"""API tokens: create, list, revoke."""

from __future__ import annotations

import click

from tenure.cli.main import setup_django


@click.group()
def token() -> None:
    """Bearer tokens for the REST API (/api/v1/)."""


@token.command("create")
@click.argument("username")
@click.option("--name", default="", help="what will use it, e.g. 'shop'")
@click.option(
    "--days",
    type=click.IntRange(1, 365),
    default=None,
    help="how long it lasts (default TENURE_API_TOKEN_DAYS, 90)",
)
def token_create(username: str, name: str, days: int | None) -> None:
    """Create a token for USERNAME and print it (it is shown this once only)."""
    setup_django()
    from tenure.users.models import User
    from tenure.users.services import api_token_create

    user = User.objects.filter(username=username).first()
    if user is None:
        raise click.ClickException(f"no user named {username!r}")
    try:
        _, plain = api_token_create(user=user, name=name, days=days)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    click.echo(plain)


@token.command("list")
@click.argument("username")
def token_list(username: str) -> None:
    """List USERNAME's tokens (their prefixes, never the tokens)."""
    setup_django()
    from tenure.users.models import ApiToken

    for record in ApiToken.objects.filter(user__username=username):
        if record.revoked_at is not None:
            state = f"revoked {record.revoked_at:%Y-%m-%d}"
        elif record.expires_at is None:
            state = "active, never expires"
        else:
            verb = "expired" if record.is_expired else "active, expires"
            state = f"{verb} {record.expires_at:%Y-%m-%d}"
        used = f"{record.last_used_at:%Y-%m-%d %H:%M}" if record.last_used_at else "never"
        click.echo(f"{record.prefix}…  {record.name or '-'}  {state}  last used {used}")


@token.command("revoke")
@click.argument("prefix")
def token_revoke(prefix: str) -> None:
    """Revoke the token that starts with PREFIX (as `tenure token list` shows it)."""
    setup_django()
    from tenure.users.models import ApiToken
    from tenure.users.services import api_token_revoke

    matches = list(ApiToken.objects.filter(prefix=prefix.rstrip("…"), revoked_at__isnull=True))
    if len(matches) != 1:
        raise click.ClickException(f"{len(matches)} active tokens start with {prefix!r}")
    api_token_revoke(token=matches[0])
    click.echo(f"revoked {matches[0].prefix}…")


COMMANDS = [token]
