"""Languages: which one a request speaks, plural forms, the language setting, a host's Babel."""

import json
import re

import pytest
from flask import Flask, render_template_string
from flask_babel import Babel, force_locale, get_locale
from flask_login import LoginManager

from app import create_app
from tests.conftest import user_id
from tocsin import Tocsin, i18n
from tocsin.extensions import db
from tocsin.models import Preference
from tocsin.notifications import locales, preferences

SUPPORTED = ["en", "de"]
PAGE = "/notifications/preferences"


@pytest.mark.parametrize(
    ("setting", "accept", "chosen"),
    [
        ("de", "en-US,en;q=0.9", "de"),  # the setting wins over the browser
        ("en", "de-DE,de;q=0.9", "en"),
        (None, "de-DE,de;q=0.9,en;q=0.8", "de"),  # a region matches its language
        (None, "fr-FR,fr;q=0.9,de;q=0.5", "de"),  # the best supported one
        (None, "de;q=0.4,en;q=0.8", "en"),  # by q-value, not by order
        (None, "fr, ja", "en"),  # nothing supported: the default
        (None, None, "en"),
        (None, "", "en"),
        ("fr", "de", "de"),  # a setting no longer offered follows the browser
        ("xx" * 40, "garbage;;q=", "en"),
    ],
)
def test_the_setting_wins_then_accept_language_then_the_default(setting, accept, chosen):
    assert locales.choose(setting, accept, SUPPORTED) == chosen


def test_a_message_with_no_request_takes_the_setting_or_the_default():
    config = {"TOCSIN_LANGUAGES": ["de", "en"]}
    assert locales.for_recipient("en", config) == "en"
    assert locales.for_recipient(None, config) == "de"  # the first is the default
    assert locales.for_recipient("fr", config) == "de"


def lang_of(html: str) -> str:
    return re.search(r'<html lang="([^"]+)"', html).group(1)


def test_a_page_follows_accept_language_until_the_user_chooses(client, alice, app):
    page = client.get("/notifications", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert lang_of(page.text) == "de"
    assert "Alle als gelesen markieren" in page.text and "Mark all as read" not in page.text
    assert lang_of(client.get("/notifications").text) == "en"  # no header: the default
    with app.app_context():
        db.session.add(Preference(user_id=user_id("alice"), locale="de"))
        db.session.commit()
    page = client.get("/notifications", headers={"Accept-Language": "en"})
    assert lang_of(page.text) == "de" and "Benachrichtigungen" in page.text


def test_the_standalone_apps_own_strings_come_from_its_own_catalog(client):
    page = client.get("/login", headers={"Accept-Language": "de"})
    assert lang_of(page.text) == "de"
    assert "<h1>Anmelden</h1>" in page.text and "Benutzername" in page.text


@pytest.mark.parametrize(
    ("language", "one", "two"),
    [
        ("en", "1 unread notification", "2 unread notifications"),
        ("de", "1 ungelesene Benachrichtigung", "2 ungelesene Benachrichtigungen"),
    ],
)
def test_plural_forms(app, language, one, two):
    template = '{% from "tocsin/_badge.html" import badge %}{{ badge(n) }}'
    with app.test_request_context(), force_locale(language):
        assert f'aria-label="{one}"' in render_template_string(template, n=1)
        assert f'aria-label="{two}"' in render_template_string(template, n=2)
        assert f'aria-label="{two.replace("2", "0")}"' in render_template_string(template, n=0)


def test_the_js_gets_a_form_per_plural_category_of_the_language(app):
    with app.test_request_context(), force_locale("de"):
        assert i18n.js_plural("%(num)d selected", "%(num)d selected") == {
            "one": "{n} ausgewählt",
            "other": "{n} ausgewählt",
        }
        forms = i18n.js_plural(
            "Marked %(num)d notification read.", "Marked %(num)d notifications read."
        )
        assert forms["one"] == "{n} Benachrichtigung als gelesen markiert."
        assert forms["other"] == "{n} Benachrichtigungen als gelesen markiert."
        assert i18n.js("Push could not be enabled: %(reason)s").endswith(": {reason}")
    # Polish has four categories: each gets the form of a number of its own.
    with app.test_request_context(), force_locale("pl"):
        assert set(i18n.js_plural("%(num)d type", "%(num)d types")) == {
            "one",
            "few",
            "many",
            "other",
        }


def test_the_page_carries_the_js_strings_as_json_in_its_language(client, alice):
    page = client.get("/", headers={"Accept-Language": "de"})
    found = re.search(
        r'<script type="application/json" id="tocsin-strings" lang="de">(.*?)</script>',
        page.text,
        re.S,
    )
    strings = json.loads(found.group(1))
    assert strings["connection.connected"] == "Live"
    assert strings["connection.reconnecting"] == "Verbinde erneut…"
    assert strings["toasts.more"] == {"one": "+{n} weitere", "other": "+{n} weitere"}


def test_the_language_is_saved_per_user_and_the_answer_speaks_it(client, alice, app):
    form = client.get(PAGE).text
    assert (
        '<select name="locale"' in form and '<option value="de" lang="de">Deutsch</option>' in form
    )
    saved = alice.post(PAGE, {"digest": "off", "locale": "de"}, htmx=True)
    assert saved.status_code == 200 and "Einstellungen gespeichert" in saved.text
    assert '<option value="de" lang="de" selected>' in saved.text
    with app.app_context():
        assert preferences.load(db.session, user_id("alice")).locale == "de"
        assert preferences.load(db.session, user_id("bob")).locale is None
    # Back to the browser's choice: an empty value stores none.
    alice.post(PAGE, {"digest": "off", "locale": ""})
    with app.app_context():
        assert preferences.load(db.session, user_id("alice")).locale is None


@pytest.mark.parametrize("value", ["fr", "de-DE", "x" * 500, "../de"])
def test_a_language_not_offered_is_a_400_with_a_message(client, alice, app, value):
    refused = alice.post(PAGE, {"digest": "off", "locale": value}, htmx=True)
    assert refused.status_code == 400
    assert "Language must be one of: en, de." in refused.text
    with app.app_context():
        assert preferences.load(db.session, user_id("alice")).locale is None


def test_a_refusal_is_worded_in_the_users_language(client, alice):
    refused = alice.post(PAGE, {"digest": "weekly"}, htmx=True, headers={"Accept-Language": "de"})
    assert refused.status_code == 400
    assert "Die E-Mail-Zusammenfassung muss eines der folgenden sein: off, hourly, daily." in (
        refused.text
    )


def test_a_type_label_with_a_percent_sign_is_shown_as_given(app):
    with app.test_request_context(), force_locale("de"):
        assert i18n.label("50% off") == "50% off"
        assert i18n.label("Comment") == "Kommentar"
        assert i18n.in_sentence("Friend request") == "Freundschaftsanfrage"
    with app.test_request_context(), force_locale("en"):
        assert i18n.in_sentence("Friend request") == "friend request"


def test_settings_reject_an_empty_language_list(tmp_path):
    host = Flask("host", root_path=str(tmp_path))
    host.config.update(
        SECRET_KEY="x",
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'h.sqlite3'}",
        TOCSIN_LANGUAGES=" , ",
    )
    LoginManager(host).user_loader(lambda _: None)
    with pytest.raises(ValueError, match="TOCSIN_LANGUAGES"):
        Tocsin(host)


