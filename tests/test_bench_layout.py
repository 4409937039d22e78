"""The shape of bench/: no import inside a function, no benchmark importing another, a
harness that imports neither the benchmarks nor the tests, tests that reach bench only
through its command line, and no module over 300 lines."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 300
#: The one harness module that imports the application (`app`, `tocsin`).
APP_MODULE = "bench/harness/tocsin_app.py"
#: Imports inside a function that are the point of the code, not a way round a circle.
FUNCTION_IMPORTS_ALLOWED = {
    # Whether psycopg is imported before or after gevent's monkey-patching is what it measures.
    "bench/clients/gevent_hub.py": {"psycopg", "gevent", "psycopg.waiting", "sqlite3"},
}


def modules(root: Path, folder: str = "bench") -> dict[str, ast.Module]:
    return {
        str(path.relative_to(root)): ast.parse(path.read_text(), str(path))
        for path in sorted((root / folder).rglob("*.py"))
    }


def imported(node: ast.AST, module: str) -> list[str]:
    """The absolute names an import statement brings in (relative ones resolved)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            package = module.removesuffix(".py").split("/")[: -node.level]
            base = ".".join(package + ([base] if base else []))
        return [base]
    return []


def imports(tree: ast.Module, module: str) -> set[str]:
    return {name for node in ast.walk(tree) for name in imported(node, module)}


def function_imports(root: Path) -> list[str]:
    """Every import statement inside a function body, except the allowed ones."""
    found = []
    for module, tree in modules(root).items():
        allowed = FUNCTION_IMPORTS_ALLOWED.get(module, set())
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(func):
                names = set(imported(node, module))
                if names and not names <= allowed:
                    found.append(f"{module}:{node.lineno} {func.name}() imports {names}")
    return found


def layering(root: Path) -> list[str]:
    """Imports that cross the layers: benchmark to benchmark, harness to benchmarks or
    tests, bench to tests, and the application outside harness/tocsin_app.py."""
    found = []
    for module, tree in modules(root).items():
        names = imports(tree, module)
        own = module.removesuffix(".py").replace("/", ".")
        for name in names:
            if name == "tests" or name.startswith("tests."):
                found.append(f"{module} imports {name}")
            if module.startswith("bench/harness/") and name.startswith("bench.benchmarks"):
                found.append(f"{module} imports {name}")
            if (
                module.startswith("bench/benchmarks/")
                and name.startswith("bench.benchmarks.")
                and name != own
            ):
                found.append(f"{module} imports {name}")
            app = name in ("app", "tocsin") or name.startswith(("app.", "tocsin."))
            if (
                module.startswith("bench/harness/")
                and app
                and module != "bench/harness/tocsin_app.py"
            ):
                found.append(f"{module} imports {name}")
    return found


def bench_imports_in_tests(root: Path) -> list[str]:
    return [
        f"{module} imports {name}"
        for module, tree in modules(root, "tests").items()
        for name in imports(tree, module)
        if name == "bench" or name.startswith("bench.")
    ]


def long_modules(root: Path) -> list[str]:
    return [
        f"{path.relative_to(root)}: {n} lines"
        for path in sorted((root / "bench").rglob("*.py"))
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    ]


def test_no_import_inside_a_function():
    assert function_imports(ROOT) == []


def test_benchmarks_and_harness_keep_to_their_layers():
    assert layering(ROOT) == []


def test_tests_reach_bench_only_through_its_command_line():
    assert bench_imports_in_tests(ROOT) == []


def test_no_bench_module_is_longer_than_300_lines():
    assert long_modules(ROOT) == []
