"""Log in and out with Flask-Login; passwords are hashed, forms CSRF-protected."""

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from . import users
from .extensions import login_manager, store
from .models import User
from .notifications.links import is_local_path

bp = Blueprint("auth", __name__)
login_manager.login_view = "auth.login"


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return store.session.get(User, int(user_id)) if user_id.isdigit() else None


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user = users.authenticate(store.session, form.username.data, form.password.data)
        if user is not None:
            session.clear()
            # Permanent: the login lasts TOCSIN_SESSION_LIFETIME, and its sockets close then.
            session.permanent = True
            login_user(user)
            target = request.args.get("next")
            return redirect(target if is_local_path(target) else url_for("pages.index"), 303)
        flash("Unknown username or wrong password.", "error")
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    logout_user()  # closes this login's sockets everywhere (see extension._on_logout)
    session.clear()
    return redirect(url_for("auth.login"), 303)
