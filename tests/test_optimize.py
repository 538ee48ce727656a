"""Policy optimisation: `channelsim optimize` finds a lever's known best value, resumes
its study to the budget, gives the same study from the same seed, shares a study between
processes up to exactly its budget, isolates failed trials, writes a preset that
`channelsim run` accepts, and refuses bad input in one line."""

from __future__ import annotations

import dataclasses
import json
from importlib import resources

import optuna
import pandas as pd
import pytest
from optuna.storages.journal import JournalFileBackend, JournalStorage

import channelsim
from channelsim import cli
from channelsim.config.compose import compose
from channelsim.config.schema import OptimizeSpec
from channelsim.experiment import budget
from channelsim.experiment import optimize as optimize_module
from channelsim.experiment import search as search_module
from channelsim.experiment.budget import give_back, tabled, trials_done, within_budget
from channelsim.experiment.optimize import objective
from tests.conftest import run_together

KNOWN = ["experiment=optimize_online_gap"]
# the same market and strategy as a plain sweep
ONLINE = ["market=online_optimum", "strategy=traditional_channel", "strategy.online_store=true"]
QUICK = [*KNOWN, "optimize.n_jobs=1", "steps=12"]  # trials in this process
GAP = "strategy.online_price_gap"
# an experiment file written for Hydra's Optuna sweeper, which channelsim no longer runs
SWEEPER_EXPERIMENT = """\
# @package _global_
defaults:
  - override /market: online_optimum
  - override /hydra/sweeper: optuna
optimize:
  seeds: 2
hydra:
  sweeper:
    n_trials: 16
    params:
      strategy.online_price_gap: interval(0.0, 0.3)
"""


def known_optimum() -> float:
    """The best online price gap of market=online_optimum, from its construction:
    gray dealers' share of the shops' units is full at transport + audit x fine +
    0.3 / elasticity (configs/market/online_optimum.yaml)."""
    cfg = compose(KNOWN)
    m, s = cfg.market, cfg.strategy
    audit = s.audit_probability * (1.5 if s.map_enforced else 1.0)
    return m.transport_cost + audit * s.diversion_penalty + 0.3 / m.diversion_elasticity


def test_the_constructed_market_has_an_interior_optimum_at_its_closed_form():
    gap = known_optimum()
    assert gap == pytest.approx(0.100)
    table = channelsim.sweep(
        [*ONLINE, "steps=24", f"{GAP}={gap - 0.03},{gap},{gap + 0.03}"],
        seeds=[0, 1],
        progress=False,
    )
    profit = table.groupby(GAP)["profit_vendor"].mean().sort_index().to_numpy()
    assert profit[1] > profit[0] + 50 and profit[1] > profit[2] + 50


