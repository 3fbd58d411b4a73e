"""Command-line tasks: ``flask --app webapp seed-demo``, ``create-user``."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import with_appcontext

from webapp import accounts, demo
from webapp.extensions import db
from webapp.models.accounts import ROLES


def init_app(app: Flask) -> None:
    """Add the app's commands to ``flask``."""
    app.cli.add_command(seed_demo)
    app.cli.add_command(create_user)


@click.command("seed-demo")
@click.option("--reset", is_flag=True, help="Drop the demo tables first and start over.")
def seed_demo(reset: bool) -> None:
    """Create the demo tables and fill them with the demo rows."""
    if demo.setup(reset=reset):
        click.echo("Seeded the demo data.")
    else:
        click.echo("The demo tables already hold data; use --reset to start over.")


@click.command("create-user")
@with_appcontext
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default="viewer", show_default=True, help="What the account may do.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@click.option("--update", is_flag=True, help="Set the password and role of an existing account instead.")
def create_user(name: str, role: str, password_stdin: bool, update: bool) -> None:
    """Create an account (the password is asked for, or read from standard input)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    accounts.create_tables()
    try:
        existing = accounts.find(name) if update else None
        if existing is not None:
            accounts.set_password(existing, password)
            existing.role = role
        else:
            accounts.create(name, password, role)
        db.session.commit()
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{'Updated' if existing else 'Created'} the account “{accounts.normalize(name)}” ({role}).")
