"""The `channelsim` console script.

    channelsim                      the main job: the case comparison (channelsim study)
    channelsim study [OPTIONS] [OVERRIDES...]   scenarios at many seeds, with a report
    channelsim run [OVERRIDES...]   one simulation, e.g. strategy=direct seed=3
    channelsim sweep [OVERRIDES...] many simulations (Hydra multirun), with a report
    channelsim report SWEEP_DIR     rebuild a sweep's tables and report from its folder
    channelsim optimize [OVERRIDES...]  search lever ranges for the best policy (Optuna)
    channelsim sensitivity [OVERRIDES...]  Morris screening or Sobol indices (SALib)
    channelsim dashboard            the interactive page (--port N, --host H, --lang zh)
    channelsim validate             the pricing agents against channel theory's closed forms
    channelsim levers               every lever and market parameter

Bad input exits 2 with one line on stderr; a run that fails exits 1 and says why
in its own summary.json.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from pathlib import Path

from channelsim.config.compose import compose_run
from channelsim.config.validate import ConfigError, schema_rows

USAGE = """usage: channelsim [COMMAND] [--config-dir DIR] [OVERRIDES...]

commands:
  (none)    the main job: `channelsim study` on the default market
  study     the case comparison: history, stay_traditional and copy_direct at 20 seeds
            each (--seeds N, --jobs N, --no-ablation, --lang en|zh), with a report
            and figures
  run       one simulation; overrides such as strategy=direct seed=3 steps=24
            strategy.rebate_rate=0.05 hydra.run.dir=PATH; --lang zh labels its
            figures in the case's Chinese terms
  sweep     a parameter sweep, e.g. strategy=direct,relationship_channel seed='range(0,10)'
            strategy.rebate_rate=0,0.02 or experiment=strategy_grid; runs on all local
            cores (hydra/launcher=ray or submitit_slurm for a cluster), resumes into
            the same hydra.sweep.dir=PATH, writes summary.csv/.parquet and report.html
  report    SWEEP_DIR: rebuild summary.csv, summary.parquet and the report from disk
  optimize  search lever ranges for the highest vendor profit (Hydra's Optuna sweeper),
            e.g. experiment=optimize_policy hydra.sweeper.n_trials=40 optimize.seeds=3;
            the study resumes into the same hydra.sweep.dir=PATH up to its budget and
            writes trials.csv, convergence.png and strategy/best_policy.yaml
  sensitivity  Morris screening or Sobol indices over declared ranges of levers and
            market parameters, e.g. experiment=sensitivity_morris|sensitivity_sobol
            sensitivity.samples=40 (--jobs N); runs resume into hydra.sweep.dir=PATH;
            writes sensitivity.csv (ranked, with intervals) and sensitivity.png
  dashboard the interactive page on http://127.0.0.1:8765 (--port N, --host H,
            --lang en|zh; market.KEY=VALUE overrides for a smaller market)
  levers    print every lever (strategy.*) and market parameter (market.*)
  validate  the model's textbook markets (double marginalisation, McGuire-Staelin)
            against their closed forms; exits 1 if any value is over 1% off
            (--out DIR also writes report.md and the profit figure)

options:
  --config-dir DIR, -cd DIR   a folder of your own presets (strategy/, market/, scenario/)
  -h, --help                  this help

groups: market=china_pc_2002  strategy=relationship_channel|traditional_channel|direct|dual
        scenario=none|history|stay_traditional|copy_direct
        experiment=strategy_grid|rebate_grid (named sweeps, for `channelsim sweep`)
                   optimize_policy|optimize_online_gap (for `channelsim optimize`)
                   sensitivity_morris|sensitivity_sobol|sensitivity_ishigami
                   (for `channelsim sensitivity`)
