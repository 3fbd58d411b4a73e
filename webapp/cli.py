"""Command-line tasks: ``flask --app webapp seed-demo``."""

from __future__ import annotations

import click
from flask import Flask

from webapp import demo


def init_app(app: Flask) -> None:
    """Add the app's commands to ``flask``."""
    app.cli.add_command(seed_demo)


@click.command("seed-demo")
@click.option("--reset", is_flag=True, help="Drop the demo tables first and start over.")
def seed_demo(reset: bool) -> None:
    """Create the demo tables and fill them with the demo rows."""
    if demo.setup(reset=reset):
        click.echo("Seeded the demo data.")
    else:
        click.echo("The demo tables already hold data; use --reset to start over.")