def host_app(tmp_path, babel: bool) -> Flask:
    """A host with no catalogs of its own; with `babel`, it set up Flask-Babel first, with
    a selector that always says German."""
    host = Flask("host", root_path=str(tmp_path))
    host.config.update(SECRET_KEY="x", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'h.db'}")
    LoginManager(host).user_loader(lambda _: None)
    if babel:
        Babel(host, locale_selector=lambda: "de")
    Tocsin(host)
    return host


def test_a_host_without_flask_babel_gets_tocsins_selector(tmp_path):
    host = host_app(tmp_path, babel=False)
    with host.test_request_context(headers={"Accept-Language": "de"}):
        assert str(get_locale()) == "de"
        assert render_template_string("{{ _('Mark all as read') }}") == "Alle als gelesen markieren"
    with host.test_request_context():
        assert str(get_locale()) == "en"


def test_a_host_with_flask_babel_keeps_its_selector_and_gets_tocsins_catalogs(tmp_path):
    host = host_app(tmp_path, babel=True)
    directories = host.extensions["babel"].translation_directories
    assert directories[0] == i18n.TRANSLATIONS and directories[1] == str(tmp_path / "translations")
    with host.test_request_context(headers={"Accept-Language": "en"}):
        assert str(get_locale()) == "de"  # the host's selector, not Accept-Language
        assert render_template_string("{{ _('Mark all as read') }}") == "Alle als gelesen markieren"


def test_the_outage_page_speaks_the_browsers_language_without_the_database(tmp_path, monkeypatch):
    monkeypatch.setenv("TOCSIN_INSTANCE_PATH", str(tmp_path))
    url = f"sqlite:///{tmp_path / 'missing' / 'tocsin.sqlite3'}"
    down = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test"})
    client = down.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1"  # a login from before the outage: its setting is unreadable
    page = client.get("/notifications", headers={"Accept-Language": "de"})
    assert page.status_code == 503
    assert lang_of(page.text) == "de" and "<h1>Nicht gespeichert</h1>" in page.text
    with down.app_context():
        db.engine.dispose()
