"""Which language a user reads: their setting, else their browser's best supported match.

Plain functions of the setting, the Accept-Language header and TOCSIN_LANGUAGES, so the
request's locale selector (i18n.py) and the workers' emails (no request) choose alike.
"""

from collections.abc import Mapping, Sequence

from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

#: Longest stored setting: "de", "pt_BR", "zh_Hant_TW".
MAX_LENGTH = 16


def languages(config: Mapping) -> list[str]:
    """The languages Tocsin offers (TOCSIN_LANGUAGES), the default first."""
    return list(config["TOCSIN_LANGUAGES"])


def default(config: Mapping) -> str:
    """The language of a user who chose none and whose browser asks for none we have."""
    return languages(config)[0]


def choose(setting: str | None, accept: str | None, supported: Sequence[str]) -> str:
    """The user's setting if supported, else the best match for `accept`, else the first."""
    if setting is not None and setting in supported:
        return setting
    if accept:
        # werkzeug matches "de-DE" and "de-CH" to "de", and honours q-values.
        best = parse_accept_header(accept[:512], LanguageAccept).best_match(supported)
        if best is not None:
            return best
    return supported[0]


def for_recipient(setting: str | None, config: Mapping) -> str:
    """The language of a message sent with no request (email): the setting, else the default."""
    supported = languages(config)
    return setting if setting is not None and setting in supported else supported[0]
