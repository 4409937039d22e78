"""The data path reads one way: no module imports one of a higher layer, none imports late.

Every module of tocsin/ and app/ belongs to a layer (LAYERS, lowest first) and may import
modules of its own layer and lower ones only. The broker hands events to the live layer
through a callback it is given, so it imports nothing of it; the pipeline announces
through the broker; views, the API and the CLI sit on top of all three; the extension
wires everything together, and the demo app uses the extension as a host would.
The imports are read from the source with `ast`, so a module that is never imported in
a test run is checked as well.
"""

import ast
import fnmatch
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Lowest first; a module's layer is that of the first pattern it matches.
LAYERS: list[tuple[str, str]] = [
    # Settings, the ORM objects and the per-app state they hang on.
    (
        "base",
        """tocsin.config tocsin.extensions tocsin.models tocsin.models.* tocsin.state
        tocsin.unavailable tocsin.among tocsin.template_imports
        tocsin.private_files tocsin.notifications tocsin.notifications.timefmt
        tocsin.notifications.links tocsin.notifications.schedule tocsin.analytics
        tocsin.analytics.recorder tocsin.analytics.period tocsin.analytics.chart
        tocsin.metrics tocsin.logs tocsin.notifications.highlight""",
    ),
    # What a notification, a recipient, a login or a token is; reads and writes of rows.
    (
        "rules",
        """tocsin.notifications.types tocsin.notifications.validation
        tocsin.notifications.queries tocsin.notifications.bulk_postgres tocsin.recipients
        tocsin.logins tocsin.database tocsin.idle_ping tocsin.schema tocsin.api.tokens
        tocsin.api.idempotency tocsin.api.schemas tocsin.notifications.policy
        tocsin.notifications.ratelimit
        tocsin.notifications.store tocsin.notifications.grouping tocsin.notifications.preferences
        tocsin.notifications.preferences_form tocsin.notifications.escalation
        tocsin.notifications.inbox_query tocsin.notifications.decisions
        tocsin.notifications.built_in_rules tocsin.notifications.toast_scope
        tocsin.analytics.flush tocsin.analytics.queries tocsin.analytics.export
        tocsin.notifications.search tocsin.notifications.locales""",
    ),
    # Carries events between processes; hands them to a callback, knows no sockets.
    ("broker", "tocsin.broker tocsin.broker.*"),
    # Validate, store, commit, then announce through the broker.
    (
        "pipeline",
        """tocsin.notifications.publish tocsin.notifications.service tocsin.api.service
        tocsin.login_session tocsin.notifications.pipeline tocsin.notifications.channels
        tocsin.notifications.catchup tocsin.notifications.sweeper
        tocsin.notifications.preferences_service tocsin.notifications.snooze
        tocsin.notifications.undo tocsin.notifications.restore
        tocsin.notifications.housekeeping tocsin.notifications.housekeeping_rows
        tocsin.notifications.housekeeping_removal
        tocsin.notifications.retention tocsin.notifications.prune_batches
        tocsin.analytics.track tocsin.notifications.saved_filters tocsin.notifications.seen""",
    ),
    # Channels beyond the open tab: delivery rows, the job queue, push, email, presence.
    (
        "channels",
        """tocsin.channels tocsin.channels.outcomes tocsin.channels.deliveries
        tocsin.channels.delivery_record tocsin.channels.queue tocsin.channels.base
        tocsin.channels.presence
        tocsin.channels.recheck tocsin.channels.sweep tocsin.channels.manage
        tocsin.channels.consumer
        tocsin.channels.addresses tocsin.channels.mailer tocsin.channels.links
        tocsin.channels.unsubscribe tocsin.channels.email_message tocsin.channels.email
        tocsin.channels.digest tocsin.channels.digest_rows
        tocsin.channels.vapid tocsin.channels.push_hosts tocsin.channels.push_subscriptions
        tocsin.channels.push tocsin.channels.presence_db tocsin.channels.presence_redis
        tocsin.channels.scrape""",
    ),
    # This process's sockets: the registry the broker delivers to, rendering, sending.
    (
        "live",
        """tocsin.live tocsin.live.anonymous tocsin.live.coalesce tocsin.live.connection
        tocsin.live.deflate tocsin.live.push tocsin.live.registry tocsin.live.server
        tocsin.live.stencil tocsin.live.csrf tocsin.live.sse""",
    ),
    # What the routes share: responses, the host's action helpers, Jinja globals, guards.
    (
        "web",
        """tocsin.notifications.responses tocsin.notifications.actions
        tocsin.notifications.jinja tocsin.api.errors tocsin.api.openapi tocsin.bodies
        tocsin.headers tocsin.limits tocsin.notifications.viewer_time tocsin.i18n""",
    ),
    # Blueprints and commands: only the extension (or a host) imports these.
    (
        "endpoints",
        """tocsin.notifications.views tocsin.notifications.preferences_views
        tocsin.notifications.snooze_views tocsin.notifications.housekeeping_views tocsin.live.ws
        tocsin.api tocsin.api.views tocsin.channels.email_views tocsin.channels.push_views
        tocsin.cli tocsin.cli.*
        tocsin.analytics.views tocsin.metrics_views
        tocsin.notifications.saved_filters_views tocsin.notifications.seen_views
        tocsin.live.stream""",
    ),
    ("extension", "tocsin.extension tocsin"),
    # What a deployment or a host's tests load beside the app: they use the extension.
    ("tools", "tocsin.gunicorn tocsin.testing tocsin.testing.*"),
    ("app", "app app.*"),
]
RANK = {name: rank for rank, (name, _) in enumerate(LAYERS)}