"""


class UsageError(Exception):
    """A malformed command line (exit 2)."""


def split_args(
    args: list[str], options: dict[str, str] | None = None
) -> tuple[str | None, list[str], dict[str, str]]:
    """Pull `--config-dir DIR` and the command's own `--option VALUE` out of the arguments.

    Returns the config folder, the overrides, and the options given (by name).
    """
    known = {"--config-dir": "config_dir", "-cd": "config_dir", **(options or {})}
    given: dict[str, str] = {}
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        name, _, inline = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if name in known:
            if inline:
                given[known[name]] = inline
            elif i + 1 < len(args):
                given[known[name]] = args[i + 1]
                i += 1
            else:
                raise UsageError(f"{name} needs a value")
        elif arg.startswith("-"):
            allowed = ", ".join(sorted({k for k in known if k.startswith("--")} | {"--help"}))
            raise UsageError(f"unknown option {arg!r}; allowed: {allowed}")
        else:
            rest.append(arg)
        i += 1
    return given.pop("config_dir", None), rest, given


def _positive_int(options: dict[str, str], name: str, default: int | None) -> int | None:
    if name not in options:
        return default
    value = options[name]
    if not value.isdigit() or int(value) < 1:
        raise UsageError(f"--{name}={value!r} is not allowed: expected an integer >= 1")
    return int(value)


def command_run(args: list[str], out=None) -> int:
    """One simulation into Hydra's run folder (or `hydra.run.dir=PATH`)."""
    from channelsim.api import run
    from channelsim.experiment.run import write_failed

    config_dir, overrides, given = split_args(args, {"--lang": "lang"})
    lang = _lang(given)
    _refuse_experiment(overrides)
    composed = compose_run(overrides, config_dir)
    out_dir = make_folder(composed.run_dir)
    began = time.perf_counter()
    try:
        result = run(composed.config, out_dir, lang=lang)
    except Exception as exc:  # the run's own folder says why; other runs are untouched
        message = f"{type(exc).__name__}: {exc}".splitlines()[0]
        try:
            write_failed(out_dir, composed.config, message, round(time.perf_counter() - began, 4))
            (out_dir / "error.log").write_text(traceback.format_exc())
        except OSError as io_error:
            message += f" (and its summary could not be written: {io_error})"
        print(
            f"channelsim: run failed: {message} (see {out_dir / 'summary.json'})", file=sys.stderr
        )
        return 1
    k = result.summary["kpis"]
    cfg = composed.config
    if cfg.market.kind != "channel":
        firms = sorted({name.rsplit("_", 1)[1] for name in k})
        said = "; ".join(
            f"manufacturer {i}: price {_fmt(k[f'price_{i}'], '.4f')}, "
            f"wholesale {_fmt(k[f'wholesale_{i}'], '.4f')}, "
            f"profit {_fmt(k[f'profit_manufacturer_{i}'], '.4f')}"
            for i in firms
        )
        settled = (
            "converged"
            if result.summary["converged"]
            else f"NOT converged in {cfg.steps} months: raise steps"
        )
        print(f"{cfg.market.name} {cfg.market.structure} ({settled}): {said}", file=out)
    else:
        print(
            f"{cfg.scenario.name}/{cfg.strategy.name} seed {cfg.seed}: vendor key-account "
            f"share {_fmt(k['share_vendor_key'], '.3f')}, vendor profit "
            f"{_fmt(k['profit_vendor'], '.0f')}/month (final 12 months)",
            file=out,
        )
    print(out_dir, file=out)
    return 0


def _channel_market_only(config, why: str) -> None:
    if config.market.kind != "channel":
        raise UsageError(
            f"market={config.market.name} is a textbook pricing market: {why} "
            "(use channelsim run or channelsim validate for it)"
        )


def _lang(given: dict[str, str]) -> str:
    """The --lang option, checked, with the font it needs."""
    from channelsim.labels import LANGS, FontMissing, font_rc

    lang = given.get("lang", "en")
    if lang not in LANGS:
        raise UsageError(f"--lang={lang!r} is not allowed: expected one of {', '.join(LANGS)}")
    try:
        font_rc(lang)
    except FontMissing as exc:
        raise UsageError(str(exc)) from None
    return lang


def _refuse_experiment(overrides: list[str]) -> None:
    for o in overrides:
        key, _, value = o.partition("=")
        if key.lstrip("+~") == "experiment":
            raise UsageError(
                f"experiment={value} names a sweep: run it with "
                f"`channelsim sweep experiment={value}`"
            )


