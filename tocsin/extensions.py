"""Extension objects, created unbound and initialised in the app factory."""

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, cast

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sock import Sock
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Engine
from sqlalchemy.orm import DeclarativeBase, Session
from werkzeug.local import LocalProxy

from . import state


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
if TYPE_CHECKING:
    # mypy takes no instance attribute as a base class; db.Model is Base remade with
    # Flask-SQLAlchemy's mixins, so its columns type as Base's.
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
sock = Sock()


class ScopedSession(Session):
    """Type a scoped_session as the Session of the current app context it forwards to."""

    #: Makes a new Session of the same configuration (scoped_session.session_factory, a
    #: sessionmaker: keyword arguments override the configuration for that one session).
    session_factory: Callable[..., Session]

    def remove(self) -> None:
        """Close the current session and forget it (scoped_session.remove)."""


class Store(Protocol):
    """Type what Tocsin uses of a Flask-SQLAlchemy instance."""

    @property
    def engine(self) -> Engine: ...

    @property
    def session(self) -> ScopedSession: ...


#: The Flask-SQLAlchemy instance Tocsin runs on: its own, or the host app's. Its
#: `session` is a scoped_session, which forwards every Session method; typed as a
#: Session so that library functions can take a plain one (tests pass real Sessions).
store = cast(Store, LocalProxy(lambda: state.current().db))
