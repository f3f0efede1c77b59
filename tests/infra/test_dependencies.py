"""Scenario: pyproject.toml declares exactly what the code imports.

Every ``import`` in the product's packages (found with ``ast``, lazy imports inside
functions included) is mapped to the installed distribution that provides it
(``importlib.metadata.packages_distributions()``). ``dependencies`` must equal those
distributions plus the few used without an import statement (each listed below with the
place that uses it, which the test checks is still there). The ``test`` extra is checked
the same way against ``tests/`` and ``infra/``. The failure message says exactly what to add or remove.
"""

from __future__ import annotations

import ast
import importlib.metadata as md
import re
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PRODUCT = ("orchestration", "assets", "resources", "simulator", "bench")
TEST_SUPPORT = ("tests", "infra")  # infra/scripts start the local S3 endpoint and Spark for tests
LOCAL = set(PRODUCT) | set(TEST_SUPPORT)

# Distributions the product needs but never imports by name: distribution -> (file, text
# in that file that shows the use). The test fails if the use disappears.
USED_WITHOUT_IMPORT = {
    "dagster-webserver": ("Makefile", "dagster dev"),  # the UI behind `dagster dev`
    "tabulate": ("assets/catalog/assets.py", "to_markdown("),  # pandas' to_markdown
    "uvloop": ("simulator/server.py", 'loop="uvloop"'),  # uvicorn's event loop
    "better-profanity": ("assets/users/text.py", 'files("better_profanity")'),  # its word list file
    # classes the production instance config names (loaded by Dagster from dagster.yaml)
    "dagster-postgres": ("infra/dagster/production/dagster.yaml", "storage:\n  postgres:"),
    "dagster-aws": ("infra/dagster/production/dagster.yaml", "module: dagster_aws"),
}
TEST_USED_WITHOUT_IMPORT = {
    "moto": ("infra/scripts/s3_endpoint.py", '"moto.server"'),  # moto's S3 server process
    "pytest-timeout": ("pyproject.toml", "timeout = "),  # the `timeout` ini option
    "ruff": ("Makefile", "ruff check"),  # `make lint`
}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(spec: str) -> str:
    return _norm(re.split(r"[\s<>=!~;\[]", spec.strip(), maxsplit=1)[0])


def imported_modules(roots: list[Path]) -> dict[str, set[str]]:
    """Top-level module -> files importing it (absolute imports only)."""
    found: dict[str, set[str]] = {}
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(REPO)))
    return found


def third_party_distributions(modules: dict[str, set[str]]) -> tuple[dict[str, set[str]], list[str]]:
    """Distribution -> files, and the modules no installed distribution provides."""
    providers = md.packages_distributions()
    dists: dict[str, set[str]] = {}
    unknown = []
    for module, files in sorted(modules.items()):
        if module in LOCAL or module in sys.stdlib_module_names or module == "__future__":
            continue
        candidates = sorted({_norm(d) for d in providers.get(module, [])})
        if not candidates:
            unknown.append(f"{module} (imported by {sorted(files)[0]})")
            continue
        # A namespace several distributions install into (e.g. dagster): prefer the one
        # named like the module.
        dist = _norm(module) if _norm(module) in candidates else candidates[0]
        dists.setdefault(dist, set()).update(files)
    return dists, unknown


def _pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def _diff_message(section: str, declared: set[str], needed: dict[str, str]) -> str:
    missing = sorted(set(needed) - declared)
    unused = sorted(declared - set(needed))
    lines = [f"pyproject.toml {section} does not match what the code uses:"]
    lines += [f"  ADD    {d!r}  (used by {needed[d]})" for d in missing]
    lines += [f"  REMOVE {d!r}  (nothing imports or uses it)" for d in unused]
    lines.append("then pin the new ones in requirements.lock (`pip freeze` form).")
    return "\n".join(lines)


def _check_uses(table: dict[str, tuple[str, str]]) -> dict[str, str]:
    needed = {}
    for dist, (file, text) in table.items():
        assert text in (REPO / file).read_text(), (
            f"{dist} is declared as used without an import by {file!r} ({text!r}), which no "
            f"longer contains it: remove {dist} from pyproject.toml or update this list"
        )
        needed[dist] = f"{file} ({text.strip()})"
    return needed


def test_dependencies_are_exactly_what_the_product_imports():
    dists, unknown = third_party_distributions(imported_modules([REPO / p for p in PRODUCT]))
    assert not unknown, f"imported but not installed (pip install it and declare it): {unknown}"
    needed = {d: sorted(files)[0] for d, files in dists.items()}
    needed.update(_check_uses(USED_WITHOUT_IMPORT))
    declared = {_requirement_name(s) for s in _pyproject()["project"]["dependencies"]}
    assert declared == set(needed), _diff_message("[project] dependencies", declared, needed)


def test_the_test_extra_is_exactly_what_the_tests_add():
    dists, unknown = third_party_distributions(imported_modules([REPO / p for p in TEST_SUPPORT]))
    assert not unknown, f"imported by tests but not installed: {unknown}"
    project = _pyproject()["project"]
    runtime = {_requirement_name(s) for s in project["dependencies"]}
    needed = {d: sorted(files)[0] for d, files in dists.items() if d not in runtime}
    needed.update(_check_uses(TEST_USED_WITHOUT_IMPORT))
    declared = {_requirement_name(s) for s in project["optional-dependencies"]["test"]}
    assert declared == set(needed), _diff_message("[project.optional-dependencies] test", declared, needed)


def test_every_declared_distribution_is_pinned_in_the_lock():
    project = _pyproject()["project"]
    declared = {_requirement_name(s) for s in project["dependencies"] + project["optional-dependencies"]["test"]}
    pinned = {_requirement_name(line) for line in (REPO / "requirements.lock").read_text().splitlines()
              if line.strip() and not line.startswith("#")}
    assert declared <= pinned, f"declared but not pinned in requirements.lock: {sorted(declared - pinned)}"
