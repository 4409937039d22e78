"""Read a /metrics page: parse it with prometheus-client's own parser, pick one value."""

from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """Every sample on the page: (name, labels) -> value. Raises if the text is malformed."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(text: str, name: str, **labels: str) -> float | None:
    """The sample `name` with exactly `labels`; None if the page lacks it."""
    return samples(text).get((name, frozenset(labels.items())))
