"""The German catalogs are complete and shipped compiled: CI extracts the strings afresh.

A string wrapped in _() (or ngettext, tocsin_js, tocsin_js_plural, N_) that the catalog
lacks, or that it has empty or fuzzy, fails here; so does a .mo that was not compiled
again after its .po changed. `make messages` fixes the first half; translating the new
entries in the .po and running it again fixes the rest (docs/i18n.md).
"""

import re
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
#: The Makefile's `messages` target: the same keywords, the same map.
KEYWORDS = ["-k", "tocsin_js", "-k", "tocsin_js_plural:1,2", "-k", "_l"]
CATALOGS = {
    "tocsin": (ROOT / "tocsin" / "translations", ["tocsin"]),
    "app": (ROOT / "app" / "translations", ["app", "templates"]),
}
LANGUAGES = ["de"]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def extract(tmp_path: Path, sources: list[str]):
    pot = tmp_path / "messages.pot"
    CommandLineInterface().run(
        ["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), *KEYWORDS]
        + ["--no-location", "-o", str(pot)]
        + [str(ROOT / s) for s in sources]
    )
    with pot.open("rb") as f:
        return read_po(f)


def load(directory: Path, language: str):
    with (directory / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f)


def key(message) -> tuple:
    return tuple(message.id) if isinstance(message.id, tuple | list) else (message.id,)


def forms(message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple | list) else [message.string]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", list(CATALOGS))
def test_every_extracted_string_has_a_translation(tmp_path, name, language):
    directory, sources = CATALOGS[name]
    fresh = extract(tmp_path, sources)
    catalog = load(directory, language)
    missing, fuzzy, empty = [], [], []
    for message in fresh:
        if not message.id:
            continue
        found = catalog.get(message.id)
        if found is None or found.id != message.id:  # a plural must stay a plural
            missing.append(message.id)
        elif found.fuzzy:
            fuzzy.append(message.id)
        elif not all(forms(found)):
            empty.append(message.id)
    assert not missing, f"not in {name}'s {language} catalog (run `make messages`): {missing}"
    assert not fuzzy, f"fuzzy in {name}'s {language} catalog (check, then unmark): {fuzzy}"
    assert not empty, f"untranslated in {name}'s {language} catalog: {empty}"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", list(CATALOGS))
def test_each_translation_keeps_the_placeholders(name, language):
    directory, _ = CATALOGS[name]
    for message in load(directory, language):
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = {p for text in ids for p in PLACEHOLDER.findall(text)}
        for text in forms(message):
            # A singular may leave the number out ("eine Benachrichtigung"), never add one.
            assert set(PLACEHOLDER.findall(text)) <= wanted, (message.id, text)
            assert set(PLACEHOLDER.findall(text)) >= wanted - {"%(num)d", "%(num)s"}, text


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", list(CATALOGS))
def test_the_compiled_catalog_matches_its_source(name, language):
    directory, _ = CATALOGS[name]
    source = load(directory, language)
    with (directory / language / "LC_MESSAGES" / "messages.mo").open("rb") as f:
        compiled = read_mo(f)
    expected = {key(m): tuple(forms(m)) for m in source if m.id and not m.fuzzy and all(forms(m))}
    shipped = {key(m): tuple(forms(m)) for m in compiled if m.id}
    assert shipped == expected, "the .mo is stale: run `make messages`"
