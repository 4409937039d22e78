"""The standalone app's own model: its users (a host app has its own users instead)."""

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.extensions import Model
from tocsin.models import UTCDateTime, utcnow


class User(UserMixin, Model):
    # The name Tocsin's own migrations gave it before the app owned it: kept, so an
    # existing instance's users stay where they are (app/migrations adopts the table).
    __tablename__ = "tocsin_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Made by ``tocsin init --demo`` with a published password: logs in only in demo mode.
    demo: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: Where the email channel writes (ModelDirectory's `email`); None: no email.
    email: Mapped[str | None] = mapped_column(sa.String(254))
    #: May open the analytics page (ModelDirectory's `admin`): ``tocsin user create --admin``.
    admin: Mapped[bool] = mapped_column(default=False, server_default=sa.false())


#: The app's tables: app/migrations creates and compares these and no others.
TABLES = frozenset({User.__tablename__})
