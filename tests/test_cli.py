"""The `channelsim` command: in-process for speed, plus the installed console script and a
non-editable install run from another folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from channelsim import cli
from channelsim.model import ChannelModel

from .conftest import SCRIPT, SMALL

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
        "market.sellers.direct.policy.markup",
        "market.sellers.direct.policy.phone_sales",
        "market.sellers.direct.field_reps",
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
    summary = json.loads((out / "summary.json").read_text())
    assert summary["strategy"] == "direct"
    with (ROOT / "pyproject.toml").open("rb") as f:
        assert summary["version"] == tomllib.load(f)["project"]["version"]
    bad = subprocess.run(
        [str(SCRIPT), "run", "steps=-5"], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert bad.returncode == 2
    assert bad.stderr.strip() == (
        "channelsim: error: steps=-5 is not allowed: expected an integer in [1, 100000]"
    )
    assert not (tmp_path / "outputs").exists()


def test_the_command_leaves_the_environment_alone(monkeypatch, capsys):
    """Programs started after an in-process call (a notebook's kernel) pick their own
    matplotlib backend."""
    monkeypatch.delenv("MPLBACKEND", raising=False)
    assert cli.main(["levers"]) == 0
    assert "MPLBACKEND" not in os.environ


# ---------------------------------------------------------------- help, widths, output


def lines_of(text: str) -> list[str]:
    return text.rstrip("\n").splitlines()


def assert_fits(text: str, folder: object = None) -> None:
    """Every line within the width, but a line naming `folder` (as long as its path)."""
    too_wide = [
        line
        for line in lines_of(text)
        if len(line) > cli.WIDTH and (folder is None or str(folder) not in line)
    ]
    assert not too_wide, too_wide


@pytest.mark.parametrize("flag", ["--help", "-h"])
@pytest.mark.parametrize("command", list(cli.COMMANDS))
def test_every_command_has_its_own_help(command, flag, capsys):
    assert cli.main([command, flag]) == 0
    printed = capsys.readouterr()
    lines = lines_of(printed.out)
    assert lines[0].startswith(f"usage: channelsim {command}")
    assert "options:" in lines and "examples:" in lines
    examples = lines[lines.index("examples:") + 1 :]
    assert 2 <= len(examples) <= 3
    assert all(e.startswith(f"  channelsim {command}") for e in examples)
    assert printed.err == ""
    assert_fits(printed.out)


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["help"]])
def test_the_bare_help_lists_every_command_on_one_line(args, capsys):
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    lines = lines_of(out)
    for command in cli.COMMANDS:
        assert sum(line.startswith(f"  {command} ") for line in lines) == 1, command
    assert any(line.startswith("  --config-dir DIR, -cd DIR") for line in lines)
    assert "`channelsim COMMAND --help`" in out
    assert_fits(out)


@pytest.mark.parametrize(
    ("args", "command"),
    [
        (["run", "strategy=direct", "--help"], "run"),
        (["strategy=direct", "-h"], "run"),
        (["help", "sweep"], "sweep"),
        (["study", "--seeds", "3", "-h"], "study"),
    ],
)
def test_help_anywhere_in_the_arguments_shows_the_command_s_help(args, command, capsys):
    assert cli.main(args) == 0
    assert capsys.readouterr().out.startswith(f"usage: channelsim {command} ")


def test_an_option_s_value_is_not_a_help_flag():
    assert not cli.asks_help(["--out", "-h"], "validate")
    assert cli.asks_help(["--out", "x", "-h"], "validate")


def test_help_lists_the_packaged_presets_each_command_takes(capsys):
    folder = ROOT / "configs"

    def names(group: str) -> list[str]:
        return sorted(p.stem for p in (folder / group).glob("*.yaml"))

    def groups(command: str) -> dict[str, list[str]]:
        assert cli.main([command, "--help"]) == 0
        lines = lines_of(capsys.readouterr().out)
        start = lines.index("config groups (GROUP=NAME):") + 1
        rows: list[str] = []
        for line in lines[start : lines.index("", start)]:  # a long list wraps
            if "=" in line:
                rows.append(line)
            else:
                rows[-1] += " " + line.strip()
        return {g.strip(): v.strip().split(", ") for g, v in (r.split("=", 1) for r in rows)}

    run = groups("run")
    assert run == {g: names(g) for g in ("market", "strategy", "scenario")}
    assert "linear_duopoly" not in groups("study")["market"]
    experiments = names("experiment")
    studies = ("optimize_", "sensitivity_", "calibrate_", "map_")
    assert groups("sweep")["experiment"] == [n for n in experiments if not n.startswith(studies)]
    assert groups("map")["experiment"] == [n for n in experiments if n.startswith("map_")]
    assert groups("optimize")["experiment"] == [n for n in experiments if n.startswith("optim")]
    assert "sensitivity_morris" in groups("sensitivity")["experiment"]
    assert groups("calibrate")["experiment"] == [
        "calibrate_china_pc",
        "calibrate_china_pc_duo",
        "calibrate_us_pc",
    ]


def test_optimize_help_names_optuna_s_own_settings(capsys):
    assert cli.main(["optimize", "--help"]) == 0
    out = capsys.readouterr().out
    for key in ("optimize.n_trials", "optimize.n_jobs", "optimize.params", "optimize.storage"):
        assert key in out
    assert "journal:PATH" in out and "interval(lo,hi)" in out
    assert "hydra.sweeper" not in out


def test_help_is_quick_and_needs_neither_the_model_nor_the_extras():
    code = (
        "import sys\n"
        "for extra in ('optuna', 'SALib', 'solara', 'ray'):\n"
        "    sys.modules[extra] = None  # importing it raises ImportError\n"
        "from channelsim import cli\n"
        "codes = [cli.main([c, f]) for c in cli.COMMANDS for f in ('--help', '-h')]\n"
        "codes.append(cli.main(['--help']))\n"
        "heavy = ('hydra', 'omegaconf', 'pandas', 'numpy', 'matplotlib', 'mesa', 'yaml')\n"
        "print(set(codes), [m for m in heavy if m in sys.modules])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "{0} []"


@pytest.mark.parametrize(
    "args",
    [
        ["frobnicate"],
        ["rnu", "--help"],
        ["help", "nosuch"],
        ["run", "--bogus"],
        ["study", "--bogus-option-with-a-long-name"],
        ["dashboard", "--bogus"],
        ["levers", "--group", "bogus"],
        ["levers", "--long=yes"],
        ["levers", "--config-dir"],
        ["run", "--lang", "fr"],
        ["study", "--seeds", "0"],
        ["study", "scenario=history"],
        ["study", "steps=10"],
        ["study", "experiment=strategy_grid"],
        ["sensitivity", "--jobs", "x"],
        ["dashboard", "--port", "0"],
        ["dashboard", "strategy=direct"],
        ["dashboard", "--config-dir", "presets"],
        ["validate", "market.a=3"],
        ["report"],
        ["run", "experiment=rebate_grid"],
        ["study", "market=linear_monopoly"],
        # errors of the config layer, whose lists of names are cut to fit
        ["run", "strategy=nosuch"],
        ["run", "market.sellers.direct.fild_reps=3"],
        ["run", "strategy.rebat=0.1"],
        ["run", "market.structure=XX"],
        ["sweep", "market=nosuch"],
        ["optimize", "optimize.kpi=profit"],
    ],
)
def test_usage_errors_are_one_line_that_fits(args, capsys, tmp_path):
    extra = [f"hydra.run.dir={tmp_path / 'never'}"] if args[0] in ("run", "study") else []
    assert cli.main([*args, *extra]) == 2
    printed = capsys.readouterr()
    lines = lines_of(printed.err)
    assert len(lines) == 1 and lines[0].startswith("channelsim: error: "), printed.err
    assert len(lines[0]) <= cli.WIDTH, lines[0]
    assert printed.out == ""
    assert not (tmp_path / "never").exists()


def test_unknown_options_name_what_is_allowed_when_it_fits(capsys):
    assert cli.main(["run", "--bogus"]) == 2
    err = capsys.readouterr().err.strip()
    assert (
        err == "channelsim: error: unknown option '--bogus'; allowed: --config-dir, --help, --lang"
    )
    assert cli.main(["study", "--bogus-option-with-a-long-name"]) == 2
    assert "`channelsim study --help`" in capsys.readouterr().err


# the default market's sellers but the vendor, in its order
RIVALS = ("direct", "globalbrands", "localbrands", "others")


def test_levers_come_in_groups_the_vendor_s_first(capsys):
    from channelsim.config.validate import schema_rows

    assert cli.main(["levers"]) == 0
    out = capsys.readouterr().out
    assert_fits(out)
    headings = [line for line in lines_of(out) if line and not line.startswith(" ")][1:]
    assert [h.split(":")[0] for h in headings] == [
        "strategy.*",
        "market.sellers.vendor.*",
        *(f"market.sellers.{n}{part}" for n in RIVALS for part in (".policy.*", ".*")),
        "market.*",
        "market.buyers.*",
        "market.selling.*",
        "market.partners.*",
        "market.rules.*",
        "market.population.*",
        "market.costs.*",
        "seed, steps",
    ]
    listed = [line.split()[0] for line in lines_of(out) if line.startswith("  ") and line[2] != " "]
    # every key once, a seller's once for each seller (the vendor's policy is strategy.*)
    expected = [
        key.replace(".NAME.", f".{name}.")
        for key in schema_rows()
        for name in (("vendor", *RIVALS) if ".NAME." in key else ("",))
        if not key.startswith("market.sellers.NAME.policy.") or name != "vendor"
    ]
    assert sorted(listed) == sorted(expected)
    order = [
        "strategy.rebate_rate",
        "market.sellers.vendor.brand_trust",
        "market.sellers.direct.policy.markup",
        "market.sellers.direct.brand_trust",
        "market.n_regions",
    ]
    assert [listed.index(key) for key in order] == sorted(listed.index(key) for key in order)


def test_levers_long_shows_every_meaning_in_full(capsys):
    from channelsim.config.validate import schema_rows

    assert cli.main(["levers"]) == 0
    short = capsys.readouterr().out
    assert cli.main(["levers", "--long"]) == 0
    long = capsys.readouterr().out
    assert_fits(long)
    meaning = schema_rows()["market.structure"]["meaning"]
    assert len(meaning) > cli.WIDTH
    assert meaning not in " ".join(short.split())
    assert meaning in " ".join(long.split())


def test_levers_show_each_market_value_s_source(capsys):
    from channelsim.config.validate import schema_rows

    assert cli.main(["levers", "--group=market.buyers", "--long"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    source = schema_rows()["market.buyers.weights_executive"]["source"]
    assert f"source: {source}" in out


def test_levers_of_one_group_with_the_values_the_overrides_compose(capsys):
    assert cli.main(["levers", "--group", "strategy", "strategy=traditional_channel"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split()[1] for line in lines_of(out) if line.startswith("  s")}
    assert "market.n_regions" not in out
    assert rows["strategy.name"] == "traditional_channel"
    assert rows["strategy.customer_care"] == "false"


def test_a_bad_lever_group_names_the_allowed_ones(capsys):
    assert cli.main(["levers", "--group", "vendor"]) == 2
    assert capsys.readouterr().err.strip() == (
        "channelsim: error: --group='vendor' is not allowed: one of strategy, "
        "market.sellers.vendor, +16 more"
    )


def test_a_scenario_run_says_its_policy_path_and_overrides(tmp_path, capsys):
    out = tmp_path / "history"
    args = ["scenario=history", "strategy.customer_care=false", *SMALL]
    assert cli.main(["run", *args, f"hydra.run.dir={out}"]) == 0
    printed = lines_of(capsys.readouterr().out)
    path = "traditional_channel 2002-01 → relationship_channel 2004-01 → dual 2006-01"
    assert printed[0] == f"history seed 0: {path}"
    assert "overrides: scenario=history strategy.customer_care=false" in printed[1]
    assert printed[-1] == str(out)
    assert_fits("\n".join(printed[:-1]))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["policy_path"] == path
    assert summary["overrides"] == args
    assert summary["strategy"] == "traditional_channel" and summary["scenario"] == "history"


def test_a_policy_path_holds_the_presets_in_force_during_the_run():
    from channelsim import compose
    from channelsim.policies import policy_path

    assert policy_path(compose(["strategy=direct"])) == "direct"
    short = compose(["scenario=history", "steps=30"])  # to 2004-06
    assert policy_path(short) == "traditional_channel 2002-01 → relationship_channel 2004-01"
    later = compose(["scenario=copy_direct", "market.start=2004-06", "steps=12"])
    assert policy_path(later) == "direct 2004-01"


def test_sweep_jobs_and_api_runs_record_their_overrides(tmp_path):
    import channelsim
    from channelsim.experiment.sweep import JobSpec, run_job

    overrides = ("scenario=history", "strategy.rebate_rate=0.03", *SMALL, "steps=3", "seed=1")
    summary = run_job(JobSpec("0", overrides, out_dir=str(tmp_path / "job")))
    assert summary["status"] == "ok"
    written = json.loads((tmp_path / "job" / "summary.json").read_text())
    assert written["overrides"] == list(overrides)
    assert written["policy_path"] == "traditional_channel 2002-01"
    config = channelsim.compose(["strategy.customer_care=false", "market.n_regions=2", "steps=2"])
    result = channelsim.run(config, figures=False)
    assert result.summary["overrides"] == ["strategy.customer_care=false", "market.n_regions=2"]


@pytest.fixture(scope="session")
def small_study():
    """The case study on a small market at two seeds, without its ablation."""
    from channelsim.api import run_case_study

    return run_case_study(None, seeds=2, overrides=SMALL, ablation=False, n_jobs=1, progress=False)


def test_check_facts_refuses_to_judge_on_failed_runs(monkeypatch):
    from channelsim import api
    from channelsim.experiment.batch import BatchResult

    failed = BatchResult(pd.DataFrame(), [{"group": "history", "seed": 3, "error": "boom"}], 0.0)
    monkeypatch.setattr(api, "run_fact_jobs", lambda *a, **k: failed)
    with pytest.raises(RuntimeError, match=r"1 runs failed: .*boom"):
        api.check_facts(seeds=[3])


def with_ablation(study):
    """`study` with an ablation whose every cell is as wide as the table can get."""
    from dataclasses import replace

    from channelsim.analysis.stats import Estimate
    from channelsim.experiment.case_study import PARTS

    wide = Estimate(-0.123, -0.456, -0.001, 2)
    variants = ["all parts", *(f"without {p}" for p in PARTS), "all parts off"]
    full = {"recovery": Estimate(0.01, -0.2, 0.2, 2), "carried": Estimate(0.01, -0.2, 0.2, 2)}
    ablation = {v: {"recovery": wide, "carried": wide} for v in variants}
    return replace(study, ablation={**ablation, "all parts": full})


def test_the_study_tables_fit(small_study):
    from channelsim.analysis.case_study import TABLE, ablation_rows, table_rows
    from channelsim.analysis.report import text_table
    from channelsim.experiment.case_study import SCENARIOS

    head, rows = table_rows(small_study)
    assert head == ["measure", *SCENARIOS]
    assert [r[0] for r in rows] == [t[0] for t in TABLE]
    assert_fits(text_table(head, rows))
    assert_fits(text_table(*ablation_rows(with_ablation(small_study), effects=False)))


def test_the_study_shows_every_sellers_share_of_the_whole_market(small_study, tmp_path):
    from channelsim import compose
    from channelsim.analysis.case_study import SELLER_WINDOWS, seller_rows, write_study
    from channelsim.experiment.case_study import SCENARIOS

    market = list(compose(SMALL).market.sellers)  # the vendor and the direct seller first
    sellers = ["vendor", "direct", *(name for name in market if name not in ("vendor", "direct"))]
    head, rows = seller_rows(small_study)
    assert [row[:2] for row in rows] == [[s, seller] for s in SCENARIOS for seller in sellers]
    for scenario, of_seller in small_study.sellers.items():
        for window in SELLER_WINDOWS:
            total = sum(of_seller[seller][window].mean for seller in sellers)
            assert total == pytest.approx(1.0, abs=1e-9), (scenario, window)
    write_study(small_study, tmp_path)
    assert (tmp_path / "figures" / "seller_shares.png").stat().st_size > 10_000
    report = (tmp_path / "report.md").read_text()
    assert "## Every seller's share of the whole market" in report
    assert "| " + " | ".join(head) + " |" in report
    assert f"| copy_direct | {sellers[-1]} | " in report
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert list(summary["sellers"]["history"]) == sellers


def test_the_study_prints_within_the_width(small_study, monkeypatch, tmp_path, capsys):
    from channelsim import api

    monkeypatch.setattr(api, "run_case_study", lambda *a, **k: with_ablation(small_study))
    assert cli.main(["study", "--seeds", "2", *SMALL, f"hydra.run.dir={tmp_path}"]) == 0
    out = capsys.readouterr().out
    assert "history" in out and "without customer care" in out
    assert_fits(out, tmp_path)


def test_the_sweep_table_fits_whatever_the_group_names(capsys):
    import channelsim
    from channelsim.analysis.sweep_report import console_table, group_stats

    grid = ["strategy=direct,relationship_channel", "strategy.rebate_rate=0,0.02"]
    table = channelsim.sweep([*SMALL, "steps=6", *grid], seeds=[0, 1], n_jobs=1, progress=False)
    numbered = console_table(group_stats(table))
    assert_fits(numbered)
    assert (
        lines_of(numbered)[-1]
        == "group 4: strategy=relationship_channel, strategy.rebate_rate=0.02"
    )
    named = console_table(group_stats(table, ["strategy"]))
    assert_fits(named)
    assert lines_of(named)[-1].startswith("strategy=relationship_channel  4  ")


def test_the_sensitivity_ranking_is_a_table_a_kpi():
    ranked = pd.DataFrame(
        {
            "kpi": ["profit_vendor"] * 2 + ["share_vendor_key"] * 2,
            "rank": [1, 2, 1, 2],
            "parameter": ["strategy.recruit_relationship_partners", "dummy"] * 2,
            "measure": "mu_star",
            "estimate": [-12345.678, 0.0, 0.5, 0.0],
            "ci_low": [-23456.789, 0.0, 0.25, 0.0],
            "ci_high": [-1234.5678, 0.0, 0.75, 0.0],
        }
    )
    text = cli.ranking_text(ranked, 0.95)
    assert_fits(text)
    lines = lines_of(text)
    assert lines[0] == "profit_vendor"
    assert lines[1].split() == ["rank", "parameter", "mu_star", "95%", "interval"]
    assert "share_vendor_key" in lines


def test_the_time_left_waits_for_the_pace_of_finished_runs():
    import io

    from channelsim.experiment.batch import Progress

    now = [0.0]
    stream = io.StringIO()
    bar = Progress(30, "study", stream=stream, clock=lambda: now[0])
    now[0] = 20.0  # the first run comes after the workers have started
    bar.update()
    for _ in range(2):
        now[0] += 1.0
        bar.update()
    first, second = lines_of(stream.getvalue())
    assert "left" not in first and first.endswith("1/30 runs,   20s elapsed")
    assert second.endswith("3/30 runs,   22s elapsed, ~ 27s left")  # 1 s a run since the first


def test_runs_past_the_announced_total_raise_it_and_leave_nothing_left():
    """ABC-SMC stops at the end of a generation, past its budget: the bar counts on."""
    import io

    from channelsim.experiment.batch import Progress

    now = [0.0]
    stream = io.StringIO()
    bar = Progress(4, "calibrate (abc)", stream=stream, clock=lambda: now[0])
    for _ in range(6):
        now[0] += 1.0
        bar.update()
    assert bar.total == 6 and bar.left(now[0]) == 0
    assert lines_of(stream.getvalue())[-1].endswith("4/4 runs,    4s elapsed, ~  0s left")
