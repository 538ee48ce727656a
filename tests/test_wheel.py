"""The package as users install it. `make` installs the wheel built from this tree into
the suite's environment, not editable, with every extra, and the whole suite imports
that installed copy: these checks confirm it, and that nothing of the tree was left out
of the wheel. A module, a config file or a command left out fails here."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import sysconfig
from importlib import metadata, resources
from pathlib import Path

import channelsim
from tests.conftest import SCRIPT

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src" / "channelsim"
# every extra a user can ask for (dev is the project's own): the Makefile's TEST_EXTRAS
EXTRAS = {"viz", "optuna", "sensitivity", "slurm", "ray", "notebooks", "calibrate"}


def test_the_suite_imports_the_installed_wheel_with_every_extra():
    site = Path(sysconfig.get_paths()["purelib"])
    assert Path(channelsim.__file__).is_relative_to(site), channelsim.__file__
    assert not Path(channelsim.__file__).is_relative_to(ROOT / "src")
    installed = metadata.distribution("channelsim")
    direct = json.loads(installed.read_text("direct_url.json") or "{}")
    assert not direct.get("dir_info", {}).get("editable", False)  # a wheel, not a link
    wanted = set()  # (extra, the name of a package it brings)
    for requirement in installed.requires or []:
        extra = re.search(r"extra == ['\"](\w+)['\"]", requirement)
        if extra and extra[1] in EXTRAS:
            wanted.add((extra[1], re.match(r"[A-Za-z0-9_.\-]+", requirement)[0]))
    assert {extra for extra, _ in wanted} == EXTRAS
    for extra, name in wanted:
        assert metadata.version(name), (extra, name)  # raises if it is missing


def source_modules() -> set[str]:
    names = set()
    for path in SOURCE.rglob("*.py"):
        parts = path.relative_to(SOURCE.parent).with_suffix("").parts
        names.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return {n for n in names if not n.endswith("__main__")}


def test_every_module_of_the_tree_imports_from_the_wheel(tmp_path):
    """In a fresh process started outside the tree: every module, the extras' too."""
    code = (
        "import importlib, json, pkgutil, channelsim\n"
        "names = ['channelsim'] + [m.name for m in pkgutil.walk_packages("
        "channelsim.__path__, 'channelsim.') if not m.name.endswith('__main__')]\n"
        "for name in names: importlib.import_module(name)\n"
        "print(json.dumps([channelsim.__file__, names]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    where, installed = json.loads(done.stdout.splitlines()[-1])
    assert Path(where) == Path(channelsim.__file__)  # the wheel, not this tree
    assert source_modules() - set(installed) == set()


def test_every_config_file_is_in_the_installed_package():
    def walk(node, prefix=""):
        for child in node.iterdir():
            if child.is_dir():
                yield from walk(child, f"{prefix}{child.name}/")
            elif child.name.endswith(".yaml"):
                yield prefix + child.name

    shipped = set(walk(resources.files("channelsim.configs")))
    ours = {str(p.relative_to(ROOT / "configs")) for p in (ROOT / "configs").rglob("*.yaml")}
    assert len(ours) > 10
    assert ours == shipped


def test_the_dashboard_s_built_in_map_is_in_the_installed_package():
    shipped = resources.files("channelsim.dashboard") / "map_china"
    ours = SOURCE / "dashboard" / "map_china"
    assert {p.name for p in ours.iterdir()} == {"map.csv", "summary.json"}
    for name in ("map.csv", "summary.json"):
        assert (shipped / name).read_bytes() == (ours / name).read_bytes()


def test_every_command_of_the_installed_script_has_help(tmp_path):
    from channelsim.cli import COMMANDS

    for command in COMMANDS:
        for flag in ("--help", "-h"):
            done = subprocess.run(
                [str(SCRIPT), command, flag],
                capture_output=True,
                text=True,
                timeout=120,
                cwd=tmp_path,
            )
            assert done.returncode == 0, (command, flag, done.stderr)
            assert f"channelsim {command}" in done.stdout.splitlines()[0], done.stdout
            assert done.stderr == "", done.stderr


def test_pip_check_is_clean_in_the_test_environment():
    done = subprocess.run(
        [sys.executable, "-m", "pip", "check"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
