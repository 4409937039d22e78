"""Render what a socket is sent as nobody: a request of its own, with no cookies and no user.

A push is rendered once and sent to many users (stencil.py), so nothing in it may come
from the socket whose request happened to render it: a host type template that printed
`current_user.username` showed all eight recipients of one fan-out the first one's name
(gunicorn, gevent worker). Here `current_user` is anonymous and `session` and `g` are
empty, while `url_for` still builds the socket's own paths (scheme, host, script root).
The one thing kept is the socket's language (`locale()`): whoever shares a rendering
shares its language too, as the stencils' keys hold it (stencil.py).
"""

from contextlib import contextmanager, nullcontext

from flask import (
    current_app,
    get_template_attribute,
    has_request_context,
    render_template,
    request,
)
from flask.testing import EnvironBuilder
from flask_babel import force_locale, get_locale


def base() -> str | None:
    """The current request's scheme, host and script root; None outside a request."""
    return request.root_url if has_request_context() else None


def locale() -> str | None:
    """The current request's language ("de"), chosen once per socket; None outside one."""
    found = get_locale() if has_request_context() else None
    return str(found) if found is not None else None


def render(template: str, **context) -> str:
    """Render `template` with `context` in a clean request on the current request's base."""
    with _clean_request():
        return render_template(template, **context)


def call(template: str, macro: str, *args, **kwargs) -> str:
    """Call a template's macro with explicit arguments in a clean request."""
    with _clean_request():
        return str(get_template_attribute(template, macro)(*args, **kwargs))


@contextmanager
def _clean_request():
    """Push a fresh app context and a cookieless request on the current request's base."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a LocalProxy
    # With no base: the app's SERVER_NAME, APPLICATION_ROOT and PREFERRED_URL_SCHEME.
    # Building the environ takes 21 µs, pushing both contexts 37 µs: once per stencil.
    environ = EnvironBuilder(app, base_url=base()).get_environ()
    language = locale()
    # A fresh app context as well: Flask-Login keeps the loaded user in `g`, which a new
    # request context shares with an app context already pushed. The language is the
    # socket's, not what the locale selector would make of a request with no user.
    forced = force_locale(language) if language else nullcontext()
    with app.app_context(), app.request_context(environ), forced:
        yield