def test_optimize_finds_the_known_best_lever_value(tmp_path, capsys):
    assert cli.main(["optimize", *KNOWN, "optimize.n_jobs=2", f"hydra.sweep.dir={tmp_path}"]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["status"] == "ok" and summary["trials"] == 16 and summary["seed"] == 0
    best = summary["best"]
    assert best["params"][GAP] == pytest.approx(known_optimum(), abs=0.01)
    trials = pd.read_csv(tmp_path / "trials.csv")
    assert len(trials) == 16 and (trials["state"] == "COMPLETE").all()
    assert best["objective"] == trials["objective"].max()
    assert trials["best_so_far"].is_monotonic_increasing
    # every trial is the mean of its seeds' runs, each in its own folder
    record = json.loads((tmp_path / best["folder"] / "summary.json").read_text())
    assert record["seeds"] == [0, 1]
    seed_run = tmp_path / best["folder"] / "seed_1"
    assert (seed_run / "metrics.parquet").exists() and not (seed_run / "channel.graphml").exists()
    assert record["objective"] == pytest.approx(sum(record["kpi_values"]) / 2)
    for name in ("convergence.png", "report.md", "report.html", "trials.parquet", "study.db"):
        assert (tmp_path / name).stat().st_size > 0
    assert f"objective {best['objective']:.1f}" in capsys.readouterr().out


def test_the_best_policy_is_a_preset_that_channelsim_run_accepts(tmp_path, capsys):
    outcome = channelsim.optimize([*QUICK, "optimize.n_trials=3"], out_dir=tmp_path, progress=False)
    preset = tmp_path / "strategy" / "best_policy.yaml"
    assert outcome.summary["policy"] == str(preset)
    searched = compose([*KNOWN, f"{GAP}={outcome.best['params'][GAP]!r}"])
    from_preset = compose(["strategy=best_policy", "market=online_optimum"], str(tmp_path))
    assert dataclasses.replace(from_preset.strategy, name="x") == dataclasses.replace(
        searched.strategy, name="x"
    )
    code = cli.main(
        [
            "run",
            "--config-dir",
            str(tmp_path),
            "strategy=best_policy",
            "market=online_optimum",
            "steps=3",
            f"hydra.run.dir={tmp_path / 'run'}",
        ]
    )
    assert code == 0
    assert "best_policy seed 0" in capsys.readouterr().out


def test_a_rerun_resumes_the_study_up_to_its_budget(tmp_path, capsys):
    folder = f"hydra.sweep.dir={tmp_path}"
    assert cli.main(["optimize", *QUICK, "optimize.n_trials=3", folder]) == 0
    # a start killed while a trial ran leaves it RUNNING in the study
    storage = f"sqlite:///{tmp_path}/study.db"
    study = optuna.load_study(study_name="optimize_online_gap", storage=storage)
    study.ask()
    assert cli.main(["optimize", *QUICK, "optimize.n_trials=5", folder]) == 0
    out = capsys.readouterr().out
    assert "(3 done, 2 to run" in out
    # the sampler's seed moved on with the study: the resumed start proposes new values
    first = {t.params[GAP] for t in study.trials[:3]}
    again = optuna.load_study(study_name="optimize_online_gap", storage=storage)
    assert not first & {t.params[GAP] for t in again.trials[4:]}
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["trials_done"] == 5 and summary["trials_run_now"] == 2
    trials = pd.read_csv(tmp_path / "trials.csv")
    assert trials["state"].tolist() == ["COMPLETE"] * 3 + ["FAIL"] + ["COMPLETE"] * 2
    assert trials.loc[3, "error"].startswith("interrupted")
    # trial N ran in trials/N, across the starts
    for n in (0, 1, 2, 4, 5):
        assert json.loads((tmp_path / "trials" / str(n) / "summary.json").read_text())["trial"] == n
    assert cli.main(["optimize", *QUICK, "optimize.n_trials=5", folder]) == 0
    assert "(5 done, 0 to run" in capsys.readouterr().out
    # a different objective or search space is another study, not this one resumed
    assert cli.main(["optimize", *QUICK, "optimize.seeds=3", folder]) == 2
    assert "other objective" in capsys.readouterr().err
    # so is the same search under another experiment's name
    mine = tmp_path / "mine" / "experiment"
    mine.mkdir(parents=True)
    packaged = resources.files("channelsim.configs") / "experiment" / "optimize_online_gap.yaml"
    text = packaged.read_text()
    (mine / "renamed.yaml").write_text(text)
    renamed = ["--config-dir", str(tmp_path / "mine"), "experiment=renamed", *QUICK[1:]]
    assert cli.main(["optimize", *renamed, "optimize.n_trials=5", folder]) == 2
    assert "other experiment" in capsys.readouterr().err


def test_a_second_start_into_a_folder_in_use_is_refused(tmp_path, capsys):
    import fcntl

    with open(tmp_path / ".lock", "a") as held:  # a start running in the folder
        fcntl.flock(held, fcntl.LOCK_EX)
        assert cli.main(["optimize", *QUICK, f"hydra.sweep.dir={tmp_path}"]) == 2
    assert "is in use by another channelsim optimize" in capsys.readouterr().err
    assert not (tmp_path / "study.db").exists()


def test_the_same_seed_gives_the_same_study_in_one_process(tmp_path):
    tables = []
    for run in ("first", "second"):
        outcome = channelsim.optimize(
            # two trials at a time on worker processes; TPE proposes from trial 2 on
            [*QUICK, "optimize.n_jobs=2", "optimize.n_trials=5", "optimize.n_startup_trials=2"],
            out_dir=tmp_path / run,
            progress=False,
        )
        tables.append(outcome.trials[["trial", "objective", GAP, "profit_vendor"]])
    assert tables[0]["trial"].tolist() == [0, 1, 2, 3, 4]
    pd.testing.assert_frame_equal(tables[0], tables[1])


def test_processes_started_together_share_one_study_up_to_its_budget(tmp_path):
    journal = tmp_path / "shared" / "study.log"
    args = [*KNOWN, "steps=24", "optimize.n_trials=8", "optimize.n_jobs=1"]
    args += [f"optimize.storage=journal:{journal}", f"hydra.sweep.dir={tmp_path / 'out'}"]
    for code, out, err in run_together(["optimize", *args], ["optimize", *args]):
        assert code == 0, err
        assert "best of 8 trials" in out
    study = optuna.load_study(
        study_name="optimize_online_gap", storage=JournalStorage(JournalFileBackend(str(journal)))
    )
    numbers = [t.number for t in study.trials]
    assert len(numbers) == len(set(numbers))
    assert trials_done(study) == 8
    trials = pd.read_csv(tmp_path / "out" / "trials.csv")
    assert (trials["state"] == "COMPLETE").sum() == 8 and len(trials) == 8
    for n in trials["trial"]:  # trial N ran in trials/N, whichever process ran it
        record = json.loads((tmp_path / "out" / "trials" / str(n) / "summary.json").read_text())
        assert record["trial"] == n
    assert not (tmp_path / "out" / "study.db").exists()


def test_a_trial_asked_beyond_the_budget_is_given_back():
    study = optuna.create_study(direction="maximize")
    first, second, third = (study.ask() for _ in range(3))  # three processes asked at once
    study.tell(first, 1.0)
    assert within_budget(study, second, 2) and not within_budget(study, third, 2)
    give_back(study, third)
    study.tell(second, 2.0)
    assert trials_done(study) == 2  # the given-back trial does not count


def test_tables_leave_out_a_trial_asked_beyond_the_budget_before_it_is_given_back():
    study = optuna.create_study(direction="maximize")
    first, second, third, fourth = (study.ask() for _ in range(4))
    study.tell(first, 1.0)
    study.tell(second, state=optuna.trial.TrialState.FAIL)  # interrupted: not counted
    study.tell(third, 2.0)
    # the fourth: running, with two trials counted before it, so beyond a budget of 2 (its
    # process has yet to give it back) and within a budget of 3
    assert [t.number for t in tabled(study, 2)] == [0, 1, 2]
    assert [t.number for t in tabled(study, 3)] == [0, 1, 2, 3]
    give_back(study, fourth)
    assert [t.number for t in tabled(study, 3)] == [0, 1, 2]


def test_a_shared_study_fails_a_trial_whose_process_stopped(tmp_path, monkeypatch):
    monkeypatch.setattr(budget, "STALE_S", 0.5)
    monkeypatch.setattr(search_module, "POLL_S", 0.1)
    journal = tmp_path / "study.log"
    storage = JournalStorage(JournalFileBackend(str(journal)))
    study = optuna.create_study(
        study_name="optimize_online_gap", storage=storage, direction="maximize"
    )
    study.ask()  # a process that died while its trial ran: no heartbeat comes
    give_back(study, study.ask())  # a process that asked beyond the budget in a race
    outcome = channelsim.optimize(
        [*QUICK, "optimize.n_trials=2", f"optimize.storage=journal:{journal}"],
        out_dir=tmp_path / "out",
        progress=False,
    )
    assert outcome.trials["trial"].tolist() == [0, 2, 3]  # the surplus trial is not shown
    assert outcome.trials["state"].tolist() == ["FAIL", "COMPLETE", "COMPLETE"]
    assert outcome.trials.loc[0, "error"].startswith("interrupted")
    assert outcome.summary["trials_done"] == 2 and outcome.summary["trials_run_now"] == 2


def test_a_failed_trial_is_recorded_and_the_study_goes_on(tmp_path, monkeypatch):
    real = optimize_module.run_job

    def fragile(spec):  # the model fails for deep discounts
        if spec.config.strategy.online_price_gap > 0.15:
            raise RuntimeError("model blew up")
        return real(spec)

    monkeypatch.setattr(optimize_module, "run_job", fragile)  # QUICK's trials run here
    outcome = channelsim.optimize(
        [*QUICK, "optimize.n_trials=6"],
        out_dir=tmp_path,
        progress=False,
    )
    trials = outcome.trials
    failed = trials[trials[GAP] > 0.15]
    assert len(failed) and (failed["state"] == "FAIL").all()
    assert failed["error"].str.contains("model blew up").all()
    assert (trials[trials[GAP] <= 0.15]["state"] == "COMPLETE").all()
    assert outcome.summary["status"] == "ok"
    assert outcome.summary["trials_failed"] == len(failed)
    assert outcome.summary["trials_done"] == 6  # a trial failed by its runs counts
    first = failed.iloc[0]["folder"]
    assert json.loads((tmp_path / first / "summary.json").read_text())["status"] == "failed"


def test_the_penalty_is_what_the_floor_says():
    spec = OptimizeSpec(floor=0.6, penalty=1000.0)
    assert objective(spec, 500.0, 0.55) == pytest.approx((450.0, 50.0))
    assert objective(spec, 500.0, 0.65) == (500.0, 0.0)
    assert objective(OptimizeSpec(floor=None, penalty=1000.0), 500.0, 0.1) == (500.0, 0.0)


def test_trials_carry_the_penalty_below_the_floor(tmp_path):
    outcome = channelsim.optimize(
        [*QUICK, "optimize.n_trials=2", "optimize.floor=0.99", "optimize.penalty=1000"],
        out_dir=tmp_path,
        progress=False,
    )
    for _, row in outcome.trials.iterrows():
        assert row["penalty"] == pytest.approx(1000 * (0.99 - row["partner_satisfaction"]))
        assert row["objective"] == pytest.approx(row["profit_vendor"] - row["penalty"])


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["experiment=strategy_grid"], "is not an optimisation"),
        (["optimize.kpi=profit"], "optimize.kpi='profit' is not allowed: one of"),
        (["optimize.kpi=profit_hp"], "optimize.kpi='profit_hp': the market has no seller 'hp'"),
        (["optimize.bogus=1"], "unknown key 'optimize.bogus'"),
        (["strategy.rebate_rate=interval(0,2)"], "strategy.rebate_rate=2.0 is not allowed"),
        (["strategy.rebate_rate=interval(0.05,0.01)"], "the low end must be below the high"),
        (["seed=interval(0,3)"], "'seed' is not allowed"),
        (["market=linear_monopoly"], "textbook pricing market"),
        (["optimize.seeds=1,2"], "optimize.seeds takes one value, not a sweep"),
        (["optimize.n_trials=0"], "optimize.n_trials=0 is not allowed"),
        (["optimize.sampler=grid"], "optimize.sampler='grid' is not allowed: one of tpe, random"),
        (["optimize.storage=redis"], "optimize.storage='redis' is not allowed: expected journal"),
        (["optimize.params.strategy.rebate_rate=0.1"], "declared in the experiment file"),
        # what Hydra's Optuna sweeper and its launcher took is refused, naming its new key
        (["hydra.sweeper.n_trials=5"], "hydra.sweeper.n_trials is gone: use optimize.n_trials"),
        (["hydra.sweeper.n_jobs=2"], "hydra.sweeper.n_jobs is gone: use optimize.n_jobs"),
        (["hydra.sweeper.storage=sqlite:///x.db"], "is gone: use optimize.storage"),
        (["hydra.sweeper.sampler.n_startup_trials=2"], "use optimize.n_startup_trials"),
        (["hydra.sweeper.params.strategy.rebate_rate=interval(0,0.1)"], "use optimize.params"),
        (["hydra/sweeper=optuna"], "hydra/sweeper is gone: channelsim optimize runs Optuna"),
        (["hydra/sweeper/sampler=grid"], "hydra/sweeper/sampler is gone: use optimize.sampler"),
        (["hydra.sweeper.direction=minimize"], "channelsim maximises the objective"),
        (["hydra/launcher=joblib"], "hydra/launcher is gone: use optimize.n_jobs"),
        (["hydra.launcher.n_jobs=2"], "hydra.launcher.n_jobs is gone: use optimize.n_jobs"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, says, tmp_path, capsys):
    assert cli.main(["optimize", *args, f"hydra.sweep.dir={tmp_path}"]) == 2
    err = capsys.readouterr().err
    assert says in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "study.db").exists()


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (SWEEPER_EXPERIMENT, "hydra/sweeper is gone: channelsim optimize runs Optuna itself"),
        (
            SWEEPER_EXPERIMENT.replace("  - override /hydra/sweeper: optuna\n", ""),
            "hydra.sweeper.n_trials is gone: use optimize.n_trials",
        ),
    ],
)
def test_an_experiment_file_for_the_sweeper_names_the_new_keys(body, says, tmp_path, capsys):
    mine = tmp_path / "mine" / "experiment"
    mine.mkdir(parents=True)
    (mine / "old.yaml").write_text(body)
    args = ["--config-dir", str(tmp_path / "mine"), "experiment=old"]
    assert cli.main(["optimize", *args, f"hydra.sweep.dir={tmp_path / 'out'}"]) == 2
    err = capsys.readouterr().err
    assert says in err and len(err.strip().splitlines()) == 1


def test_channelsim_sweep_sends_a_policy_search_to_optimize(capsys):
    assert cli.main(["sweep", "experiment=optimize_policy"]) == 2
    assert "channelsim optimize experiment=optimize_policy" in capsys.readouterr().err
