"""Imported templates are reused as Jinja means them to be, with a cheaper check."""

import jinja2
import pytest

from tocsin import template_imports


@pytest.fixture
def env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.DictLoader(
            {
                "m.html": "{% macro x() %}{{ greeting }} {{ extra|default('none') }}{% endmacro %}",
                "page.html": '{% from "m.html" import x %}{{ x() }}',
                "other.html": '{% from "m.html" import x %}{{ x() }}',
            }
        ),
        autoescape=True,
    )
    env.globals["greeting"] = "hello"
    env.template_class = template_imports.Template
    return env


def test_an_import_reuses_the_imported_templates_module(env):
    page = env.get_template("page.html")
    assert page.render() == "hello none"
    module = env.get_template("m.html")._module
    assert module is not None
    assert page.render(greeting="ignored: not a global") == "hello none"
    assert env.get_template("m.html")._module is module  # the same module, not a new one


def test_globals_the_imported_template_lacks_still_reach_it(env):
    """A render with a global of its own gets a module made with it, as Jinja's check says."""
    assert env.get_template("page.html").render() == "hello none"
    other = env.get_template("other.html", globals={"extra": "given"})
    assert other.render() == "hello given"
    assert env.get_template("page.html").render() == "hello none"


def test_the_apps_templates_use_it(app):
    assert app.jinja_env.template_class is template_imports.Template
    assert type(app.jinja_env.get_template("tocsin/_push.html")) is template_imports.Template


def test_a_hosts_own_template_class_is_kept():
    from flask import Flask

    class Own(jinja2.Template):
        pass

    host = Flask(__name__)
    host.jinja_env.template_class = Own
    template_imports.init_app(host)
    assert host.jinja_env.template_class is Own
