"""Every notebook in notebooks/ runs top to bottom in a Jupyter kernel at a small market,
uses only the public API, and answers each question it asks with claims that its stored
output supports; `make notebooks` opens them in JupyterLab.

Each notebook has one code cell tagged ``parameters`` (as papermill tags it) that holds
the sizes it uses. The test injects a cell right after it that shrinks them, executes the
notebook with nbclient in a temporary working directory, and fails on any cell error
(nbclient's CellExecutionError names the cell and shows its traceback).

A question is a markdown cell tagged ``question``; its worked answer ends in a code cell
tagged ``claims``, which assigns ``CLAIMS`` (a list of ``{metric, compare, sign}``) and
prints them checked, as one line ``claims: [...]`` (`channelsim.check_claims`). The
notebooks ship executed at their full sizes, and the claims are checked in that stored
output; at the small size they need not hold.
"""

from __future__ import annotations

import ast
import json
import math
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import NATIVE_KERNEL_NAME
from nbclient import NotebookClient

import channelsim
from tests.serving import free_port

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
# the notebooks that ask questions (the quickstart shows how, and asks none)
ASKING = {"case_study.ipynb", "policy_sweep.ipynb", "strategy_maps.ipynb"}
CLAIMS_PREFIX = "claims: "


def tagged(nb: nbformat.NotebookNode, tag: str, kind: str = "code") -> list[int]:
    return [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == kind and tag in cell.metadata.get("tags", [])
    ]


def parameters_cells(nb: nbformat.NotebookNode) -> list[int]:
    return tagged(nb, "parameters")


def printed_claims(cell: nbformat.NotebookNode) -> list[list[dict]]:
    """Each ``claims: [...]`` line the cell printed, parsed."""
    text = "".join(
        o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream"
    )
    return [
        json.loads(line.removeprefix(CLAIMS_PREFIX))
        for line in text.splitlines()
        if line.startswith(CLAIMS_PREFIX)
    ]


def stated_claims(cell: nbformat.NotebookNode) -> list[dict]:
    """The cell's ``CLAIMS = [...]``, a literal, read without running the notebook."""
    for node in ast.parse(cell.source).body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", "") for t in node.targets] == [
            "CLAIMS"
        ]:
            return ast.literal_eval(node.value)
    raise AssertionError("a claims cell assigns CLAIMS, a list of literal claims")


def interval_says(sign: str, low: float | None, high: float | None) -> bool:
    """The rule of `check_claims`, restated: + above 0, - below 0, 0 including 0."""
    if low is None or high is None or math.isnan(low) or math.isnan(high):
        return False
    return {"+": low > 0, "-": high < 0, "0": low <= 0 <= high}[sign]


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
    # every claims cell ran its check: one line of the claims it states, checked
    for i in tagged(nb, "claims"):
        (printed,) = printed_claims(nb.cells[i])
        stated = [(c["metric"], c["compare"], c["sign"]) for c in stated_claims(nb.cells[i])]
        assert [(r["metric"], r["compare"], r["sign"]) for r in printed] == stated


def code_cells(path: Path) -> list[tuple[int, ast.Module]]:
    nb = nbformat.read(path, as_version=4)
    return [(i, ast.parse(c.source)) for i, c in enumerate(nb.cells) if c.cell_type == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_public_api_only(path):
    """A notebook imports what `channelsim` exports and reaches nothing below it."""
    public = set(channelsim.__all__)
    for i, tree in code_cells(path):
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("channelsim"):
                assert node.module == "channelsim", f"cell {i}: from {node.module} import ..."
                assert {a.name for a in node.names} <= public, f"cell {i}: not public"
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names if a.name.startswith("channelsim")]
                assert all(n == "channelsim" for n in names), f"cell {i}: import {names}"
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "channelsim"
            ):
                assert node.attr in public, f"cell {i}: channelsim.{node.attr} is not public"


