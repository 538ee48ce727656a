"""No behavioural constant hides in the model's code: every number that shapes what the
agents do is a sourced `market.*` parameter (config/behaviour.py, config/schema.py).

The model's modules may hold only the literals 0, 1, -1 and 2, and numerical-method
constants (tolerances, caps for finiteness, probes) marked ``# numerical:`` with a reason:
on the literal's line, on the comment lines just above it, or anywhere in the simple
statement that holds it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from channelsim.config.schema import MarketConfig, field_table

SRC = Path(__file__).resolve().parents[1] / "src" / "channelsim"
MODEL_MODULES = sorted(
    [
        *(SRC / "agents").glob("*.py"),
        *(SRC / "mechanics").glob("*.py"),
        *(SRC / name for name in ("model.py", "pricing_model.py", "books.py", "metrics.py")),
    ]
)
ALLOWED = {0, 1, -1, 2}
MARK = "# numerical:"
SOURCE_TAGS = ("literature", "case", "public figure", "judgement", "calibrated")


def simple_statements(tree: ast.AST) -> dict[int, ast.stmt]:
    """Each node's innermost simple (non-compound) statement, by the node's id."""
    owner: dict[int, ast.stmt] = {}

    def visit(node: ast.AST, stmt: ast.stmt | None) -> None:
        compound = hasattr(node, "body") and isinstance(node, ast.stmt)
        if isinstance(node, ast.stmt) and not compound:
            stmt = node
        if stmt is not None:
            owner[id(node)] = stmt
        for child in ast.iter_child_nodes(node):
            visit(child, None if compound else stmt)

    visit(tree, None)
    return owner


def marked(lines: list[str], first: int, last: int) -> bool:
    """Whether lines first..last (1-based) or the comment lines just above carry MARK."""
    if any(MARK in lines[i - 1] and has_reason(lines[i - 1]) for i in range(first, last + 1)):
        return True
    i = first - 1
    while i >= 1 and lines[i - 1].strip().startswith("#"):
        if MARK in lines[i - 1] and has_reason(lines[i - 1]):
            return True
        i -= 1
    return False


def has_reason(line: str) -> bool:
    return bool(line.split(MARK, 1)[1].strip())


def unmarked_literals(path: Path) -> list[str]:
    """`file:line: value` for every number in `path` that is neither allowed nor marked."""
    text = path.read_text()
    lines = text.splitlines()
    tree = ast.parse(text)
    owner = simple_statements(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or isinstance(node.value, bool):
            continue
        if not isinstance(node.value, int | float | complex):
            continue
        value = node.value  # -1 parses as -(1): 1 is allowed
        if value in ALLOWED:
            continue
        if marked(lines, node.lineno, node.end_lineno or node.lineno):
            continue
        stmt = owner.get(id(node))
        if stmt is not None and marked(lines, stmt.lineno, stmt.end_lineno or stmt.lineno):
            continue
        found.append(f"{path.relative_to(SRC)}:{node.lineno}: {value!r}")
    return found


def test_the_model_modules_are_all_scanned():
    names = {p.relative_to(SRC).as_posix() for p in MODEL_MODULES}
    assert {"agents/account.py", "mechanics/choice.py", "model.py", "books.py"} <= names


@pytest.mark.parametrize("path", MODEL_MODULES, ids=lambda p: p.relative_to(SRC).as_posix())
def test_no_unmarked_behavioural_literal(path):
    assert unmarked_literals(path) == []


def test_the_scan_catches_a_constant():
    """The scan flags a bare behavioural number, and passes a marked one and 0, 1, -1, 2."""
    probe = SRC / "agents" / "_probe_constants.py"
    try:
        probe.write_text(
            "RATE = 0.7\n"
            "TOL = 1e-9  # numerical: a tolerance\n"
            "# numerical: a cap for finiteness\n"
            "CAP = 1e9\n"
            "EDGES = (0, 1, -1, 2)\n"
            "BARE = 1e-6  # numerical:\n"
        )
        assert unmarked_literals(probe) == [
            "agents/_probe_constants.py:1: 0.7",
            "agents/_probe_constants.py:6: 1e-06",
        ]
    finally:
        probe.unlink()


def test_every_market_parameter_has_a_meaning_a_range_and_a_source():
    """The channel market's every parameter, behaviour and capabilities alike, says what it
    is, what it may be and where its value comes from (one of the five source tags)."""
    rows = [r for r in field_table(MarketConfig, "market") if ".policy." not in r["key"]]
    missing = [r["key"] for r in rows if not r["source"].startswith(SOURCE_TAGS)]
    assert missing == []
    assert all(r["meaning"] for r in rows)
    numeric = [r for r in rows if r["type"] in ("int", "float", "list")]
    assert all(r["lo"] is not None and r["hi"] is not None for r in numeric)


def test_every_market_key_is_the_markets_structure_or_behaviour():
    """Each market key is tagged: behaviour (how buyers, sellers and partners act: one set
    for every market) or structure (what differs between markets). The tags fall where
    the design says: relationships build and decay by behaviour, the sellers' capabilities
    and policies and the labour costs are structure."""
    roles = {r["key"]: r["role"] for r in field_table(MarketConfig, "market")}
    assert set(roles.values()) == {"structure", "behaviour"}
    behaviour = ("learn_face_to_face", "relationship_decay", "price_sensitivity", "buyers.")
    structure = ("n_regions", "am_cost", "sellers.NAME.brand_trust", "sellers.NAME.policy.")
    structure += ("population.", "costs.")
    for key, role in roles.items():
        if key.removeprefix("market.").startswith(behaviour):
            assert role == "behaviour", key
        if key.removeprefix("market.").startswith(structure):
            assert role == "structure", key
