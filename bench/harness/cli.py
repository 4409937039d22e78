"""What every benchmark's command line shares: --smoke, --out, --no-write, --name."""

import argparse
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .paths import RESULTS


def parser(doc: str, name: str) -> argparse.ArgumentParser:
    """A parser with the shared options; the description is the docstring's first line."""
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument(
        "--smoke",
        action="store_true",
        help="tiny sizes, to check correctness (writes only with --out)",
    )
    p.add_argument("--out", type=Path, help=f"results folder (default {RESULTS})")
    p.add_argument("--no-write", action="store_true", help="print only")
    p.add_argument("--name", default=name, help="results file name")
    return p


def out_dir(args) -> Path | None:
    """Where the results go: --out, else bench/results/ (a smoke run writes only to --out)."""
    if args.no_write or (args.smoke and args.out is None):
        return None
    return args.out or RESULTS


@contextmanager
def workdir(prefix: str):
    """A temporary folder for logs, sockets and databases, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
