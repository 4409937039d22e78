"""Template imports that reuse the imported template's module, as Jinja means them to.

`{% from "tocsin/_icon.html" import icon %}` (no context) should load `_icon.html` once
per process and reuse it. Jinja does, after checking that the importing render has no
globals the imported template lacks: `ctx.globals_keys - self.globals.keys()`. That
check walks a ChainMap's keys view in Python, one lookup per global (forty-odd with
Flask's, Flask-Babel's and Tocsin's), and a push runs nine imports: a fifth of the CPU
of rendering one (2.18 -> 1.73 ms, issue 16). Here the same check runs on a plain set,
and the answer is Jinja's own either way.
"""

import jinja2
from flask import Flask


class Template(jinja2.Template):
    """jinja2.Template with a cheaper check before reusing an imported module."""

    def _get_default_module(self, ctx=None):
        # No global the cached module lacks: Jinja would reuse it. Otherwise ask Jinja,
        # which makes a module with them.
        if ctx is not None and not ctx.globals_keys - set(self.globals):
            ctx = None
        return super()._get_default_module(ctx)


def init_app(app: Flask) -> None:
    """Compile the app's templates with Template, unless the host chose a class of its own
    (then its imports keep Jinja's check; nothing else changes)."""
    env = app.jinja_env
    if env.template_class is jinja2.Template:
        env.template_class = Template
