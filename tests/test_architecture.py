"""Imports go one way: config, domain and labels -> mechanics -> agents and network ->
model -> experiment -> analysis -> api, cli and dashboard. A lower layer never imports a
higher one."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "channelsim"
LAYERS = [
    {"config", "configs", "domain", "labels"},  # configs: the YAML presets
    {"mechanics"},
    {"agents", "network", "policies"},
    {"model", "books", "metrics", "pricing_model", "models"},  # the models and their month
    {"experiment"},
    {"analysis"},
    {"api", "cli", "dashboard", "__init__"},
]


def layer_of(module: str) -> int:
    head = module.split(".")[0]
    for i, names in enumerate(LAYERS):
        if head in names:
            return i
    raise AssertionError(f"module {module!r} is in no layer")


def runtime_nodes(tree: ast.AST):
    """Every node but those under `if TYPE_CHECKING:` (imports for type hints only)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            continue
        yield node
        yield from runtime_nodes(node)


def imports(path: Path) -> set[str]:
    found = set()
    for node in runtime_nodes(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.startswith("channelsim.")
        ):
            found.add(node.module.removeprefix("channelsim."))
        elif isinstance(node, ast.Import):
            found |= {
                a.name.removeprefix("channelsim.")
                for a in node.names
                if a.name.startswith("channelsim.")
            }
    return found


SOURCES = sorted(p for p in PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=[str(p.relative_to(PACKAGE)) for p in SOURCES])
def test_imports_go_one_way(path):
    module = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
    own = layer_of(module)
    for target in imports(path):
        assert layer_of(target) <= own, f"{module} imports {target}, a higher layer"
