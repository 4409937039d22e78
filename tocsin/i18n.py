"""Flask-Babel for Tocsin: its catalogs, the locale of each request, strings for the JS.

A host without Flask-Babel gets it set up here with Tocsin's locale selector; a host that
set it up first keeps its own selector, and Tocsin's catalogs join its translation
directories (Flask-Babel merges the catalogs of all of them; a later one's wording wins,
so Tocsin's go first and a host may reword any of Tocsin's strings in its own catalog).
"""

import functools
import re

from babel import Locale
from flask import Flask, current_app, has_request_context, request
from flask_babel import Babel, get_babel, get_locale, get_translations
from flask_login import current_user

from . import unavailable
from .config import PACKAGE
from .extensions import store
from .notifications import locales, preferences

#: Tocsin's compiled catalogs (messages.mo per language), shipped in the package.
TRANSLATIONS = str(PACKAGE / "translations")
#: A gettext placeholder, %(name)s or %(name)d; the JS writes {name} ({n} for num).
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
#: Languages whose nouns keep their capital inside a sentence.
NOUNS_CAPITALISED = frozenset({"de", "lb"})


def select_locale() -> str:
    """The request's language: the user's setting, else Accept-Language, else the default.

    Outside a request (a CLI command, a worker) the default: a message for one user is
    rendered under force_locale with theirs (channels/email_message.py)."""
    supported = locales.languages(current_app.config)
    if not has_request_context():
        return supported[0]
    setting = None
    try:
        # A host without Flask-Login (types rendered in tests, a CLI) has no current_user.
        if getattr(current_app, "login_manager", None) and current_user.is_authenticated:
            setting = preferences.load(store.session, current_user.id).locale
    except unavailable.DATABASE_ERRORS:
        pass  # the page that says so (responses.database_error) in the browser's language
    return locales.choose(setting, request.headers.get("Accept-Language"), supported)


def html_lang() -> str:
    """The current locale as an HTML lang attribute ("de", "pt-BR")."""
    locale = get_locale()
    return str(locale).replace("_", "-") if locale is not None else "en"


def js(text: str) -> str:
    """`text` translated for the JS, each %(name)s as {name} and %(num)d as {n} (tocsin-i18n.js)."""
    return _placeholders(get_translations().ugettext(text))


def js_plural(singular: str, plural: str) -> dict[str, str]:
    """A message's form for each plural category of the current locale ("one", "other";
    Polish adds "few" and "many"), for tocsin-i18n.js to pick with Intl.PluralRules."""
    translations = get_translations()
    return {
        tag: _placeholders(translations.ungettext(singular, plural, n))
        for tag, n in _plural_samples(str(get_locale() or "")).items()
    }


@functools.lru_cache(maxsize=64)
def _plural_samples(locale: str) -> dict[str, int]:
    """A sample number per plural category of `locale` ("" for none: English's rule).

    Once per language: finding them evaluates the rule for up to 200 numbers, which a page
    did for each of its ten plural strings (2.6 ms a page; 0.36 ms now)."""
    rule = Locale.parse(locale).plural_form if locale else None
    samples: dict[str, int] = {}
    # A sample number per category: every CLDR rule has one below 200.
    for n in range(200):
        tag = rule(n) if rule is not None else ("one" if n == 1 else "other")
        samples.setdefault(tag, n)
    # Where "other" is only for fractions (Polish), the JS's fallback for a category left out.
    samples.setdefault("other", 2)
    return samples


def _placeholders(text: str) -> str:
    return PLACEHOLDER.sub(lambda m: "{n}" if m[1] == "num" else "{" + m[1] + "}", text)


def label(text: str | None) -> str | None:
    """A label that is data, not a literal (a type's, an action's, a stored outcome): its
    translation if a catalog has one (built-in ones are marked N_), else as given. Not
    Jinja's _(), which formats with %: a host's "50% off" would fail there."""
    return get_translations().ugettext(text) if text else text


def in_sentence(text: str | None) -> str:
    """A type's label inside a sentence ("emails about friend request"): translated, and
    lower-cased unless the language capitalises its nouns (German)."""
    translated = label(text) or ""
    locale = get_locale()
    keeps_case = locale is not None and locale.language in NOUNS_CAPITALISED
    return translated if keeps_case else translated.lower()


def language_name(code: str) -> str:
    """A language's own name for it ("Deutsch"), for the language choice."""
    return Locale.parse(code).get_display_name(code) or code


def init_app(app: Flask) -> None:
    """Set Flask-Babel up on `app` unless the host did, and add Tocsin's catalogs."""
    if "babel" not in app.extensions:
        Babel(app, locale_selector=select_locale)
    babel = get_babel(app)
    if TRANSLATIONS not in babel.translation_directories:
        # First: Flask-Babel merges in order, so where both translate a string, the
        # host's catalog (later) wins.
        babel.translation_directories.insert(0, TRANSLATIONS)
    app.add_template_global(html_lang, "tocsin_lang")
    app.add_template_global(js, "tocsin_js")
    app.add_template_global(js_plural, "tocsin_js_plural")
    app.add_template_global(language_name, "tocsin_language_name")
    app.add_template_global(label, "tocsin_label")
    app.add_template_global(in_sentence, "tocsin_in_sentence")
