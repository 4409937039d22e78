"""The preferences page's form: read and check what it posts, and what it shows.

The form is complete: a box left out is a box unchecked. A critical type's boxes are
shown checked and disabled, and whatever is posted for them is ignored, so no request
can mute a critical type.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from zoneinfo import available_timezones

from flask_babel import gettext as _

from . import locales, schedule
from .preferences import CHANNELS, DIGESTS, Preferences
from .types import NotificationType, TypeCatalog

ON = "on"


class InvalidPreferences(ValueError):
    """The form cannot be saved; the message says why, in words for the user."""


@dataclass(frozen=True)
class Choice:
    """What a valid form says, ready to be written to the user's row."""

    timezone: str | None
    quiet_start: str | None
    quiet_end: str | None
    sound: bool
    urgent_through: bool
    digest: str
    #: {type: {channel: bool}} for every non-critical type of the catalog.
    channels: dict[str, dict[str, bool]]
    #: The critical types: anything stored for them is dropped, never a mute.
    critical: frozenset[str] = frozenset()
    #: The language chosen; None follows the browser.
    locale: str | None = None


@dataclass(frozen=True)
class Cell:
    channel: str
    checked: bool
    disabled: bool

    def name(self, type_name: str) -> str:
        return f"pref.{type_name}.{self.channel}"


@dataclass(frozen=True)
class Row:
    type: NotificationType
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Values:
    """What the form shows: the saved preferences, or what was just posted."""

    timezone: str
    quiet_start: str
    quiet_end: str
    sound: bool
    urgent_through: bool
    digest: str
    rows: tuple[Row, ...] = field(default=())
    #: The language chosen; "" follows the browser.
    locale: str = ""


def parse(
    form: Mapping[str, str], types: TypeCatalog, languages: Sequence[str] = ("en",)
) -> Choice:
    """Return the Choice the posted `form` makes; raise InvalidPreferences if it makes none.

    `languages` are those the user may choose (TOCSIN_LANGUAGES); none chosen follows the
    browser."""
    quiet_start = _hhmm(form, "quiet_start", _("Quiet hours start"))
    quiet_end = _hhmm(form, "quiet_end", _("Quiet hours end"))
    if (quiet_start is None) != (quiet_end is None):
        raise InvalidPreferences(
            _("Quiet hours need both a start and an end time (or neither, for none).")
        )
    if quiet_start is not None and quiet_start == quiet_end:
        raise InvalidPreferences(_("Quiet hours must start and end at different times."))
    digest = form.get("digest", "")
    if digest not in DIGESTS:
        raise InvalidPreferences(
            _("Email digest must be one of: %(choices)s.", choices=", ".join(DIGESTS))
        )
    locale = form.get("locale", "").strip() or None
    if locale is not None and (len(locale) > locales.MAX_LENGTH or locale not in languages):
        raise InvalidPreferences(
            _("Language must be one of: %(choices)s.", choices=", ".join(languages))
        )
    zone = form.get("timezone", "").strip()  # blank: none chosen (UTC meanwhile)
    channels: dict[str, dict[str, bool]] = {}
    critical = set()
    for name in types:
        type_ = types.get(name)
        if type_.critical:
            critical.add(name)
            continue
        channels[name] = {c: _box(form, f"pref.{name}.{c}") for c in CHANNELS}
    return Choice(
        timezone=parse_timezone(zone) if zone else None,
        quiet_start=quiet_start,
        quiet_end=quiet_end,
        sound=_box(form, "sound"),
        urgent_through=_box(form, "urgent_through"),
        digest=digest,
        channels=channels,
        critical=frozenset(critical),
        locale=locale,
    )


def parse_timezone(text: str) -> str:
    """Return the IANA timezone `text` names; raise InvalidPreferences for any other text."""
    name = text.strip()
    if not schedule.is_zone(name):
        shown = repr(name[:64]) if name else _("(none)")
        raise InvalidPreferences(
            _("Unknown timezone %(name)s: use an IANA name such as Europe/Paris.", name=shown)
        )
    return name


def _hhmm(form: Mapping[str, str], key: str, label: str) -> str | None:
    text = form.get(key, "").strip()
    if not text:
        return None
    try:
        at = schedule.parse_hhmm(text)
    except ValueError:
        raise InvalidPreferences(
            _("%(label)s must be a time as HH:MM (00:00 to 23:59).", label=label)
        ) from None
    return at.strftime("%H:%M")


def _box(form: Mapping[str, str], key: str) -> bool:
    # Browsers send a checked box's value ("on") and leave an unchecked one out.
    return form.get(key) == ON


def saved_values(prefs: Preferences, types: TypeCatalog) -> Values:
    """What the form shows for the saved `prefs`: a box is the user's choice, else the default."""
    return Values(
        timezone=prefs.timezone or "",
        quiet_start=prefs.quiet_start.strftime("%H:%M") if prefs.quiet_start else "",
        quiet_end=prefs.quiet_end.strftime("%H:%M") if prefs.quiet_end else "",
        sound=prefs.sound,
        urgent_through=prefs.urgent_through,
        digest=prefs.digest,
        rows=_rows(types, prefs.wants),
        locale=prefs.locale or "",
    )


def posted_values(form: Mapping[str, str], types: TypeCatalog) -> Values:
    """What the form shows after a rejected post: what was posted, so nothing typed is lost."""
    digest = form.get("digest", "")
    return Values(
        timezone=form.get("timezone", "")[:64],
        quiet_start=form.get("quiet_start", "")[:5],
        quiet_end=form.get("quiet_end", "")[:5],
        sound=_box(form, "sound"),
        urgent_through=_box(form, "urgent_through"),
        digest=digest if digest in DIGESTS else "off",
        rows=_rows(types, lambda t, c: _box(form, f"pref.{t.name}.{c}")),
        locale=form.get("locale", "")[: locales.MAX_LENGTH],
    )


def _rows(types: TypeCatalog, checked: Callable[[NotificationType, str], bool]) -> tuple[Row, ...]:
    """A row per type of the catalog; a critical type's boxes checked and disabled."""
    listed = [types.get(name) for name in types]
    return tuple(
        Row(t, tuple(Cell(c, t.critical or checked(t, c), t.critical) for c in CHANNELS))
        for t in listed
    )


@cache
def zone_names() -> tuple[str, ...]:
    """The timezones the form offers: the system's IANA names, without legacy aliases."""
    # available_timezones() also lists "EST5EDT", "posixrules" and the like: no slash.
    legacy = ("Etc/", "posix", "right/")
    names = (z for z in available_timezones() if "/" in z and not z.startswith(legacy))
    return ("UTC", *sorted(names))
