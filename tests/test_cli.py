"""The `channelsim` command: in-process for speed, plus the installed console script and a
non-editable install run from another folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from channelsim import cli
from channelsim.model import ChannelModel

SCRIPT = Path(sys.executable).parent / "channelsim"
ROOT = Path(__file__).resolve().parents[1]


def test_run_writes_its_folder_and_prints_it(tmp_path, capsys):
    out = tmp_path / "run"
    code = cli.main(["run", "steps=12", "seed=4", f"hydra.run.dir={out}"])
    printed = capsys.readouterr().out.strip().splitlines()
    assert code == 0
    assert printed[-1] == str(out)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "ok" and summary["seed"] == 4
    assert len(pd.read_parquet(out / "metrics.parquet")) == 12


@pytest.mark.parametrize(
    "args",
    [
        ["run", "steps=-5"],
        ["run", "seed=abc"],
        ["run", "strategy=nosuch"],
        ["run", "market.n_regions=0"],
        ["run", "strategy.nosuch=1"],
        ["run", "strategy.rebate_rate=high"],
        ["run", "--config-dir"],
        ["frobnicate"],
        ["run", "--bogus"],
        ["run", "hydra.nosuch=1"],
        ["run", "hydra.run.dir=${foo}"],
        ["run", "hydra.run.dir="],
        ["run", "hydra.run.dir=/proc/channelsim"],
        ["run", "steps=1e3"],
        ["study", "steps=10"],
        ["study", "--seeds", "0"],
        ["run", "--lang", "fr"],
        ["study", "--lang=de"],
        ["dashboard", "--lang", "fr"],
        ["dashboard", "--port", "0"],
        ["dashboard", "--port", "http"],
        ["dashboard", "--host", ""],
        ["dashboard", "strategy=direct"],
        ["dashboard", "market.n_regions=0"],
        ["dashboard", "--config-dir", "presets"],
    ],
)
def test_bad_input_exits_2_with_one_line_and_no_folder(tmp_path, capsys, args):
    out = tmp_path / "never"
    own_dir = any(a.startswith("hydra.run.dir") for a in args)
    code = cli.main([*args, f"hydra.run.dir={out}"] if args[0] == "run" and not own_dir else args)
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    assert err.startswith("channelsim: error:")
    assert not out.exists()


def test_broken_yaml_in_a_user_folder_is_one_line(tmp_path, capsys):
    (tmp_path / "strategy").mkdir()
    (tmp_path / "strategy" / "broken.yaml").write_text("rebate_rate: [0.1\n")
    code = cli.main(
        [
            "run",
            "--config-dir",
            str(tmp_path),
            "strategy=broken",
            f"hydra.run.dir={tmp_path / 'out'}",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "broken.yaml" in err
    assert not (tmp_path / "out").exists()


def test_a_failing_run_says_why_in_its_own_summary(tmp_path, capsys, monkeypatch):
    def broken(self):
        raise FloatingPointError("capital overflowed")

    monkeypatch.setattr(ChannelModel, "step", broken)
    out = tmp_path / "run"
    code = cli.main(["run", "steps=3", f"hydra.run.dir={out}"])
    err = capsys.readouterr().err
    assert code == 1
    assert len(err.strip().splitlines()) == 1 and "capital overflowed" in err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "failed"
    assert "capital overflowed" in summary["error"]
    assert not (out / "metrics.parquet").exists()


def test_levers_lists_every_key_with_its_range(capsys):
    assert cli.main(["levers"]) == 0
    out = capsys.readouterr().out
    for key in (
        "strategy.rebate_rate",
        "strategy.training_budget",
        "strategy.map_enforced",
        "strategy.deal_registration",
        "strategy.erp_integration",
        "strategy.customer_care",
        "strategy.am_turnover",
        "strategy.approval_levels",
        "strategy.partner_tiering",
        "strategy.audit_probability",
        "strategy.online_price_gap",
        "strategy.product_differentiation",
        "market.n_regions",
        "market.resellers_per_region",
        "market.key_accounts_per_region",
        "market.mid_accounts_per_region",
        "market.global_accounts",
        "market.growth",
        "market.direct.markup",
        "market.direct.phone_capacity",
        "market.direct.field_reps",
    ):
        assert key in out
    assert "[0, 0.3]" in out


def test_installed_console_script_end_to_end(tmp_path):
    out = tmp_path / "run"
    done = subprocess.run(
        [str(SCRIPT), "run", "strategy=direct", "steps=6", f"hydra.run.dir={out}"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == str(out)
    assert json.loads((out / "summary.json").read_text())["strategy"] == "direct"
    bad = subprocess.run(
        [str(SCRIPT), "run", "steps=-5"], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert bad.returncode == 2
    assert bad.stderr.strip() == (
        "channelsim: error: steps=-5 is not allowed: expected an integer in [1, 100000]"
    )
    assert not (tmp_path / "outputs").exists()


def test_packaged_configs_work_from_a_non_editable_install(tmp_path):
    wheels, site, elsewhere = tmp_path / "wheels", tmp_path / "site", tmp_path / "elsewhere"
    elsewhere.mkdir()
    pip = [sys.executable, "-m", "pip", "-q", "--disable-pip-version-check"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(ROOT)],
        check=True,
        timeout=600,
        capture_output=True,
    )
    wheel = next(wheels.glob("channelsim-*.whl"))
    subprocess.run(
        [*pip, "install", "--no-deps", "--target", str(site), str(wheel)],
        check=True,
        timeout=600,
        capture_output=True,
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    code = (
        "import sys, channelsim, channelsim.cli; "
        "print(channelsim.__file__); "
        "sys.exit(channelsim.cli.main(['run', 'scenario=history', 'steps=3', "
        "'hydra.run.dir=out']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith(str(site))
    assert json.loads((elsewhere / "out" / "summary.json").read_text())["status"] == "ok"


def test_the_command_leaves_the_environment_alone(monkeypatch, capsys):
    """Programs started after an in-process call (a notebook's kernel) pick their own
    matplotlib backend."""
    monkeypatch.delenv("MPLBACKEND", raising=False)
    assert cli.main(["levers"]) == 0
    assert "MPLBACKEND" not in os.environ