#: Package `__init__` modules that only name the package: they import nothing.
EMPTY_PACKAGES = {"tocsin.live", "tocsin.notifications"}


def modules() -> dict[str, Path]:
    """Map every module name of tocsin/ and app/ (migrations aside) to its file."""
    found = {}
    for package in ("tocsin", "app"):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if "migrations" in parts:
                continue  # run by Alembic, never imported by the package
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = modules()


def layer_of(module: str) -> str:
    for name, patterns in LAYERS:
        if any(fnmatch.fnmatchcase(module, p) for p in patterns.split()):
            return name
    raise LookupError(f"{module} belongs to no layer: add it to LAYERS in {__file__}")


def imported(module: str, path: Path) -> list[tuple[int, str, bool]]:
    """Return (line, module, under TYPE_CHECKING) for each Tocsin or app module imported."""
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(), str(path))
    type_only = _type_checking_only(tree)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, is_package, node.level, node.module)
            # `from . import broker` imports a module; `from .config import PACKAGE` a name.
            names = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names
            ]
        else:
            continue
        out += [
            (node.lineno, name, node in type_only)
            for name in names
            if name.split(".")[0] in ("tocsin", "app")
        ]
    return out


def _absolute(module: str, is_package: bool, level: int, name: str | None) -> str:
    if not level:
        return name or ""
    parts = module.split(".") if is_package else module.split(".")[:-1]
    parts = parts[: len(parts) - (level - 1)]
    return ".".join(parts + ([name] if name else []))


def _type_checking_only(tree: ast.AST) -> set[ast.AST]:
    """Return the nodes under `if TYPE_CHECKING:` (not its `else`, which runs)."""
    nodes: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in TYPE_CHECKING_TESTS:
            nodes.update(n for stmt in node.body for n in ast.walk(stmt))
    return nodes


TYPE_CHECKING_TESTS = ("TYPE_CHECKING", "typing.TYPE_CHECKING")
#: Modules allowed to name a higher layer's classes in annotations (under TYPE_CHECKING):
#: the per-app state holds the parts every layer reads, and has to say what they are.
TYPE_ONLY_UPWARD = {
    "tocsin.state": "holds each layer's part of the per-app state; annotations only",
}

#: Modules allowed an import inside a function, and why (never to dodge a cycle).
LATE_IMPORTS = {
    "tocsin.gunicorn": "gunicorn reads it before gevent patches the worker; importing "
    "Tocsin (psycopg) then would block the hub, so its hooks import once the app has loaded",
}


def test_every_module_has_a_layer():
    assert MODULES, "no modules found"
    for module in MODULES:
        layer_of(module)


def test_no_module_imports_a_higher_layer():
    """Issue 10 found the broker importing the live registry, and actions the views."""
    wrong = []
    for module, path in MODULES.items():
        rank = RANK[layer_of(module)]
        for line, target, type_only in imported(module, path):
            if target not in MODULES:
                wrong.append(f"{module}:{line} imports {target}, which does not exist")
                continue
            if RANK[layer_of(target)] <= rank:
                continue
            if type_only and module in TYPE_ONLY_UPWARD:
                continue
            wrong.append(
                f"{module}:{line} ({layer_of(module)}) imports {target} ({layer_of(target)})"
            )
    assert not wrong, "lower layers import higher ones:\n" + "\n".join(dict.fromkeys(wrong))


def test_no_import_inside_a_function():
    late = []
    for module, path in MODULES.items():
        if module in LATE_IMPORTS:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                late += [
                    f"{module}:{sub.lineno} imports inside {node.name}()"
                    for sub in ast.walk(node)
                    if isinstance(sub, ast.Import | ast.ImportFrom)
                ]
    assert not late, "imports inside functions:\n" + "\n".join(late)


def test_empty_packages_import_nothing():
    for package in EMPTY_PACKAGES:
        assert not imported(package, MODULES[package]), package


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("tocsin.broker.base", "from ..live.registry import Registry", "tocsin.live.registry"),
        ("tocsin.live.ws", "from .. import broker", "tocsin.broker"),
        ("tocsin", "from . import api", "tocsin.api"),
        ("tocsin.notifications.actions", "from .views import bp", "tocsin.notifications.views"),
        ("app.pages", "import tocsin.live.ws", "tocsin.live.ws"),
    ],
)
def test_imports_are_resolved(tmp_path, module, source, expected):
    """The checker itself: relative imports resolve to the module they load."""
    path = tmp_path / ("__init__.py" if module == "tocsin" else "mod.py")
    path.write_text(source + "\n")
    assert [name for _, name, _ in imported(module, path)] == [expected]


def test_type_checking_imports_are_told_apart(tmp_path):
    path = tmp_path / "mod.py"
    path.write_text(
        "from typing import TYPE_CHECKING\n"
        "from .base import Deliver\n"
        "if TYPE_CHECKING:\n"
        "    from ..live.registry import Registry\n"
    )
    assert [(name, only) for _, name, only in imported("tocsin.broker.redis", path)] == [
        ("tocsin.broker.base", False),
        ("tocsin.live.registry", True),
    ]
