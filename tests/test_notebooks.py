"""Every notebook in notebooks/ runs top to bottom in a Jupyter kernel at a small market.

Each notebook has one code cell tagged ``parameters`` (as papermill tags it) that holds
the sizes it uses. The test injects a cell right after it that shrinks them, executes the
notebook with nbclient in a temporary working directory, and fails on any cell error
(nbclient's CellExecutionError names the cell and shows its traceback).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import NATIVE_KERNEL_NAME
from nbclient import NotebookClient

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
EXPECTED = {
    "quickstart.ipynb",
    "case_study.ipynb",
    "policy_sweep.ipynb",
    "strategy_maps.ipynb",
}
# a small market: the keys of configs/market/*.yaml (MarketConfig in config/schema.py)
SMALL = {
    "SEEDS": 2,
    "STEPS": 24,
    "SAMPLES": 3,  # Morris trajectories
    "TRIALS": 4,  # trials of a policy search
    "GRID": 2,  # values on each axis of a strategy map
    "MARKET": [
        "market.n_regions=2",
        "market.key_accounts_per_region=20",
        "market.mid_accounts_per_region=40",
        "market.resellers_per_region=10",
        "market.global_accounts=4",
        "market.distributors=2",
    ],
}
CELL_TIMEOUT = 600  # seconds a cell may run before nbclient gives up on it


def parameters_cells(nb: nbformat.NotebookNode) -> list[int]:
    return [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", [])
    ]


def assigned_names(source: str) -> set[str]:
    """Names the cell assigns at top level (``X = ...``, ``X: int = ...``)."""
    names = set()
    for node in ast.parse(source).body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def small_cell(parameters: str) -> nbformat.NotebookNode:
    """The injected cell: the small sizes of the parameters the notebook has, and a check
    that the kernel runs this interpreter's environment (the venv under test)."""
    names = assigned_names(parameters)
    lines = [f"{name} = {value!r}" for name, value in SMALL.items() if name in names]
    lines += ["import sys", f"assert sys.prefix == {sys.prefix!r}, sys.prefix"]
    return nbformat.v4.new_code_cell("\n".join(lines), metadata={"tags": ["injected-parameters"]})


def test_the_notebooks_are_there():
    assert {p.name for p in NOTEBOOKS} >= EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_one_parameters_cell(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    cells = parameters_cells(nb)
    assert len(cells) == 1, f"{path.name}: {len(cells)} cells tagged parameters"
    first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    assert cells[0] == first_code, "the parameters cell is the first code cell"
    names = assigned_names(nb.cells[cells[0]].source)
    assert "MARKET" in names, "the market size is a parameter"
    assert names <= set(SMALL) | {"N_JOBS"}, f"parameters the test does not know: {names}"


def test_the_kernel_is_this_python():
    """jupyter_client starts the native kernel with sys.executable (the venv's Python),
    whatever `python` is on PATH."""
    from jupyter_client.manager import KernelManager

    km = KernelManager(kernel_name=NATIVE_KERNEL_NAME)
    assert NATIVE_KERNEL_NAME == "python3"
    assert km.format_kernel_cmd()[0] == sys.executable


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path, monkeypatch):
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel picks its own, inline
    nb = nbformat.read(path, as_version=4)
    (at,) = parameters_cells(nb)
    nb.cells.insert(at + 1, small_cell(nb.cells[at].source))
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name=NATIVE_KERNEL_NAME,
        resources={"metadata": {"path": str(tmp_path)}},  # the kernel's working directory
        shutdown_kernel="immediate",
        extra_arguments=["--InteractiveShell.colors=nocolor"],  # plain tracebacks in pytest
    )
    client.execute()  # raises CellExecutionError on the first failing cell; stops the kernel
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    # figures are shown inline: importing channelsim leaves the kernel's backend alone
    assert any("image/png" in o.get("data", {}) for o in outputs), "no figure was shown"
