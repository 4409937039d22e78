"""The benchmarks' reports: Markdown from templates (report/templates/*.md.j2) and the JSON.

A benchmark hands its results to `emit(name, data, template)`; the template turns them
into the Markdown in bench/results/ (or `out`), the JSON keeps every figure.
"""

import json
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bench.harness.paths import ROOT

from .formats import FILTERS

TEMPLATES = Path(__file__).resolve().parent / "templates"
ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    undefined=StrictUndefined,
    autoescape=False,  # noqa: S701 - Markdown, never HTML
    extensions=["jinja2.ext.do"],
)
ENV.filters.update(FILTERS)


def render(template: str, data: dict, **extra) -> str:
    """Render `templates/<template>.md.j2` with the results `data` (and `extra`)."""
    return ENV.get_template(f"{template}.md.j2").render(data=data, **extra)


def write_results(out: Path, name: str, data: dict, markdown: str) -> tuple[Path, Path]:
    """Write <out>/<name>.json and .md; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / f"{name}.json", out / f"{name}.md"
    json_path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    md_path.write_text(markdown)
    return json_path, md_path


def emit(out: Path | None, name: str, data: dict, template: str, **extra) -> str:
    """Print the report and, unless `out` is None, save it with its JSON there."""
    text = render(template, data, **extra)
    print(text)
    if out is not None:
        for path in write_results(out, name, data, text):
            shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
            print(f"wrote {shown}")
    return text
