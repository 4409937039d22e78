"""The geometry of a bar chart of one event per day, for the page's server-rendered SVG
(templates/tocsin/analytics/_chart.html draws it; no JavaScript, no chart library).

Coordinates are in the SVG's viewBox (WIDTH x HEIGHT), which scales to the page's width.
"""

import math
from dataclasses import dataclass
from datetime import date

WIDTH, HEIGHT = 640, 220
#: The plot's margins: room for the y axis' numbers on the left and the dates below.
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 12, 32
#: At most this many dates under the axis (every k-th day).
X_LABELS = 6
#: About this many lines across the plot.
Y_TICKS = 4


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    day: date
    value: int


@dataclass(frozen=True)
class Tick:
    """A label on an axis at `at` (x for dates, y for values)."""

    at: float
    label: str


@dataclass(frozen=True)
class Chart:
    event: str
    bars: list[Bar]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    total: int
    peak: int
    peak_day: date | None
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    baseline: int = HEIGHT - BOTTOM


def nice_step(peak: int, ticks: int = Y_TICKS) -> int:
    """A round step (1, 2 or 5 times a power of ten) that covers `peak` in `ticks` steps."""
    raw = max(peak, 1) / ticks
    power = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    for multiple in (1, 2, 5, 10):
        if multiple * power >= raw:
            return max(1, int(multiple * power))
    return int(10 * power)  # pragma: no cover - 10 always covers


def compact(value: int) -> str:
    """A y axis label that fits the margin: 950, 9,500, 95k, 9.5M."""
    if value < 10_000:
        return f"{value:,}"
    if value < 1_000_000:
        return f"{value / 1000:g}k"
    return f"{value / 1_000_000:g}M"


def build(event: str, days: list[date], values: list[int]) -> Chart:
    """Lay out one bar per day of `values` (one per `days`)."""
    step = nice_step(max(values, default=0))
    top_value = step * max(1, math.ceil(max(values, default=0) / step))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    band = plot_w / max(len(days), 1)
    bars = []
    for i, (day, value) in enumerate(zip(days, values, strict=True)):
        h = plot_h * value / top_value
        x = LEFT + i * band + band * 0.15
        bars.append(
            Bar(
                round(x, 2),
                round(TOP + plot_h - h, 2),
                round(band * 0.7, 2),
                round(h, 2),
                day,
                value,
            )
        )
    every = max(1, math.ceil(len(days) / X_LABELS))
    x_ticks = [
        Tick(round(LEFT + (i + 0.5) * band, 2), day.strftime("%m-%d"))
        for i, day in enumerate(days)
        if i % every == 0
    ]
    y_ticks = [
        Tick(round(TOP + plot_h - plot_h * v / top_value, 2), compact(v))
        for v in range(0, top_value + 1, step)
    ]
    peak = max(values, default=0)
    peak_day = days[values.index(peak)] if values and peak else None
    return Chart(event, bars, x_ticks, y_ticks, sum(values), peak, peak_day)
