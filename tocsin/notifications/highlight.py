"""Search words marked in an item's text: escaped first, so a title with markup stays text."""

import re

from markupsafe import Markup, escape


def pattern(words: list[str]) -> re.Pattern[str] | None:
    """Return a pattern for the words as the search matches them: whole words, the last
    one as a prefix (as the full-text query does); None for no words."""
    if not words:
        return None
    whole = [re.escape(w) + r"(?!\w)" for w in words[:-1]]
    return re.compile(r"(?<!\w)(?:" + "|".join([*whole, re.escape(words[-1])]) + ")", re.IGNORECASE)


def highlight(text: str, words: list[str]) -> Markup:
    """Return `text` escaped, with each match wrapped in <mark>."""
    found = pattern(words)
    if found is None:
        return escape(text)
    out, last = [], 0
    for match in found.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(Markup("<mark>%s</mark>") % match.group())
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)
