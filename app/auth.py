"""Log in and out with Flask-Login; passwords are hashed, forms CSRF-protected."""

import math
import time

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from tocsin import limits, login_session
from tocsin.extensions import login_manager, store
from tocsin.notifications.links import is_local_path

from . import users
from .models import User

bp = Blueprint("auth", __name__)
login_manager.login_view = "auth.login"


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return store.session.get(User, int(user_id)) if user_id.isdigit() else None


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        demo_mode = current_app.config["TOCSIN_DEMO"]
        # DataRequired has made both strings; `or ""` only tells the type checker.
        username, password = form.username.data or "", form.password.data or ""
        user = users.authenticate(store.session, username, password, demo_mode=demo_mode)
        if user is not None:
            if current_user.is_authenticated:
                logout_user()  # a new login in this browser ends the one it replaces
            session.clear()
            # Permanent: the cookie lasts TOCSIN_SESSION_LIFETIME; the login record decides.
            session.permanent = True
            login_user(user)
            target = request.args.get("next")
            return redirect(target if is_local_path(target) else url_for("pages.index"), 303)
        flash(_("Unknown username or wrong password."), "error")
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


def too_many_attempts(limit):
    """Answer a login over its rate limit: 429, and the page says when to try again."""
    wait = max(1, math.ceil(limit.reset_at - time.time()))
    page = render_template("auth/login.html", form=LoginForm(), retry_after=wait)
    return current_app.response_class(page, 429)


@bp.record_once
def _limit_login(state) -> None:
    # Here, beside the view: the app's limiter exists (Tocsin is set up before blueprints).
    limits.limit_login(state.app, "auth.login", too_many_attempts)


@bp.post("/logout")
@login_required
def logout():
    logout_user()  # ends this login on the server and closes its sockets everywhere
    session.clear()
    return redirect(url_for("auth.login"), 303)


@bp.post("/logout/others")
@login_required
def logout_others():
    """End every other login of this user (other browsers, devices, copied cookies)."""
    ended = login_session.end_other_logins(current_user.id)
    flash(
        ngettext("Logged out %(num)d other session.", "Logged out %(num)d other sessions.", ended),
        "info",
    )
    return redirect(url_for("pages.index"), 303)
