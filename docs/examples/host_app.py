"""A host Flask app that embeds Tocsin: its own db, users, login and base template.

Run it:  TOCSIN_INSTANCE_PATH=/tmp/host flask --app docs/examples/host_app.py tocsin init
         flask --app docs/examples/host_app.py run
This file is what docs/embedding.md walks through; tests/integration/test_embedding.py
serves it and checks a live push arrives.
"""

import os

from flask import Flask, redirect, render_template_string, request, url_for
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from tocsin import ModelDirectory, Tocsin, database, notify


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
tocsin = Tocsin()


class Member(UserMixin, db.Model):
    """The host's own users; Tocsin's recipient id is Member.id."""

    __tablename__ = "members"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(unique=True)
    password_hash: Mapped[str]

    @property
    def display_name(self) -> str:
        """What notifications show as the actor (a comment reads "<actor> commented: ...")."""
        return self.email.partition("@")[0]


@login_manager.user_loader
def load_member(member_id: str):
    return db.session.get(Member, int(member_id))


# The host's base template: one include for the assets, one for the bell.
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Host</title>
{% include "tocsin/_assets.html" %}</head>
<body><nav>My app {% if current_user.is_authenticated %}{% include "tocsin/_bell.html" %}
{% endif %}</nav><main>{{ message }}</main></body></html>"""


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=os.environ.get("HOST_SECRET_KEY", "change-me"),
        SQLALCHEMY_DATABASE_URI=os.environ.get("HOST_DATABASE_URL", "sqlite:///host.sqlite3"),
    )
    app.config.update(config or {})
    database.engine_options(app)  # Tocsin's pool settings, before the engine is made
    db.init_app(app)
    login_manager.init_app(app)
    csrf.init_app(app)
    # Tocsin uses the app's db and login, and finds recipients by e-mail address.
    tocsin.init_app(app, directory=ModelDirectory(Member, name="email"))

    @app.get("/")
    @login_required
    def home():
        return render_template_string(PAGE, message=f"Hello {current_user.email}")

    @app.get("/login")
    def login_form():
        return render_template_string(
            '<form method="post"><input type="hidden" name="csrf_token" value="{{ csrf_token() }}">'
            '<input name="email" type="email"><input name="password" type="password">'
            "<button>Log in</button></form>"
        )

    @app.post("/login")
    def login():
        member = db.session.scalar(db.select(Member).filter_by(email=request.form["email"]))
        if member is None or not check_password_hash(
            member.password_hash, request.form["password"]
        ):
            return "Wrong e-mail or password", 401
        login_user(member)
        return redirect(url_for("home"), 303)

    @app.post("/orders/<int:order_id>/ship")
    @login_required
    def ship(order_id: int):
        # Publishing from the host's own view: the buyer's bell rings on every device.
        notify(
            request.form["buyer"],
            "order",
            f"Order #{order_id} has shipped",
            url=f"/orders/{order_id}",
            actor=current_user.display_name,
        )
        return "", 204

    return app


def add_member(email: str, password: str) -> Member:
    member = Member(email=email, password_hash=generate_password_hash(password))
    db.session.add(member)
    db.session.commit()
    return member
