"""Managing accounts in the admin itself (admins), and changing one's own password (everyone)."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import Field, PasswordField, SelectField, StringField
from wtforms.validators import EqualTo, InputRequired, Optional

from webapp import accounts, auth
from webapp.accounts import AccountError
from webapp.extensions import db
from webapp.models.accounts import ROLES, Account

NEW_PASSWORD = {"autocomplete": "new-password"}


class CreateForm(FlaskForm):
    """A new account."""

    name = StringField("Name", validators=[InputRequired("Enter a name.")], render_kw={"autocomplete": "off"})
    role = SelectField("Role", choices=list(ROLES), default="viewer")
    password = PasswordField("Password", validators=[InputRequired("Enter a password.")], render_kw=NEW_PASSWORD)
    confirm = PasswordField(
        "Repeat the password", validators=[EqualTo("password", "The passwords differ.")], render_kw=NEW_PASSWORD
    )


class EditForm(FlaskForm):
    """A new role, and perhaps a new password, for an account."""

    role = SelectField("Role", choices=list(ROLES))
    password = PasswordField(
        "New password", validators=[Optional()], description="Leave empty to keep it.", render_kw=NEW_PASSWORD
    )
    confirm = PasswordField(
        "Repeat the new password", validators=[EqualTo("password", "The passwords differ.")], render_kw=NEW_PASSWORD
    )


class PasswordForm(FlaskForm):
    """One's own new password, confirmed by the current one."""

    current = PasswordField(
        "Current password", validators=[InputRequired("Enter your current password.")],
        render_kw={"autocomplete": "current-password"},
    )
    password = PasswordField("New password", validators=[InputRequired("Enter a new password.")], render_kw=NEW_PASSWORD)
    confirm = PasswordField(
        "Repeat the new password", validators=[EqualTo("password", "The passwords differ.")], render_kw=NEW_PASSWORD
    )


def init_app(app: Flask) -> None:
    """Add the accounts pages (admins only, see :mod:`webapp.auth`) and the password page."""
    bp = Blueprint("accounts", __name__, url_prefix="/admin/-/accounts")
    bp.add_url_rule("/", "index", index)
    bp.add_url_rule("/new", "create", create, methods=["GET", "POST"])
    bp.add_url_rule("/<int:account_id>/edit", "edit", edit, methods=["GET", "POST"])
    bp.add_url_rule("/<int:account_id>/delete", "delete", delete, methods=["GET", "POST"])
    app.register_blueprint(bp)
    app.add_url_rule("/admin/-/password", "password", password, methods=["GET", "POST"])


def index() -> ResponseReturnValue:
    """Every account with its role."""
    rows = db.session.scalars(select(Account).order_by(Account.name))
    return render_template("accounts/list.html", accounts=list(rows))


def create() -> ResponseReturnValue:
    """Add an account with a hashed password."""
    form = CreateForm()
    if form.validate_on_submit():
        try:
            account = accounts.create(form.name.data or "", form.password.data or "", form.role.data or "")
        except AccountError as exc:
            refuse(form[exc.field], str(exc))
        else:
            flash(f"Created the account “{account.name}” ({account.role}).", "success")
            return redirect(url_for(".index"), 303)
    return render_template("accounts/form.html", form=form, account=None), 422 if form.errors else 200


def edit(account_id: int) -> ResponseReturnValue:
    """Change an account's role or password; never one's own role (an admin always remains)."""
    account = load(account_id)
    form = EditForm(obj=account)
    if form.validate_on_submit():
        if account.id == g.account.id and form.role.data != account.role:
            refuse(form.role, "You cannot change your own role; ask another admin.")
        else:
            try:
                if form.password.data:
                    accounts.set_password(account, form.password.data)
            except AccountError as exc:
                refuse(form.password, str(exc))
            else:
                account.role = accounts.check_role(form.role.data or "")
                db.session.flush()
                flash(f"Saved the account “{account.name}” ({account.role}).", "success")
                return redirect(url_for(".index"), 303)
    return render_template("accounts/form.html", form=form, account=account), 422 if form.errors else 200


def delete(account_id: int) -> ResponseReturnValue:
    """Confirm (GET) and delete (POST) an account; never one's own."""
    account = load(account_id)
    form = FlaskForm()
    if form.validate_on_submit():
        if account.id == g.account.id:
            flash("You cannot delete your own account; ask another admin.", "error")
            return render_template("accounts/delete.html", account=account, form=form), 409
        name = account.name
        db.session.delete(account)
        db.session.flush()
        flash(f"Deleted the account “{name}”.", "success")
        return redirect(url_for(".index"), 303)
    return render_template("accounts/delete.html", account=account, form=form)


@auth.requires("viewer")
def password() -> ResponseReturnValue:
    """Change one's own password; other sessions of the account are signed out."""
    account = load(g.account.id)
    form = PasswordForm()
    if form.validate_on_submit():
        if not accounts.verify(account, form.current.data or ""):
            refuse(form.current, "The current password is not right.")
        else:
            try:
                accounts.set_password(account, form.password.data or "", keep=g.account.digest)
            except AccountError as exc:
                refuse(form.password, str(exc))
            else:
                flash("Your password was changed.", "success")
                return redirect(url_for("admin.index"), 303)
    return render_template("accounts/password.html", form=form), 422 if form.errors else 200


def load(account_id: int) -> Account:
    """The account with ``account_id``, or 404."""
    account = db.session.get(Account, account_id)
    if account is None:
        abort(404, f"There is no account {account_id}.")
    return account


def refuse(field: Field, message: str) -> None:
    """Put ``message`` on ``field`` and say that nothing was saved."""
    field.errors = [*field.errors, message]
    flash(f"Nothing was saved. {message}", "error")