def make_folder(path: str | Path, key: str = "hydra.run.dir") -> Path:
    """Create the run's folder up front, so an unusable path is a one-line error."""
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".channelsim-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"{key}={str(path)!r} is not allowed: {exc.strerror or exc}") from None
    return folder


def command_sweep(args: list[str], out=None) -> int:
    """A Hydra multirun: every job validated first, run one folder a job, then a report."""
    from channelsim.analysis.sweep_report import write_sweep_report
    from channelsim.experiment.sweep import execute, plan_sweep

    config_dir, overrides, _ = split_args(args)
    plan = plan_sweep(overrides, config_dir)  # exit 2 here when every job is invalid
    make_folder(plan.sweep_dir, "hydra.sweep.dir")
    outcome = execute(plan, announce=lambda line: print(line, file=out, flush=True))
    stats = write_sweep_report(plan.sweep_dir, outcome.table)
    return _sweep_result(outcome.table, stats, plan.sweep_dir, out, outcome.runtime_s)


def _sweep_result(table, stats, sweep_dir: Path, out, runtime_s: float | None = None) -> int:
    from channelsim.analysis.sweep_report import console_table

    if (table["status"] == "ok").any():
        print(console_table(stats), file=out)
    took = f" in {runtime_s:.0f}s" if runtime_s is not None else ""
    print(f"{len(table)} jobs{took}; report: {sweep_dir / 'report.html'}", file=out)
    print(sweep_dir, file=out)
    failed = table[table["status"] != "ok"]
    if len(failed):
        first = failed.iloc[0]
        print(
            f"channelsim: {len(failed)} of {len(table)} jobs failed (job {first['job']}: "
            f"{first['error']}; see {sweep_dir / 'report.md'})",
            file=sys.stderr,
        )
        return 1
    return 0


def command_optimize(args: list[str], out=None) -> int:
    """A policy search with Hydra's Optuna sweeper; resumes into the same folder."""
    from channelsim.analysis.decision import write_optimize_report
    from channelsim.experiment.optimize import plan_optimize, run_optimize

    config_dir, overrides, _ = split_args(args)
    plan = plan_optimize(overrides, config_dir)  # exit 2 here on bad input
    make_folder(plan.out_dir, "hydra.sweep.dir")
    outcome = run_optimize(plan, announce=lambda line: print(line, file=out, flush=True))
    write_optimize_report(plan.out_dir, outcome.trials, outcome.summary)
    summary = outcome.summary
    best = outcome.best
    if best is not None:
        levers = ", ".join(f"{k}={_fmt(v, '.4g')}" for k, v in best["params"].items())
        print(
            f"best of {summary['trials']} trials: trial {best['trial']}, objective "
            f"{best['objective']:.1f} ({levers})",
            file=out,
        )
        print(f"policy: {summary['policy']} (strategy=best_policy with --config-dir)", file=out)
    print(f"report: {plan.out_dir / 'report.html'}", file=out)
    print(plan.out_dir, file=out)
    if summary["status"] != "ok":
        print(f"channelsim: optimize failed: {summary['error']}", file=sys.stderr)
        return 1
    if summary["trials_failed"]:
        print(
            f"channelsim: {summary['trials_failed']} trials failed (see "
            f"{plan.out_dir / 'trials.csv'})",
            file=sys.stderr,
        )
    return 0


def command_sensitivity(args: list[str], out=None) -> int:
    """Morris screening or Sobol indices over a named experiment's ranges."""
    from channelsim.analysis.decision import write_sensitivity_report
    from channelsim.analysis.report import text_table
    from channelsim.experiment.sensitivity import plan_sensitivity, run_sensitivity

    config_dir, overrides, given = split_args(args, {"--jobs": "jobs"})
    jobs = _positive_int(given, "jobs", None)
    plan = plan_sensitivity(overrides, config_dir)  # exit 2 here on bad input
    make_folder(plan.out_dir, "hydra.sweep.dir")
    outcome = run_sensitivity(
        plan, n_jobs=jobs, announce=lambda line: print(line, file=out, flush=True)
    )
    write_sensitivity_report(plan.out_dir, outcome.table, outcome.summary, plan.spec.conf_level)
    table = outcome.table
    if len(table):
        head = ["kpi", "rank", "parameter", "estimate", "ci_low", "ci_high"]
        rows = [
            [f"{r[c]:.4g}" if isinstance(r[c], float) else str(r[c]) for c in head]
            for _, r in table.iterrows()
        ]
        print(text_table(head, rows), file=out)
    print(f"report: {plan.out_dir / 'report.html'}", file=out)
    print(plan.out_dir, file=out)
    if outcome.summary["status"] != "ok":
        print(f"channelsim: sensitivity incomplete: {outcome.summary['error']}", file=sys.stderr)
        return 1
    return 0


