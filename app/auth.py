"""Log in and out with Flask-Login; passwords are hashed, forms CSRF-protected."""

import secrets
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
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from . import broker, users
from .extensions import db, login_manager
from .models import User
from .notifications.links import is_local_path

bp = Blueprint("auth", __name__)
login_manager.login_view = "auth.login"


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user = users.authenticate(db.session, form.username.data, form.password.data)
        if user is not None:
            session.clear()
            session.permanent = True
            login_user(user)
            # Open sockets check this too: an expired login closes them everywhere.
            lifetime = current_app.permanent_session_lifetime.total_seconds()
            session["exp"] = int(time.time() + lifetime)
            # Lets a logout close exactly this session's sockets, not the user's others.
            session["sid"] = secrets.token_hex(16)
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
    sid = session.get("sid")
    user_id = current_user.id
    logout_user()
    session.clear()
    if sid:
        broker.publish(user_id, {"kind": "logout", "session": sid})
    return redirect(url_for("auth.login"), 303)
