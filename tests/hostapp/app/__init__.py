"""A host app whose own package is named `app`, embedding Tocsin installed from the wheel.

Its own users (by e-mail), Flask-Login, CSRFProtect and a nav bar, as docs/embedding.md
says; tests/wheel/ installs the wheel into a fresh venv and serves this from there.
"""

import os

import click
from flask import Blueprint, Flask, redirect, render_template_string, request, url_for
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from tocsin import ModelDirectory, Tocsin


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
tocsin = Tocsin()
bp = Blueprint("pages", __name__)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(unique=True)
    name: Mapped[str]
    password_hash: Mapped[str]


@login_manager.user_loader
def load_user(user_id: str):
    return db.session.get(User, int(user_id))


PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>
{% include "tocsin/_assets.html" %}</head>
<body><nav><a href="{{ url_for('pages.home') }}">Shop</a>
{% if current_user.is_authenticated %}{% include "tocsin/_bell.html" %}{% endif %}</nav>
<main>{{ message }}</main></body></html>"""

LOGIN = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Log in</title></head>
<body><form method="post"><input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
<label>E-mail <input name="email" type="email"></label>
<label>Password <input name="password" type="password"></label>
<button>Log in</button></form></body></html>"""


@bp.get("/")
@login_required
def home():
    return render_template_string(PAGE, message=f"Hello {current_user.name}")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template_string(LOGIN)
    user = db.session.scalar(db.select(User).filter_by(email=request.form["email"]))
    if user is None or not check_password_hash(user.password_hash, request.form["password"]):
        return "Wrong e-mail or password", 401
    login_user(user)
    return redirect(url_for("pages.home"), 303)


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}


@click.command("add-user")
@click.argument("email")
@click.argument("name")
@click.argument("password")
def add_user(email: str, name: str, password: str) -> None:
    """Create the host's tables if need be, and a user."""
    db.create_all()
    db.session.add(User(email=email, name=name, password_hash=generate_password_hash(password)))
    db.session.commit()


def create_app() -> Flask:
    app = Flask(__name__, instance_path=os.environ["HOST_INSTANCE_PATH"])
    app.config.update(
        SECRET_KEY="host-secret", SQLALCHEMY_DATABASE_URI=os.environ["HOST_DATABASE_URL"]
    )
    db.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "pages.login"
    csrf.init_app(app)
    tocsin.init_app(app, directory=ModelDirectory(User, name="email"))
    app.register_blueprint(bp)
    app.cli.add_command(add_user)
    return app
