"""Number formats of the reports, as Jinja filters."""


def fmt_ms(value: float | None) -> str:
    """Format milliseconds with a precision that suits the magnitude."""
    if value is None:
        return "–"
    if value < 1:
        return f"{value:.3f}"
    if value < 100:
        return f"{value:.2f}"
    return f"{value:.0f}"


def fmt_ratio(value: float | None) -> str:
    """Format a ratio: four decimals when tiny, thousands separators when large."""
    if value is None:
        return "–"
    if value < 0.01:
        return f"{value:.4f}"
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def fmt(value, spec: str = ".0f", none: str = "–") -> str:
    """format(value, spec), or `none` for None."""
    return none if value is None else format(value, spec)


def ratio(a: float | None, b: float | None) -> float | None:
    """a / b, or None when either is missing (or b is 0)."""
    return a / b if a is not None and b else None


def bullets(info: dict) -> str:
    """A dict as Markdown bullets: `- **key**: value` (the machine description)."""
    return "\n".join(f"- **{key}**: {value}" for key, value in info.items())


def code(text) -> str:
    """Markdown inline code."""
    return f"`{text}`"


def lookup(key, table: dict):
    """table[key], as a filter to map over keys."""
    return table[key]


FILTERS = {
    "ms": fmt_ms,
    "ratio": fmt_ratio,
    "f": fmt,
    "div": ratio,
    "bullets": bullets,
    "lookup": lookup,
    "code": code,
}