def command_report(args: list[str], out=None) -> int:
    """Rebuild a sweep's summary tables and report from its folder."""
    from channelsim.analysis.sweep_report import write_sweep_report
    from channelsim.experiment.sweep import collect

    _, rest, _ = split_args(args)
    if len(rest) != 1:
        raise UsageError("report needs one argument: the sweep folder (hydra.sweep.dir)")
    sweep_dir = Path(rest[0])
    if not sweep_dir.is_dir():
        raise UsageError(f"{rest[0]!r} is not a folder")
    table = collect(sweep_dir)
    stats = write_sweep_report(sweep_dir, table)
    return _sweep_result(table, stats, sweep_dir, out)


def _fmt(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def command_levers(args: list[str], out=None) -> int:
    """Print every lever and market parameter with type, range, default and meaning."""
    from channelsim.config.compose import compose
    from channelsim.config.schema import allowed_text

    config_dir, overrides, _ = split_args(args)
    cfg = compose(overrides, config_dir)
    rows = schema_rows()
    width = max(len(k) for k in rows)
    print(f"{'key':<{width}}  {'type':<5}  {'allowed':<34}  {'default':<20}  meaning", file=out)
    for key, row in rows.items():
        value = cfg
        for part in key.split("."):
            value = getattr(value, part)
        allowed = allowed_text(row)
        print(
            f"{key:<{width}}  {row['type']:<5}  {allowed:<34}  {value!s:<20}  {row['meaning']}",
            file=out,
        )
    return 0


def command_study(args: list[str], out=None) -> int:
    """The case comparison: three scenarios at many seeds, ablation, report."""
    from channelsim.analysis.case_study import ablation_rows, run_case_study, table_rows
    from channelsim.analysis.report import text_table

    options = {
        "--seeds": "seeds",
        "--jobs": "jobs",
        "--no-ablation": "no_ablation",
        "--lang": "lang",
    }
    args = [a if a != "--no-ablation" else "--no-ablation=yes" for a in args]
    config_dir, overrides, given = split_args(args, options)
    lang = _lang(given)
    seeds = _positive_int(given, "seeds", 20)
    jobs = _positive_int(given, "jobs", None)
    _refuse_experiment(overrides)
    fixed = {
        "scenario": "the study runs history, stay_traditional and copy_direct",
        "steps": "the study's windows run to 2006-12 (60 months)",
    }
    for o in overrides:
        key = o.split("=", 1)[0].lstrip("+~")
        if key in fixed:
            raise UsageError(f"{key}=... is not allowed here: {fixed[key]}")
    composed = compose_run(overrides, config_dir)  # validates every override first
    _channel_market_only(composed.config, "the study compares the case's scenarios")
    out_dir = make_folder(composed.run_dir)
    model_overrides = [o for o in overrides if not o.startswith(("hydra.", "hydra/"))]
    study = run_case_study(
        out_dir,
        seeds=seeds,
        base_seed=composed.config.seed,
        n_jobs=jobs,
        overrides=model_overrides,
        config_dir=config_dir,
        ablation="no_ablation" not in given,
        lang=lang,
    )
    if not study.table:
        print(
            f"channelsim: study failed: {len(study.failed)} runs failed, first: "
            f"{study.failed[0]['error']} (see {out_dir / 'report.md'})",
            file=sys.stderr,
        )
        return 1
    head, rows = table_rows(study)
    print(text_table(head, rows), file=out)
    if study.ablation:
        print(file=out)
        print(text_table(*ablation_rows(study)), file=out)
    print(
        f"{len(study.runs.groupby(['scenario', 'variant', 'seed']))} runs in "
        f"{study.runtime_s:.0f}s; report: {out_dir / 'report.html'}",
        file=out,
    )
    print(out_dir, file=out)
    if study.failed:
        print(
            f"channelsim: {len(study.failed)} runs failed (see {out_dir / 'report.md'})",
            file=sys.stderr,
        )
        return 1
    return 0


def command_dashboard(args: list[str], out=None) -> int:
    """Serve the dashboard until interrupted."""
    from channelsim.dashboard.server import DashboardError, serve

    options = {"--port": "port", "--host": "host", "--lang": "lang"}
    config_dir, overrides, given = split_args(args, options)
    if config_dir:
        raise UsageError("--config-dir is not allowed here: the page offers the packaged presets")
    port = given.get("port", "8765")
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise UsageError(f"--port={port!r} is not allowed: expected an integer 1..65535")
    lang = _lang(given)
    host = given.get("host", "127.0.0.1")
    if not host.strip():
        raise UsageError("--host='' is not allowed: give an address, e.g. 127.0.0.1 or 0.0.0.0")
    for o in overrides:
        if not o.startswith("market."):
            raise UsageError(
                f"{o!r} is not allowed here: the page picks scenario, strategy, seed and "
                "levers; give only market.KEY=VALUE overrides"
            )
    # one line now for a bad market value, not on the page
    _channel_market_only(compose_run(overrides).config, "the page shows the channel market")
    try:
        serve(
            host=host,
            port=int(port),
            lang=lang,
            market=tuple(overrides),
            out=out,
        )
    except DashboardError as exc:
        raise UsageError(str(exc)) from None
    return 0


def command_validate(args: list[str], out=None) -> int:
    """Model against closed forms, case by case, and the thresholds by bisection."""
    from channelsim.analysis import theory
    from channelsim.analysis.report import save_figure, text_table

    config_dir, overrides, given = split_args(args, {"--out": "out"})
    if config_dir or overrides:
        raise UsageError("validate takes no overrides: its cases are fixed (--out DIR only)")
    folder = make_folder(given["out"], "--out") if "out" in given else None
    began = time.perf_counter()
    rows = theory.table()
    found = theory.thresholds()
    print(text_table(*theory.text_rows(rows)), file=out)
    print(file=out)
    print(text_table(*theory.threshold_rows(found)), file=out)
    bad = theory.failures(rows, found)
    worst = max(r.error for r in rows)
    print(
        f"\n{len(rows)} values in {len({r.case for r in rows})} cases, largest relative error "
        f"{worst:.1e}; {len(found)} thresholds; {time.perf_counter() - began:.0f}s",
        file=out,
    )
    if folder is not None:
        from channelsim.analysis.report import markdown_table
        from channelsim.experiment.io import atomic_write_text

        save_figure(theory.profit_figure(rows, found), folder / "manufacturer_profit.png")
        text = "\n\n".join(
            [
                markdown_table(*theory.threshold_rows(found)),
                markdown_table(*theory.text_rows(rows)),
            ]
        )
        atomic_write_text(folder / "report.md", text + "\n")
        print(folder, file=out)
    if bad:
        print(f"channelsim: validation failed: {len(bad)} off, first: {bad[0]}", file=sys.stderr)
        return 1
    return 0


COMMANDS = {
    "study": command_study,
    "run": command_run,
    "sweep": command_sweep,
    "optimize": command_optimize,
    "sensitivity": command_sensitivity,
    "report": command_report,
    "levers": command_levers,
    "dashboard": command_dashboard,
    "validate": command_validate,
}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    # figures go to files: no window, no display needed
    import matplotlib

    matplotlib.use("Agg")
    if args and args[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0
    try:
        if not args:
            return command_study([])
        command = args[0]
        if command in COMMANDS:
            return COMMANDS[command](args[1:])
        if "=" in command or command.startswith("-"):
            return command_run(args)
        import difflib

        near = difflib.get_close_matches(command, list(COMMANDS), n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise UsageError(f"unknown command {command!r}{hint} (commands: {', '.join(COMMANDS)})")
    except (ConfigError, UsageError) as exc:
        print(f"channelsim: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into a pager or head that closed early
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return 0
    except KeyboardInterrupt:
        print("channelsim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
