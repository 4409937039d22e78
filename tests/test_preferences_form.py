"""The preferences form read on its own: complete forms, critical types, what is shown."""

import pytest

from tocsin.notifications.preferences import DEFAULTS, Preferences
from tocsin.notifications.preferences_form import (
    InvalidPreferences,
    parse,
    parse_timezone,
    posted_values,
    saved_values,
    zone_names,
)
from tocsin.notifications.types import NotificationType, TypeCatalog

OUTAGE = NotificationType("outage", "system", "Outage", "urgent", critical=True)
TYPES = TypeCatalog([OUTAGE, NotificationType("invoice", "payment", "Invoice")])
FORM = {"digest": "off", "pref.invoice.email": "on", "pref.outage.toast": "off"}


def test_a_complete_form_names_every_box_and_leaves_critical_types_out():
    choice = parse(FORM, TYPES)
    assert set(choice.channels) == set(TYPES) - {"security", "outage"}
    assert choice.critical == {"security", "outage"}
    assert choice.channels["invoice"] == {
        "toast": False,
        "browser": False,
        "push": False,
        "email": True,
    }
    assert (choice.timezone, choice.quiet_start, choice.sound, choice.urgent_through) == (
        None,
        None,
        False,
        False,
    )


def test_times_are_stored_as_hh_mm():
    choice = parse({**FORM, "quiet_start": " 23:05 ", "quiet_end": "00:00"}, TYPES)
    assert (choice.quiet_start, choice.quiet_end) == ("23:05", "00:00")  # crossing midnight


@pytest.mark.parametrize("value", ["yes", "true", "1", ""])
def test_only_on_checks_a_box(value):
    assert not parse({**FORM, "sound": value}, TYPES).sound


def test_a_checkbox_default_is_the_types_channels_until_chosen():
    rows = {row.type.name: row for row in saved_values(DEFAULTS, TYPES).rows}
    assert [c.checked for c in rows["invoice"].cells] == [True, True, False, False]
    assert all(c.checked and c.disabled for c in rows["outage"].cells)
    chosen = Preferences(channels={"invoice": {"toast": False}, "outage": {"toast": False}})
    rows = {row.type.name: row for row in saved_values(chosen, TYPES).rows}
    assert [c.checked for c in rows["invoice"].cells] == [False, True, False, False]
    assert rows["outage"].cells[0].checked  # critical: a stored mute is not shown either


def test_a_rejected_form_shows_what_was_posted():
    values = posted_values({"timezone": "Nowhere/Else", "quiet_start": "9", "digest": "x"}, TYPES)
    assert (values.timezone, values.quiet_start, values.digest) == ("Nowhere/Else", "9", "off")
    rows = {row.type.name: row for row in values.rows}
    assert not any(c.checked for c in rows["invoice"].cells)
    assert all(c.checked for c in rows["outage"].cells)


@pytest.mark.parametrize("name", ["", " ", "Mars/Base", "europe/paris", "Europe/../Paris"])
def test_unknown_timezones_are_refused(name):
    with pytest.raises(InvalidPreferences, match="Unknown timezone"):
        parse_timezone(name)


def test_the_offered_timezones_are_iana_names():
    zones = zone_names()
    assert zones[0] == "UTC" and "Europe/Paris" in zones and "America/Argentina/Salta" in zones
    assert not any(z.startswith(("posix", "right/")) or "/" not in z for z in zones[1:])
    assert len(zones) == len(set(zones)) and all(parse_timezone(z) == z for z in zones)
