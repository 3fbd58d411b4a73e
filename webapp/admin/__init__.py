"""The admin: a registry of models and the pages built from it."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask

from webapp.admin import site, views
from webapp.admin.registry import ModelAdmin


def init_app(app: Flask, entries: Iterable[ModelAdmin]) -> None:
    """Register the dashboard and one blueprint of pages per model."""
    app.extensions[site.EXTENSION] = {entry.slug: entry for entry in entries}
    app.register_blueprint(views.site_blueprint())
    for entry in app.extensions[site.EXTENSION].values():
        app.register_blueprint(views.crud_blueprint(entry))
    app.jinja_env.filters["thousands"] = site.thousands
    app.context_processor(site.template_urls)
    app.jinja_env.globals.update(
        admin_nav=site.nav,
        fixed=site.fixed,
        row_url=site.row_url,
        key_of=site.key_of,
        related=site.related,
        display=site.display,
        count_noun=site.count_noun,
        columns_label=site.columns_label,
    )
