"""Imports go one way: config, domain and labels -> mechanics -> agents and network ->
model -> experiment -> analysis -> api, cli and dashboard. A lower layer never imports a
higher one. Running and reading are apart: experiment/ runs simulations, analysis/
reads their tables and draws, and never imports what builds or runs a model."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "channelsim"
LAYERS = [
    {"config", "configs", "domain", "labels"},  # configs: the YAML presets
    {"mechanics", "streams"},
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


# What analysis/ may import from the layers below it: what reads and writes files, the
# fixed designs of the studies it reads, and the records their runs produce. Never a
# runner, a model or the config composer: reading results must not make new ones.
ANALYSIS_MAY_IMPORT = {
    "domain": None,  # None: any name
    "labels": None,
    # the sellers a table of metrics names, and which metrics cannot be negative
    "metrics": {"METRICS", "metric_sellers", "nonnegative"},
    "config.validate": {"schema_rows"},  # the levers' documentation (their downsides)
    "experiment.io": None,
    "experiment.sweep": {"collect", "read_plan"},  # a sweep folder's tables
    # the scenarios, and their dated changes as their presets give them (no run)
    "experiment.case_study": {"PARTS", "SCENARIOS", "scenario_changes"},
    "experiment.theory": {"Row", "duopoly", "C_VALUES", "encroachment"},
    # a calibration's loss profile, read off its table of evaluations, and how its best
    # values are named
    "experiment.calibrate": {
        "IDENTIFIED",
        "PROFILE_BINS",
        "PROFILE_RISE",
        "best_text",
        "profile",
    },
    # who supplies each reseller and distributor: a read of the state
    "network": {"supply_sources", "stocking_sellers", "node"},
}
ANALYSIS = sorted((PACKAGE / "analysis").glob("*.py"))


def imported_names(path: Path) -> set[tuple[str, str | None]]:
    """(module, name) for each `from channelsim.module import name`; (module, None) for
    each `import channelsim.module`; imports for type hints only left out."""
    found = set()
    for node in runtime_nodes(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("channelsim."):
            module = node.module.removeprefix("channelsim.")
            found |= {(module, a.name) for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {
                (a.name.removeprefix("channelsim."), None)
                for a in node.names
                if a.name.startswith("channelsim.")
            }
    return found


@pytest.mark.parametrize("path", ANALYSIS, ids=[p.name for p in ANALYSIS])
def test_analysis_reads_and_never_runs(path):
    for module, name in imported_names(path):
        if module.split(".")[0] == "analysis":
            continue
        allowed = ANALYSIS_MAY_IMPORT.get(module, set())
        assert allowed is None or name in allowed, (
            f"analysis/{path.name} imports {name or module} from channelsim.{module}: "
            "analysis reads result tables; running belongs in experiment/"
        )


def test_the_reading_rule_catches_a_runner(tmp_path):
    """The rule above fails a module that imports a runner, in either import form."""
    planted = tmp_path / "planted.py"
    planted.write_text(
        "from channelsim.experiment.batch import run_jobs\nimport channelsim.model\n"
    )
    got = imported_names(planted)
    assert got == {("experiment.batch", "run_jobs"), ("model", None)}
    assert all(m not in ANALYSIS_MAY_IMPORT for m, _ in got)


# The channel market's month draws only from its streams (channelsim.streams): the model's
# own generator builds the start, and nothing after it.
CHANNEL_MONTH = [
    PACKAGE / "model.py",
    *(p for p in (PACKAGE / "agents").glob("*.py") if "encroachment" not in p.name),
    *(PACKAGE / "mechanics").glob("*.py"),
]
ALLOWED_RNG = {"__init__", "_build"}  # the start


def generator_uses(path: Path) -> list[str]:
    """Functions that read a model's `rng` or `random` (not the build's)."""
    found = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = child.name if isinstance(child, ast.FunctionDef) else function
            if (
                isinstance(child, ast.Attribute)
                and child.attr in ("rng", "random")
                and isinstance(child.value, ast.Name)
                and child.value.id in ("model", "self")
                and name not in ALLOWED_RNG
            ):
                found.append(f"{path.name}:{child.lineno} in {name}")
            visit(child, name)

    visit(ast.parse(path.read_text()), "")
    return found


@pytest.mark.parametrize("path", CHANNEL_MONTH, ids=lambda p: p.name)
def test_the_month_draws_only_from_the_streams(path):
    assert generator_uses(path) == []


def test_the_stream_rule_catches_a_draw_from_the_models_generator(tmp_path):
    rogue = tmp_path / "rogue.py"
    rogue.write_text("def step(model):\n    return model.rng.random(3)\n")
    assert generator_uses(rogue) == ["rogue.py:2 in step"]
