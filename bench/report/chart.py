"""Charts of the benchmark results (matplotlib, SVG): latency against connected clients.

Run: .venv/bin/python -m bench.report.chart bench/results/latency.json (writes latency.svg);
the latency benchmark runs it after writing its results. Needs the bench extra.
"""

import json
import statistics
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no screen: render straight to a file
import matplotlib.pyplot as plt  # noqa: E402 - the backend is chosen first

STYLE = {
    "tocsin": ("Tocsin", "C0"),
    "peer_a": ("peer A (raw websockets)", "C2"),
    "peer_a_plus": ("peer A+ (commits each row)", "C1"),
    "peer_b": ("peer B (Flask-SocketIO)", "C3"),
}


def latency_chart(data: dict, path: Path) -> Path:
    """p50 (solid) and p99 (dashed) against clients, one panel per mode, log scales; the
    median over the runs where `--repeat` made several of one size."""
    modes = data["settings"]["modes"]
    fig, axes = plt.subplots(1, len(modes), figsize=(6 * len(modes), 4.5), squeeze=False)
    for ax, mode in zip(axes[0], modes, strict=True):
        for name, (label, color) in STYLE.items():
            runs: dict[int, list[dict]] = {}
            for row in data["runs"]:
                if mode in row.get(name, {}) and row[name][mode]["latency_ms"].get("n"):
                    runs.setdefault(row["clients"], []).append(row[name][mode]["latency_ms"])
            if not runs:
                continue
            points = [
                (c, {k: statistics.median(lat[k] for lat in lats) for k in ("p50_ms", "p99_ms")})
                for c, lats in sorted(runs.items())
            ]
            clients = [c for c, _ in points]
            ax.plot(
                clients,
                [lat["p50_ms"] for _, lat in points],
                "o-",
                color=color,
                label=f"{label} p50",
            )
            ax.plot(
                clients,
                [lat["p99_ms"] for _, lat in points],
                "s--",
                color=color,
                label=f"{label} p99",
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("connected clients")
        ax.set_ylabel("publish to receipt, ms")
        ax.set_title(f"{mode}: one user" if mode == "targeted" else f"{mode}: every socket")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"Publish-to-receipt latency ({data['machine'].get('date_utc', '')})")
    fig.tight_layout()
    fig.savefig(path, format=path.suffix.lstrip(".") or "svg")
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> None:
    """Chart each latency results file given (JSON) into an SVG beside it."""
    for name in argv if argv is not None else sys.argv[1:]:
        source = Path(name)
        path = latency_chart(json.loads(source.read_text()), source.with_suffix(".svg"))
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
