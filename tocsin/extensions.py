"""Extension objects, created unbound and initialised in the app factory."""

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sock import Sock
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase
from werkzeug.local import LocalProxy

from . import state


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
sock = Sock()

#: The Flask-SQLAlchemy instance Tocsin runs on: its own, or the host app's.
store: SQLAlchemy = LocalProxy(lambda: state.current().db)  # type: ignore
