"""The package as users install it: the wheel built from this tree and installed, not
editable, with its extras, into a fresh virtual environment that the checks share.
A module, a config file or a command left out of the wheel fails here, however the
development environment was installed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
import urllib.request
from pathlib import Path

import pytest
from uv import find_uv_bin

from tests.conftest import SMALL
from tests.serving import dashboard

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src" / "channelsim"
# every extra a user can ask for (dev is the project's own)
EXTRAS = "viz,optuna,sensitivity,slurm,ray,notebooks,calibrate"
INSTALL_S = 900


def uv(*args: str, cwd: Path | None = None) -> None:
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"}
    done = subprocess.run(
        [find_uv_bin(), *args],
        capture_output=True,
        text=True,
        timeout=INSTALL_S,
        cwd=cwd,
        env=env,
    )
    assert done.returncode == 0, f"uv {' '.join(args)}:\n{done.stderr[-3000:]}"


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A fresh environment with the wheel and every extra; its bin folder."""
    work = tmp_path_factory.mktemp("wheel")
    uv("build", "--wheel", "--out-dir", str(work / "dist"), "--python", sys.executable, str(ROOT))
    (wheel,) = (work / "dist").glob("channelsim-*.whl")
    uv("venv", "--python", sys.executable, str(work / "venv"))
    python = work / "venv" / "bin" / "python"
    uv("pip", "install", "--python", str(python), f"{wheel}[{EXTRAS}]")
    return python.parent


def python_in(venv: Path, code: str, cwd: Path):
    """Run `code` with the environment's Python; what it printed last, read as JSON."""
    done = subprocess.run(
        [str(venv / "python"), "-c", code], capture_output=True, text=True, timeout=300, cwd=cwd
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def source_modules() -> set[str]:
    names = set()
    for path in SOURCE.rglob("*.py"):
        parts = path.relative_to(SOURCE.parent).with_suffix("").parts
        names.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return {n for n in names if not n.endswith("__main__")}


def test_every_module_of_the_tree_imports_from_the_wheel(venv, tmp_path):
    code = (
        "import importlib, json, pkgutil, channelsim\n"
        "names = ['channelsim'] + [m.name for m in pkgutil.walk_packages("
        "channelsim.__path__, 'channelsim.') if not m.name.endswith('__main__')]\n"
        "for name in names: importlib.import_module(name)\n"
        "print(json.dumps([channelsim.__file__, names]))\n"
    )
    where, installed = python_in(venv, code, tmp_path)
    assert Path(where).is_relative_to(venv.parent), where  # the wheel, not this tree
    assert source_modules() - set(installed) == set()


def test_every_config_file_is_in_the_installed_package(venv, tmp_path):
    code = (
        "import json; from importlib.resources import files\n"
        "root = files('channelsim.configs')\n"
        "def walk(node, prefix=''):\n"
        "    for child in node.iterdir():\n"
        "        if child.is_dir(): yield from walk(child, prefix + child.name + '/')\n"
        "        elif child.name.endswith('.yaml'): yield prefix + child.name\n"
        "print(json.dumps(sorted(walk(root))))\n"
    )
    shipped = set(python_in(venv, code, tmp_path))
    ours = {str(p.relative_to(ROOT / "configs")) for p in (ROOT / "configs").rglob("*.yaml")}
    assert len(ours) > 10
    assert ours == shipped


def test_every_command_of_the_installed_script_has_help(venv, tmp_path):
    from channelsim.cli import COMMANDS

    for command in COMMANDS:
        for flag in ("--help", "-h"):
            done = subprocess.run(
                [str(venv / "channelsim"), command, flag],
                capture_output=True,
                text=True,
                timeout=120,
                cwd=tmp_path,
            )
            assert done.returncode == 0, (command, flag, done.stderr)
            assert f"channelsim {command}" in done.stdout.splitlines()[0], done.stdout
            assert done.stderr == "", done.stderr


def test_the_installed_script_runs_a_small_market(venv, tmp_path):
    done = subprocess.run(
        [
            str(venv / "channelsim"),
            "run",
            "scenario=history",
            "steps=6",
            *SMALL,
            "hydra.run.dir=out",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["status"] == "ok"
    with (ROOT / "pyproject.toml").open("rb") as f:
        assert summary["version"] == tomllib.load(f)["project"]["version"]


def test_the_installed_dashboard_serves_its_page(venv, tmp_path):
    with (
        dashboard(tmp_path, *SMALL, script=venv / "channelsim") as url,
        urllib.request.urlopen(url, timeout=60) as page,
    ):
        assert page.status == 200
        assert "<title>channelsim — channel strategy</title>" in page.read().decode()


def test_the_wheels_environment_has_no_broken_requirement(venv):
    uv("pip", "check", "--python", str(venv / "python"))


def test_pip_check_is_clean_in_the_test_environment():
    done = subprocess.run(
        [sys.executable, "-m", "pip", "check"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