def asks(line: str) -> bool:
    return line.startswith("#") and line.rstrip().endswith("?")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_question_has_claims_that_hold_in_the_stored_output(path):
    """Each question the notebook asks is answered, before the next, by a claims cell;
    the stored output of each shows the claims the cell states, and each holds on its
    interval."""
    nb = nbformat.read(path, as_version=4)
    questions = tagged(nb, "question", kind="markdown")
    claims = tagged(nb, "claims")
    if path.name in ASKING:
        assert questions, f"{path.name} asks no question"
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and any(asks(ln) for ln in cell.source.splitlines()):
            assert i in questions, f"cell {i} asks a question in a heading: tag it 'question'"
    ends = [*questions[1:], len(nb.cells)] if questions else []
    for question, following in zip(questions, ends, strict=True):
        answered = [c for c in claims if question < c < following]
        assert answered, f"the question in cell {question} has no claims cell after it"
    for i in claims:
        printed = printed_claims(nb.cells[i])
        assert len(printed) == 1, f"cell {i}: no stored claims line (execute the notebook)"
        stated = [(c["metric"], c["compare"], c["sign"]) for c in stated_claims(nb.cells[i])]
        assert [(r["metric"], r["compare"], r["sign"]) for r in printed[0]] == stated, (
            f"cell {i}: the stored output is of other claims (execute the notebook again)"
        )
        for row in printed[0]:
            verdict = interval_says(row["sign"], row["low"], row["high"])
            assert row["holds"] == verdict, f"cell {i}: {row}"
            assert verdict, (
                f"{path.name}, cell {i}: {row['metric']}, {row['compare']}: claimed "
                f"{row['sign']}, but the interval is [{row['low']}, {row['high']}]"
            )


def test_jupyter_lab_starts_and_serves(tmp_path):
    """`make notebooks` runs the venv's `jupyter lab`: it starts, answers its status and
    serves the lab page, and stops when told."""
    jupyter = Path(sys.executable).parent / "jupyter"
    port, token = free_port(), "channelsim-test"
    command = [
        str(jupyter),
        "lab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={tmp_path}",
        f"--IdentityProvider.token={token}",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
    }
    log = tmp_path / "lab.log"
    with log.open("wb") as out:
        lab = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        status = wait_for(f"http://127.0.0.1:{port}/api/status", token, lab, log, timeout=60)
        assert "started" in json.loads(status)
        page = wait_for(f"http://127.0.0.1:{port}/lab", token, lab, log, timeout=10)
        assert "JupyterLab" in page
    finally:
        lab.terminate()
        try:
            lab.wait(timeout=20)
        except subprocess.TimeoutExpired:
            lab.kill()
            lab.wait()


def wait_for(url: str, token: str, server: subprocess.Popen, log: Path, timeout: float) -> str:
    """The page's text once the server answers it, polling until `timeout` seconds."""
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    deadline = time.monotonic() + timeout
    while True:
        assert server.poll() is None, f"jupyter lab stopped:\n{log.read_text()[-2000:]}"
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                assert response.status == 200
                return response.read().decode()
        except (urllib.error.URLError, ConnectionError):
            assert time.monotonic() < deadline, f"no answer from {url}:\n{log.read_text()}"
            time.sleep(0.25)


def test_teaching_notes_give_every_claim_in_both_languages():
    """notebooks/TEACHING.md, the class plan, has an English and a Chinese part, and its
    expected answers name every comparison the case-study notebook claims."""
    text = (NOTEBOOK_DIR / "TEACHING.md").read_text(encoding="utf-8")
    assert "## English" in text and "## 中文" in text
    nb = nbformat.read(NOTEBOOK_DIR / "case_study.ipynb", as_version=4)
    compares = {c["compare"] for i in tagged(nb, "claims") for c in stated_claims(nb.cells[i])}
    assert compares
    missing = {c for c in compares if c.split(" in ")[0] not in text}
    assert not missing, f"TEACHING.md gives no expected answer for {sorted(missing)}"
