"""The `channelsim` console script.

`channelsim --help` lists the commands; `channelsim COMMAND --help` shows a command's
usage, options, config groups and examples. Help is built from the tables below and
the packaged preset folders alone, so it is quick and works without the optional
extras. Bad input exits 2 with one line on stderr; a run that fails exits 1 and says
why in its own summary.json.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
import tempfile
import textwrap
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

WIDTH = 100  # columns of help, tables and error lines
ERROR = "channelsim: error: "
CONFIGS = "channelsim.configs"  # the packaged presets, one folder a config group


class UsageError(Exception):
    """A malformed command line (exit 2)."""


# ---------------------------------------------------------------- what commands take


@dataclass(frozen=True)
class Option:
    """A command-line option: its spellings, the value it takes (None: a flag), its use."""

    names: tuple[str, ...]
    dest: str
    value: str | None
    meaning: str

    @property
    def label(self) -> str:
        """How help shows it: ``--seeds N``, ``--config-dir DIR, -cd DIR``, ``--long``."""
        return ", ".join(f"{n} {self.value}" if self.value else n for n in self.names)


CONFIG_DIR = Option(
    ("--config-dir", "-cd"),
    "config_dir",
    "DIR",
    "a folder of your own presets (strategy/, market/, ...)",
)
HELP = Option(("-h", "--help"), "help", None, "this help")
LANG = Option(("--lang",), "lang", "en|zh", "labels in English or in the case's Chinese terms")
JOBS = Option(("--jobs",), "jobs", "N", "worker processes (default: one per core)")
ANY_KEY = ("KEY=VALUE", "any lever or market parameter (`channelsim levers`)")


@dataclass(frozen=True)
class CommandSpec:
    """What a command takes and how its help reads."""

    summary: str  # its line in `channelsim --help`
    usage: str  # what follows `channelsim NAME` on the usage line
    about: str
    options: tuple[Option, ...] = ()
    settings: tuple[tuple[str, str], ...] = ()  # overrides worth naming, with their use
    groups: tuple[str, ...] = ()  # config groups it takes as GROUP=NAME
    examples: tuple[str, ...] = ()
    pricing_markets: bool = False  # takes the textbook pricing markets as well


SPECS = {
    "study": CommandSpec(
        summary="the case comparison: history, stay_traditional and copy_direct at many seeds",
        usage="[OPTIONS] [OVERRIDES...]",
        about=(
            "Runs the scenarios history, stay_traditional and copy_direct at --seeds seeds "
            "each, on all local cores, and an ablation of the relationship channel's parts; "
            "prints the comparison (mean [95% confidence interval] over the seeds) and "
            "writes report.md, report.html, figures/ and runs.parquet. Overrides set the "
            "market and levers of every scenario; the scenarios and their 60 months are the "
            "study's own. `channelsim` alone runs it with the defaults."
        ),
        options=(
            Option(("--seeds",), "seeds", "N", "seeds a scenario (default 20)"),
            JOBS,
            Option(("--no-ablation",), "no_ablation", None, "skip the ablation"),
            LANG,
            CONFIG_DIR,
        ),
        settings=(("hydra.run.dir=PATH", "the output folder (default outputs/DATE/TIME)"), ANY_KEY),
        groups=("market",),
        examples=(
            "channelsim study --seeds 40 --jobs 2",
            "channelsim study --no-ablation market.growth=0.2 hydra.run.dir=results/growth",
            "channelsim study --lang zh strategy.customer_care=false",
        ),
    ),
    "run": CommandSpec(
        summary="one simulation, e.g. scenario=history or strategy=direct seed=3",
        usage="[OPTIONS] [OVERRIDES...]",
        about=(
            "Simulates one market month by month and writes metrics.parquet, "
            "partners.parquet, regions.parquet, config.yaml, channel.graphml, figures/ and "
            "summary.json into its folder. Prints the presets in force with their dates, "
            "the overrides and the headline results. `channelsim KEY=VALUE...` is the same "
            "as `channelsim run KEY=VALUE...`."
        ),
        options=(LANG, CONFIG_DIR),
        settings=(
            ("seed=N", "the run's random root (default 0)"),
            ("steps=N", "months to simulate from market.start (default 60)"),
            ("hydra.run.dir=PATH", "the output folder (default outputs/DATE/TIME)"),
            ANY_KEY,
        ),
        groups=("market", "strategy", "scenario"),
        examples=(
            "channelsim run strategy=direct seed=3",
            "channelsim run scenario=history strategy.customer_care=false steps=48",
            "channelsim run market=linear_duopoly market.structure=ID hydra.run.dir=results/id",
        ),
        pricing_markets=True,
    ),
    "sweep": CommandSpec(
        summary="many simulations over lists of values or a named sweep, with a report",
        usage="[OPTIONS] [OVERRIDES...]",
        about=(
            "A Hydra multirun: comma lists and range() multiply into one job a combination. "
            "Every job is validated before any runs; the jobs run on all local cores, one "
            "folder a job, and a rerun into the same folder runs only the jobs not done. "
            "Writes summary.csv/.parquet, groups.csv, report.md/.html and figures/, and "
            "prints each group's headline results."
        ),
        options=(CONFIG_DIR,),
        settings=(
            ("KEY=A,B,C", "one job a value; seed='range(0,10)' for ten seeds"),
            ("hydra.sweep.dir=PATH", "the sweep's folder (default multirun/DATE/TIME)"),
            ("hydra/launcher=NAME", "ray or submitit_slurm for a cluster (extras ray, slurm)"),
            ANY_KEY,
        ),
        groups=("market", "strategy", "scenario", "experiment"),
        examples=(
            "channelsim sweep strategy=direct,relationship_channel seed='range(0,10)'",
            "channelsim sweep experiment=rebate_grid hydra.sweep.dir=results/rebates",
            "channelsim sweep experiment=strategy_grid hydra/launcher=submitit_slurm",
        ),
    ),
    "optimize": CommandSpec(
        summary="search lever ranges for the highest vendor profit (Optuna)",
        usage="[OPTIONS] [OVERRIDES...]",
        about=(
            "Optuna searches the ranges of the experiment's optimize.params for the levers "
            "with the highest optimize.kpi, averaged over optimize.seeds runs a trial, less a "
            "penalty below optimize.floor. A rerun into the same folder resumes the study up "
            "to its budget. Writes trials.csv, convergence.png, report.html and "
            "strategy/best_policy.yaml (run it with --config-dir FOLDER strategy=best_policy)."
            " Needs the optuna extra."
        ),
        options=(CONFIG_DIR,),
        settings=(
            ("optimize.n_trials=N", "the budget: trials in all, counted across restarts"),
            ("optimize.n_jobs=N", "trials run at a time on this machine"),
            (
                "optimize.params",
                "the search space, in the experiment file: KEY: interval(lo,hi) or "
                "choice(a,b,...); add a lever on the command line as KEY='interval(lo,hi)'",
            ),
            (
                "optimize.storage=S",
                "an Optuna storage, journal:PATH or a database URL: several processes or "
                "nodes share one study",
            ),
            ("optimize.seeds=N", "runs a trial, at the same seeds in every trial"),
            ("optimize.floor=X", "the partner satisfaction below which the penalty applies"),
            ("hydra.sweep.dir=PATH", "the study's folder (default multirun/DATE/TIME)"),
        ),
        groups=("market", "strategy", "scenario", "experiment"),
        examples=(
            "channelsim optimize experiment=optimize_policy optimize.n_trials=80 "
            "hydra.sweep.dir=results/opt",
            "channelsim optimize experiment=optimize_policy strategy.coop_budget='interval(0,400)'",
            "channelsim optimize experiment=optimize_policy "
            "optimize.storage=journal:results/opt.log",
        ),
    ),
    "map": CommandSpec(
        summary="which strategy wins where: two market keys over a grid, a winner a cell",
        usage="[OPTIONS] [OVERRIDES...]",
        about=(
            "Sweeps map.x and map.y over their values; in each cell runs each of "
            "map.strategies for the focal vendor at map.seeds paired seeds and compares them "
            "on map.kpi over map.window (map_china_to_us moves groups of keys from China's "
            "market to the US's). A cell's winner leads the runner-up by a paired "
            "difference whose 95% interval excludes 0; otherwise it has no clear winner. Its "
            "runs are sweep jobs: on the local cores or a Hydra launcher, one folder a job, a "
            "rerun into the same folder runs only the jobs not done. Writes map.csv (a row a "
            "cell and strategy: mean, interval, winner, margin), map.png, report.md/.html "
            "and summary.json."
        ),
        options=(CONFIG_DIR,),
        settings=(
            (
                "map.x=KEY, map.y=KEY",
                "two numeric market keys (a seller's too), or path.GROUP: a group of keys "
                "moving together from the map's market (0) to map.path.to's (1)",
            ),
            (
                "map.path.to, .sellers, .groups",
                "the market a path leads to, its sellers paired with the map's, the groups",
            ),
            (
                "map.x_values, map.y_values",
                "a list, 'range(a,b,step)' or 'linspace(lo,hi,n)', within the keys' ranges",
            ),
            ("map.strategies", "the focal vendor's strategy presets to compare, a list"),
            ("map.kpi=NAME", "a metric, e.g. profit_vendor (default)"),
            ("map.window=W", "2006, 2006-H2, 2006-Q4 or 2005-01..2006-12, as for targets"),
            ("map.seeds=N", "paired seeds a cell and strategy (default 4)"),
            ("hydra.sweep.dir=PATH", "the map's folder (default multirun/DATE/TIME)"),
        ),
        groups=("market", "strategy", "scenario", "experiment"),
        examples=(
            "channelsim map experiment=map_china hydra.sweep.dir=results/map_china",
            "channelsim map experiment=map_china map.seeds=8 map.x_values='linspace(0,1,11)'",
            "channelsim map experiment=map_china_to_us hydra.sweep.dir=results/map_china_to_us",
        ),
    ),
    "calibrate": CommandSpec(
        summary="fit market parameters to observed figures; judge them on held-out years",
        usage="[OPTIONS] [OVERRIDES...]",
        about=(
            "Fits the experiment's calibrate.parameters (market keys with [lo, hi] ranges) so "
            "that the model's calibrate.targets (a metric's mean over a window: its value, sd, "
            "source, and use: fit or holdout) come out right, by the sum of the fitted "
            "targets' squared z-scores, each evaluation averaged over calibrate.seeds runs at "
            "the same seeds. method=optuna: Optuna's TPE sampler minimises it, and each "
            "parameter's interval is its loss profile within 3.84 of the minimum. method=abc: "
            "pyabc's ABC-SMC gives a posterior, each interval its 90% interval and best its "
            "median. A parameter is identified when its interval is narrower than half its "
            "range. The best values are judged at calibrate.check_seeds fresh seeds on every "
            "target. Writes market/calibrated.yaml (use it with --config-dir FOLDER "
            "market=calibrated), targets.csv, parameters.csv, trials.csv (abc: posterior.csv, "
            "populations.csv), figures, report.html and summary.json. A rerun into the same "
            "folder resumes the study (abc: its database) up to its budget. Needs the optuna "
            "extra (abc: the calibrate extra)."
        ),
        options=(CONFIG_DIR,),
        settings=(
            ("calibrate.method=M", "optuna (default) or abc"),
            ("calibrate.budget=N", "evaluations in all, counted across restarts"),
            (
                "calibrate.n_jobs=N",
                "evaluations run at a time on this machine (abc: 1 is serial and "
                "bit-reproducible; more are not)",
            ),
            ("calibrate.seeds=N", "runs an evaluation, at the same seeds in every one"),
            ("calibrate.seed=N", "the first of those seeds, and the sampler's seed"),
            ("calibrate.check_seeds=N", "fresh seeds the result is judged at (default 20)"),
            (
                "calibrate.storage=S",
                "an Optuna storage, journal:PATH or a database URL: several processes share "
                "one study (abc: pyabc's database URL, default abc.db in the folder)",
            ),
            (
                "calibrate.population=N",
                "abc: particles a generation (default a fifth of the budget)",
            ),
            ("calibrate.dask=ADDRESS", "abc: run the simulations on that dask scheduler"),
            (
                "calibrate.targets, calibrate.parameters",
                "in the experiment file; copy it to FOLDER/experiment/ and pass --config-dir "
                "FOLDER to fit your own market",
            ),
            ("hydra.sweep.dir=PATH", "the calibration's folder (default multirun/DATE/TIME)"),
        ),
        groups=("market", "strategy", "scenario", "experiment"),
        examples=(
            "channelsim calibrate experiment=calibrate_china_pc hydra.sweep.dir=results/cal",
            "channelsim calibrate experiment=calibrate_china_pc calibrate.method=abc "
            "calibrate.n_jobs=1",
            "channelsim calibrate --config-dir mine experiment=my_targets market=my_market",
        ),
    ),
    "sensitivity": CommandSpec(
        summary="Morris screening or Sobol indices over lever and market ranges (SALib)",
        usage="[OPTIONS] [OVERRIDES...]",
        about=(
            "Ranks the levers and market uncertainties of the experiment's "
            "sensitivity.parameters by their effect on sensitivity.kpis, against a dummy "
            "parameter the model never reads: Morris screening (sensitivity_morris) or Sobol "
            "indices (sensitivity_sobol). A rerun into the same folder runs only the runs "
            "not done. Writes sensitivity.csv (ranked, with intervals), sensitivity.png and "
            "report.html, and prints the ranking. Needs the sensitivity extra."
        ),
        options=(JOBS, CONFIG_DIR),
        settings=(
            ("sensitivity.samples=N", "Morris trajectories, or Sobol's base sample"),
            ("sensitivity.seeds=N", "runs a sample row"),
            ("sensitivity.kpis=[A,B]", "the KPIs ranked (METRICS of channelsim.model)"),
            ("hydra.sweep.dir=PATH", "the analysis's folder (default multirun/DATE/TIME)"),
        ),
        groups=("market", "strategy", "scenario", "experiment"),
        examples=(
            "channelsim sensitivity experiment=sensitivity_morris hydra.sweep.dir=results/morris",
            "channelsim sensitivity experiment=sensitivity_sobol sensitivity.samples=256 --jobs 2",
            "channelsim sensitivity experiment=sensitivity_ishigami",
        ),
    ),
    "report": CommandSpec(
        summary="rebuild a sweep's tables and report from its folder",
        usage="SWEEP_DIR",
        about=(
            "Reads the job folders of a sweep (its hydra.sweep.dir) and writes summary.csv, "
            "summary.parquet, groups.csv, report.md, report.html and figures/ again; exits 1 "
            "when a job failed."
        ),
        examples=(
            "channelsim report multirun/2026-11-28/15-00-00",
            "channelsim report results/rebates",
        ),
    ),
    "levers": CommandSpec(
        summary="every lever (strategy.*) and market parameter (market.*) you can set",
        usage="[--group GROUP] [--long] [OVERRIDES...]",
        about=(
            "Lists every key you can set, by group: each seller's policy and capabilities "
            "(the vendor's levers strategy.* and market.sellers.vendor.*; another seller's "
            "market.sellers.NAME.policy.* and market.sellers.NAME.*), the market (market.*) "
            "and the run (seed, steps); each with its value, what it accepts and what it "
            "means. The "
            "values are those the overrides compose: strategy=direct shows that preset's "
            "levers."
        ),
        options=(
            Option(
                ("--group",),
                "group",
                "GROUP",
                "one group: strategy, market.sellers.NAME (a seller's capabilities), "
                "market.sellers.NAME.policy, market, market.buyers, ... or run",
            ),
            Option(("--long",), "long", None, "meanings in full, wrapped"),
            CONFIG_DIR,
        ),
        groups=("market", "strategy", "scenario"),
        examples=(
            "channelsim levers --group strategy",
            "channelsim levers --long strategy=traditional_channel",
            "channelsim levers --group market.sellers.direct",
        ),
        pricing_markets=True,
    ),
    "dashboard": CommandSpec(
        summary="the interactive page in a browser (http://127.0.0.1:8765)",
        usage="[OPTIONS] [market.KEY=VALUE...]",
        about=(
            "Serves the page until interrupted. It opens on the case's history a year in; "
            "pick a scenario or strategy, a seed and levers, and step or play the market "
            "month by month; compare two runs at the same seed side by side; open the "
            "strategy map and click a cell to run its market. market.KEY=VALUE overrides set "
            "the market of every session (a smaller one runs faster). Needs the viz extra."
        ),
        options=(
            Option(("--port",), "port", "N", "the port (default 8765)"),
            Option(("--host",), "host", "H", "the address (default 127.0.0.1; 0.0.0.0: any)"),
            Option(
                ("--map",),
                "map",
                "DIR",
                "the strategy map page's map: a folder channelsim map wrote (default: the "
                "built-in map_china)",
            ),
            LANG,
        ),
        examples=(
            "channelsim dashboard",
            "channelsim dashboard --port 9000 --lang zh",
            "channelsim dashboard --host 0.0.0.0 --map results/my_map market.n_regions=3",
        ),
    ),
    "validate": CommandSpec(
        summary="the textbook pricing markets against their closed forms",
        usage="[--out DIR]",
        about=(
            "Runs the model's textbook markets (a linear monopoly; the McGuire-Staelin "
            "duopoly over its substitutability; supplier encroachment over the direct "
            "cost) and compares every value with its closed form, and the thresholds found "
            "by bisection on the model with theirs; exits 1 when a value is off (over 1%, "
            "or 1e-6 for encroachment)."
        ),
        options=(Option(("--out",), "out", "DIR", "also write report.md and the figure"),),
        examples=("channelsim validate", "channelsim validate --out results/validation"),
    ),
    "elasticity": CommandSpec(
        summary="each seller's own-price elasticity of brand demand, at paired seeds",
        usage="[OPTIONS] [OVERRIDES...]",
        about=(
            "Raises and lowers every price of one seller at a time (its own, its channel's "
            "and its MAP floor: market.SELLER.price_level) by --step at paired seeds, and "
            "prints each seller's arc elasticity of its units from month 13 on, the mean "
            "[95% interval] over the seeds. Overrides set the market and the policies."
        ),
        options=(
            Option(("--seeds",), "seeds", "N", "seeds (default 10)"),
            Option(("--step",), "step", "X", "the price change (default 0.01)"),
            JOBS,
            CONFIG_DIR,
        ),
        settings=(ANY_KEY,),
        groups=("market", "strategy", "scenario"),
        examples=(
            "channelsim elasticity",
            "channelsim elasticity --seeds 20 scenario=history",
            "channelsim elasticity market.price_sensitivity=4",
        ),
    ),
}

# named experiments by command, told apart by their names' prefixes (the rest are sweeps)
EXPERIMENT_PREFIXES = {
    "optimize": "optimize_",
    "sensitivity": "sensitivity_",
    "calibrate": "calibrate_",
    "map": "map_",
}


# ---------------------------------------------------------------- help


def presets(group: str) -> list[str]:
    """The packaged presets of a config group, read off the package's folder."""
    folder = resources.files(CONFIGS).joinpath(group)
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def market_kind(name: str) -> str:
    """A packaged market's kind (``channel`` unless its file says otherwise)."""
    text = resources.files(CONFIGS).joinpath("market", f"{name}.yaml").read_text("utf-8")
    found = re.search(r"^kind:\s*(\w+)", text, re.MULTILINE)
    return found.group(1) if found else "channel"


def group_presets(command: str, group: str) -> list[str]:
    """The packaged presets `command` takes for `group`."""
    names = presets(group)
    if group == "market" and not SPECS[command].pricing_markets:
        return [n for n in names if market_kind(n) == "channel"]
    if group == "experiment":
        own = EXPERIMENT_PREFIXES.get(command)
        if own:
            return [n for n in names if n.startswith(own)]
        return [n for n in names if not n.startswith(tuple(EXPERIMENT_PREFIXES.values()))]
    return names


def column_for(rows: Sequence[tuple[str, str]], widest: int = 26) -> int:
    """Where the meanings of `rows` start: after the widest term up to `widest`."""
    return 2 + min(max(len(term) for term, _ in rows), widest) + 2


def two_columns(rows: Sequence[tuple[str, str]], column: int) -> list[str]:
    """Terms and their meanings from `column` on, wrapped under themselves; a term that
    reaches the column has its meaning on the next line."""
    lines = []
    for term, meaning in rows:
        body = textwrap.wrap(meaning, WIDTH - column, break_on_hyphens=False) or [""]
        if 2 + len(term) + 2 > column:
            lines.append(f"  {term}")
            lines += [" " * column + part for part in body]
        else:
            lines.append(f"  {term}".ljust(column) + body[0])
            lines += [" " * column + part for part in body[1:]]
    return lines


def paragraph(text: str) -> list[str]:
    """`text` wrapped to the help's width."""
    return textwrap.wrap(text, WIDTH, break_on_hyphens=False)


def overview() -> str:
    """`channelsim --help`: the commands, one line each, and the global options."""
    commands = [("(none)", "the case comparison, as `channelsim study`")]
    commands += [(name, spec.summary) for name, spec in SPECS.items()]
    options = [(CONFIG_DIR.label, CONFIG_DIR.meaning), (HELP.label, HELP.meaning)]
    lines = [
        "usage: channelsim [COMMAND] [OPTIONS] [OVERRIDES...]",
        "",
        "A vendor's resellers against a direct seller, month by month (agent-based).",
        "",
        "commands:",
        *two_columns(commands, column_for(commands)),
        "",
        "options:",
        *two_columns(options, column_for(options)),
        "",
        "Overrides are KEY=VALUE, e.g. strategy=direct seed=3 strategy.rebate_rate=0.05;",
        "`channelsim KEY=VALUE...` is `channelsim run KEY=VALUE...`.",
        "A command's options, config groups and examples: `channelsim COMMAND --help`.",
    ]
    return "\n".join(lines)


def command_help(name: str) -> str:
    """`channelsim NAME --help`: usage, what it does, options, settings, groups, examples."""
    spec = SPECS[name]
    options = [(o.label, o.meaning) for o in (*spec.options, HELP)]
    groups = [(f"{g}=", ", ".join(group_presets(name, g))) for g in spec.groups]
    column = column_for([*options, *spec.settings, *groups])
    lines = [f"usage: channelsim {name} {spec.usage}", "", *paragraph(spec.about), ""]
    lines += ["options:", *two_columns(options, column)]
    if spec.settings:
        lines += ["", "settings (KEY=VALUE):", *two_columns(spec.settings, column)]
    if groups:
        lines += ["", "config groups (GROUP=NAME):", *two_columns(groups, column)]
    lines += ["", "examples:", *(f"  {example}" for example in spec.examples)]
    return "\n".join(lines)


def options_of(command: str | None) -> tuple[Option, ...]:
    """The options a command's arguments may hold (--config-dir always parses: commands
    that refuse it say why)."""
    own = SPECS[command].options if command else ()
    return (CONFIG_DIR, *(o for o in own if o is not CONFIG_DIR))


def asks_help(args: Sequence[str], command: str) -> bool:
    """Whether -h or --help is among `args` as an option, not as another option's value."""
    takes_value = {n for o in options_of(command) if o.value for n in o.names}
    after_option = False
    for arg in args:
        if not after_option and arg in HELP.names:
            return True
        after_option = not after_option and arg in takes_value
    return False


def is_implicit_run(first: str) -> bool:
    """`channelsim strategy=direct` and `channelsim --config-dir DIR ...` are runs."""
    return "=" in first or first.startswith("-")


def help_text(args: list[str]) -> str | None:
    """The help `args` ask for, or None when they ask for none."""
    if not args:
        return None
    first, rest = args[0], args[1:]
    if first in HELP.names or first == "help":
        if first == "help" and rest:
            if rest[0] not in SPECS:
                raise UsageError(unknown_command(rest[0]))
            return command_help(rest[0])
        return overview()
    if first in SPECS:
        return command_help(first) if asks_help(rest, first) else None
    if is_implicit_run(first) and asks_help(args, "run"):
        return command_help("run")
    return None


# ---------------------------------------------------------------- parsing


def unknown_command(command: str) -> str:
    """What is wrong with an unknown command, with the nearest one if any is near."""
    near = difflib.get_close_matches(command, list(SPECS), n=1)
    hint = f"; did you mean {near[0]!r}?" if near else ""
    return f"unknown command {command!r}{hint} (the commands: `channelsim --help`)"


def unknown_option(arg: str, command: str | None) -> str:
    """The allowed options, or where to read them when the list would not fit a line."""
    names = sorted({o.names[0] for o in options_of(command)} | {"--help"})
    said = f"unknown option {arg!r}; allowed: {', '.join(names)}"
    if len(ERROR + said) <= WIDTH:
        return said
    return f"unknown option {arg!r}; see `channelsim {command or 'COMMAND'} --help`"


def split_args(
    args: list[str], command: str | None = None
) -> tuple[str | None, list[str], dict[str, str]]:
    """Pull `--config-dir DIR` and the command's own options out of the arguments.

    Returns the config folder, the overrides, and the options given (by `Option.dest`;
    a flag given is ``"yes"``).
    """
    known = {name: o for o in options_of(command) for name in o.names}
    given: dict[str, str] = {}
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        name, equals, inline = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        option = known.get(name)
        if option is None:
            if arg.startswith("-"):
                raise UsageError(unknown_option(arg, command))
            rest.append(arg)
        elif option.value is None:
            if equals:
                raise UsageError(f"{name} takes no value")
            given[option.dest] = "yes"
        elif equals:
            given[option.dest] = inline
        elif i + 1 < len(args):
            given[option.dest] = args[i + 1]
            i += 1
        else:
            raise UsageError(f"{name} needs a value")
        i += 1
    return given.pop("config_dir", None), rest, given


def is_hydra(override: str) -> bool:
    """Whether an override sets Hydra itself (``hydra.run.dir=...``, ``hydra/launcher=...``)."""
    key = override.split("=", 1)[0].lstrip("+~")
    return key == "hydra" or key.startswith(("hydra.", "hydra/"))


def model_overrides(overrides: list[str]) -> list[str]:
    """The overrides that set the model: all but Hydra's own."""
    return [o for o in overrides if not is_hydra(o)]


def _positive_int(options: dict[str, str], name: str, default: int | None) -> int | None:
    if name not in options:
        return default
    value = options[name]
    if not value.isdigit() or int(value) < 1:
        raise UsageError(f"--{name}={value!r} is not allowed: expected an integer >= 1")
    return int(value)


# ---------------------------------------------------------------- commands


def command_run(args: list[str], out=None) -> int:
    """One simulation into Hydra's run folder (or `hydra.run.dir=PATH`)."""
    from channelsim.config.compose import compose_run

    config_dir, overrides, given = split_args(args, "run")
    lang = _lang(given)
    _refuse_experiment(overrides)
    composed = compose_run(overrides, config_dir)
    out_dir = make_folder(composed.run_dir)
    # the model, pandas and the figures load only once the config is known to be good:
    # a bad override is reported in a fraction of the time
    from channelsim.api import run
    from channelsim.experiment.run import write_failed

    began = time.perf_counter()
    try:
        result = run(composed.config, out_dir, lang=lang, overrides=model_overrides(overrides))
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
    cfg = composed.config
    if result.model.SETTLES:
        print(pricing_run_text(result.summary, cfg.market, cfg.steps), file=out)
    else:
        print(channel_run_text(result.summary), file=out)
    print(out_dir, file=out)
    return 0


def channel_run_text(summary: dict[str, Any]) -> str:
    """A channel-market run as printed: the presets in force with their dates (after the
    scenario's name), the overrides, and the headline results."""
    seed, path = summary["seed"], summary["policy_path"]
    if summary["scenario"] == "none":
        lines = [f"{path} seed {seed}"]
    else:
        lines = [f"{summary['scenario']} seed {seed}: {path}"]
    if summary["overrides"]:
        lines += textwrap.wrap(
            "overrides: " + " ".join(summary["overrides"]),
            WIDTH,
            initial_indent="  ",
            subsequent_indent="    ",
            break_long_words=False,
            break_on_hyphens=False,
        )
    k = summary["kpis"]
    lines.append(
        f"  vendor key-account share {_fmt(k['share_vendor_key'], '.3f')}, vendor profit "
        f"{_fmt(k['profit_vendor'], '.0f')}/month (final 12 months)"
    )
    return "\n".join(lines)


def pricing_run_text(summary: dict[str, Any], market: Any, steps: int) -> str:
    """A textbook pricing market's run as printed: each manufacturer's converged values."""
    k = summary["kpis"]
    firms = sorted({name.rsplit("_", 1)[1] for name in k})
    settled = (
        "converged" if summary["converged"] else f"NOT converged in {steps} months: raise steps"
    )
    lines = [f"{market.name} {market.structure} ({settled})"]
    lines += [
        f"  manufacturer {i}: price {_fmt(k[f'price_{i}'], '.4f')}, "
        f"wholesale {_fmt(k[f'wholesale_{i}'], '.4f')}, "
        f"profit {_fmt(k[f'profit_manufacturer_{i}'], '.4f')}"
        for i in firms
    ]
    return "\n".join(lines)


def _refuse_market(config, command: str) -> None:
    """Refuse a market whose model does not take `command` (the model class says)."""
    from channelsim.models import refusal

    refused = refusal(config.market, command)
    if refused:
        raise UsageError(refused)


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
            command = next(
                (c for c, prefix in EXPERIMENT_PREFIXES.items() if value.startswith(prefix)),
                "sweep",
            )
            raise UsageError(
                f"experiment=... is for {command}: `channelsim {command} experiment={value}`"
            )


def make_folder(path: str | Path, key: str = "hydra.run.dir") -> Path:
    """Create the run's folder up front, so an unusable path is a one-line error. The
    write test uses a file of its own, so processes started together into one folder (a
    shared study) do not remove each other's."""
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".channelsim-write-test-"):
            pass
    except OSError as exc:
        raise UsageError(f"{key}={str(path)!r} is not allowed: {exc.strerror or exc}") from None
    return folder


def command_sweep(args: list[str], out=None) -> int:
    """A Hydra multirun: every job validated first, run one folder a job, then a report."""
    from channelsim.analysis.sweep_report import write_sweep_report
    from channelsim.experiment.sweep import execute, plan_sweep

    config_dir, overrides, _ = split_args(args, "sweep")
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


def command_calibrate(args: list[str], out=None) -> int:
    """Fit market parameters to targets; resumes its study up to the budget."""
    from channelsim.analysis.calibration import describe, write_calibrate_report
    from channelsim.experiment.calibrate import best_text, plan_calibrate, run_calibrate

    config_dir, overrides, _ = split_args(args)
    plan = plan_calibrate(overrides, config_dir)  # exit 2 here on bad input
    make_folder(plan.out_dir, "hydra.sweep.dir")
    outcome = run_calibrate(plan, announce=lambda line: print(line, file=out, flush=True))
    write_calibrate_report(plan, outcome)
    summary = outcome.summary
    if summary["status"] == "ok":
        print(
            f"best of {summary['evaluations']} evaluations: {best_text(plan, summary['best'])}; "
            f"at {len(summary['fresh_seeds'])} fresh seeds:",
            file=out,
        )
        for line in describe(summary):
            print(line, file=out)
        print(f"market: {summary['market']} (market=calibrated with --config-dir)", file=out)
    print(f"report: {plan.out_dir / 'report.html'}", file=out)
    print(plan.out_dir, file=out)
    if summary["status"] != "ok":
        print(f"channelsim: calibrate failed: {summary['error']}", file=sys.stderr)
        return 1
    return 0


def command_map(args: list[str], out=None) -> int:
    """A strategy map: a sweep over two market keys and the strategies, read cell by cell."""
    from channelsim.analysis.maps import map_table, winners, write_map_report
    from channelsim.experiment.maps import plan_map, run_map

    config_dir, overrides, _ = split_args(args, "map")
    plan = plan_map(overrides, config_dir)  # exit 2 here on bad input
    make_folder(plan.out_dir, "hydra.sweep.dir")
    outcome = run_map(plan, announce=lambda line: print(line, file=out, flush=True))
    table = map_table(outcome.values)
    write_map_report(plan.out_dir, table, outcome.summary)
    if len(table):
        counts = winners(table)["winner"].value_counts()
        print("cells won: " + ", ".join(f"{w} {n}" for w, n in counts.items()), file=out)
    print(f"map: {plan.out_dir / 'map.png'}; report: {plan.out_dir / 'report.html'}", file=out)
    print(plan.out_dir, file=out)
    if outcome.summary["status"] != "ok":
        failed = outcome.summary["failed_jobs"]
        print(
            f"channelsim: {len(failed)} of {outcome.summary['jobs']} jobs failed (first: "
            f"{failed[0]}; their cells are compared without them)",
            file=sys.stderr,
        )
        return 1
    return 0


def command_optimize(args: list[str], out=None) -> int:
    """A policy search with Optuna; resumes its study up to the budget."""
    from channelsim.analysis.decision import write_optimize_report
    from channelsim.experiment.optimize import plan_optimize, run_optimize
    from channelsim.experiment.run import override_text

    config_dir, overrides, _ = split_args(args)
    plan = plan_optimize(overrides, config_dir)  # exit 2 here on bad input
    make_folder(plan.out_dir, "hydra.sweep.dir")
    outcome = run_optimize(plan, announce=lambda line: print(line, file=out, flush=True))
    write_optimize_report(plan.out_dir, outcome.trials, outcome.summary)
    summary = outcome.summary
    best = outcome.best
    if best is not None:
        print(
            f"best of {summary['trials']} trials: trial {best['trial']}, objective "
            f"{best['objective']:.1f}",
            file=out,
        )
        for key, value in best["params"].items():
            shown = format(value, ".4g") if isinstance(value, float) else override_text(value)
            print(f"  {key}={shown}", file=out)
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
    from channelsim.experiment.sensitivity import plan_sensitivity, run_sensitivity

    config_dir, overrides, given = split_args(args, "sensitivity")
    jobs = _positive_int(given, "jobs", None)
    plan = plan_sensitivity(overrides, config_dir)  # exit 2 here on bad input
    make_folder(plan.out_dir, "hydra.sweep.dir")
    outcome = run_sensitivity(
        plan, n_jobs=jobs, announce=lambda line: print(line, file=out, flush=True)
    )
    write_sensitivity_report(plan.out_dir, outcome.table, outcome.summary, plan.spec.conf_level)
    if len(outcome.table):
        print(ranking_text(outcome.table, plan.spec.conf_level), file=out)
    print(f"report: {plan.out_dir / 'report.html'}", file=out)
    print(plan.out_dir, file=out)
    if outcome.summary["status"] != "ok":
        print(f"channelsim: sensitivity incomplete: {outcome.summary['error']}", file=sys.stderr)
        return 1
    return 0


def ranking_text(table, conf_level: float) -> str:
    """The sensitivity ranking as printed: one table a KPI (rank, parameter, estimate and
    its interval)."""
    from channelsim.analysis.report import text_table

    parts = []
    for kpi, rows in table.groupby("kpi", sort=False):
        measure = rows["measure"].iloc[0]
        body = [
            [
                str(r["rank"]),
                r["parameter"],
                f"{r['estimate']:.4g}",
                f"[{r['ci_low']:.4g}, {r['ci_high']:.4g}]",
            ]
            for _, r in rows.iterrows()
        ]
        head = ["rank", "parameter", measure, f"{conf_level:.0%} interval"]
        parts.append(f"{kpi}\n{text_table(head, body)}")
    return "\n\n".join(parts)


def command_report(args: list[str], out=None) -> int:
    """Rebuild a sweep's summary tables and report from its folder."""
    from channelsim.analysis.sweep_report import write_sweep_report
    from channelsim.experiment.sweep import collect

    _, rest, _ = split_args(args, "report")
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


# `channelsim levers` groups: a key's section (its path but the last name), headed so,
# in this order: each seller's policy and capabilities, then the market, then the run
LEVER_HEADINGS = {
    "strategy": "the vendor's policy: its levers",
    "market.sellers.vendor": "the vendor's capabilities",
    "market": "the market the sellers face: its sizes and demand",
    "market.buyers": "how buyers choose",
    "market.selling": "how sellers and their partners find and work deals",
    "market.partners": "how partners learn, feel, pay and leave",
    "market.rules": "how channel rules are kept and broken",
    "market.population": "how the agents are drawn at the start",
    "market.costs": "what the levers cost, beyond the budgets a policy sets",
    "run": "the run",
}
MEANING_INDENT = " " * 6


def lever_group(key: str) -> str:
    """A key's `channelsim levers` group: ``strategy``, ``market.sellers.NAME`` (a
    seller's capabilities), ``market.sellers.NAME.policy``, ``market``, ``market.buyers``
    ..., or ``run`` for the run's own keys (seed, steps)."""
    return key.rpartition(".")[0] or "run"


def lever_heading(group: str) -> str | None:
    """A group's heading: LEVER_HEADINGS', or a seller's."""
    if group in LEVER_HEADINGS:
        return LEVER_HEADINGS[group]
    _, _, rest = group.partition("market.sellers.")
    name, _, policy = rest.partition(".")
    if not name:
        return None
    if policy:
        return "its policy: a strategy preset (.policy=PRESET) and its levers"
    return f"{name}'s capabilities"


def seller_keys(keys: Sequence[str], sellers: Sequence[str], focal: str = "vendor") -> list[str]:
    """`keys` with every seller's own (`market.sellers.NAME.x`) once for each of
    `sellers`, the focal vendor first, each seller's policy before its capabilities;
    the focal vendor's policy is strategy.*, not among them."""
    from channelsim.config.schema import NAME, SELLERS

    template = f"{SELLERS}.{NAME}."
    own = [k for k in keys if k.startswith(template)]
    out = [k for k in keys if not k.startswith(template)]
    at = next((i for i, k in enumerate(out) if k.startswith("market.")), len(out))
    ordered = sorted(sellers, key=lambda name: name != focal)
    policy = [k for k in own if k.startswith(f"{template}policy.")]
    capabilities = [k for k in own if k not in policy]
    expanded = [
        key.replace(f".{NAME}.", f".{name}.", 1)
        for name in ordered
        for key in (capabilities if name == focal else policy + capabilities)
    ]
    return out[:at] + expanded + out[at:]


def lever_groups(keys: Sequence[str]) -> dict[str, list[str]]:
    """The keys by group: the vendor's policy first, then each seller's groups as the
    keys list them, the other groups in the order of LEVER_HEADINGS (any other last)."""
    groups: dict[str, list[str]] = {}
    for key in keys:
        groups.setdefault(lever_group(key), []).append(key)
    sellers = [g for g in groups if g.startswith("market.sellers.")]
    rank = {g: i for i, g in enumerate(LEVER_HEADINGS)}  # the sellers' just before market
    rank |= {g: rank["market"] - 1 + (i + 1) / (len(sellers) + 1) for i, g in enumerate(sellers)}
    order = sorted(groups, key=lambda g: (rank.get(g, len(rank)), g))
    return {g: groups[g] for g in order}


def value_text(value: Any) -> str:
    """A value as an override writes it: ``true``, ``null``, ``''``."""
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "null"
    return str(value) if value != "" else "''"


def cut(line: str) -> str:
    """`line` cut to the width, marked with an ellipsis."""
    return line if len(line) <= WIDTH else line[: WIDTH - 1] + "…"


def lever_lines(group: str, keys: list[str], cfg: Any, long: bool) -> list[str]:
    """One group of `channelsim levers`: a heading, then each key with its value and what
    it accepts; below it its meaning, a lever's cost and downside and a market value's
    source and role (structure or behaviour), one line each (in full with `long`, else cut
    to one)."""
    from channelsim.config.schema import allowed_text, get_path
    from channelsim.config.validate import schema_rows

    rows = schema_rows()
    values = {}
    for key in keys:
        values[key] = value_text(get_path(cfg, key))
    pattern = f"{group}.*" if group != "run" else ", ".join(keys)
    heading = lever_heading(group)
    lines = [f"{pattern}: {heading}" if heading else pattern]
    key_width = max(len(k) for k in keys)
    value_width = max(len(v) for v in values.values())
    for key in keys:
        allowed = allowed_text(rows[key])
        lines.append(cut(f"  {key:<{key_width}}  {values[key]:<{value_width}}  {allowed}"))
        row = rows[key]
        notes = [row["meaning"]] + [
            f"{what}: {row[what]}" for what in ("cost", "downside", "source") if row.get(what)
        ]
        if row.get("role"):  # a market key's part: the market's structure, or behaviour
            notes.append(f"role: {row['role']}")
        for note in notes:
            if long:
                lines += textwrap.wrap(
                    note, WIDTH, initial_indent=MEANING_INDENT, subsequent_indent=MEANING_INDENT
                )
            else:
                lines.append(cut(MEANING_INDENT + note))
    return lines


def command_levers(args: list[str], out=None) -> int:
    """Print every lever and market parameter, by group, with its value, what it
    accepts and what it means."""
    from channelsim.config.compose import compose
    from channelsim.config.validate import listed, schema_rows

    config_dir, overrides, given = split_args(args, "levers")
    cfg = compose(overrides, config_dir)
    sellers = list(cfg.market.sellers)
    groups = lever_groups(seller_keys(list(schema_rows()), sellers, cfg.market.focal))
    chosen = given.get("group")
    if chosen is not None and chosen not in groups:
        lead = f"--group={chosen!r} is not allowed: one of "
        raise UsageError(listed(lead, list(groups), " (see channelsim levers --help)"))
    print(
        "key, value (as composed), what it accepts; its meaning below"
        + ("" if "long" in given else " (in full: --long)"),
        file=out,
    )
    for group, keys in groups.items():
        if chosen in (None, group):
            print(file=out)
            print("\n".join(lever_lines(group, keys, cfg, "long" in given)), file=out)
    return 0


def command_study(args: list[str], out=None) -> int:
    """The case comparison: three scenarios at many seeds, ablation, report."""
    from channelsim.analysis.case_study import ablation_rows, table_rows
    from channelsim.analysis.report import text_table
    from channelsim.api import run_case_study
    from channelsim.config.compose import compose_run

    config_dir, overrides, given = split_args(args, "study")
    lang = _lang(given)
    seeds = _positive_int(given, "seeds", 20)
    jobs = _positive_int(given, "jobs", None)
    _refuse_experiment(overrides)
    fixed = {
        "scenario": "it runs history, stay_traditional and copy_direct",
        "steps": "its windows run to 2006-12 (60 months)",
    }
    for o in overrides:
        key = o.split("=", 1)[0].lstrip("+~")
        if key in fixed:
            raise UsageError(f"{key} is set by the study: {fixed[key]}")
    composed = compose_run(overrides, config_dir)  # validates every override first
    _refuse_market(composed.config, "study")
    out_dir = make_folder(composed.run_dir)
    study = run_case_study(
        out_dir,
        seeds=seeds,
        base_seed=composed.config.seed,
        n_jobs=jobs,
        overrides=model_overrides(overrides),
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
    print(f"{seeds} seeds a scenario; mean [95% confidence interval]", file=out)
    print(text_table(*table_rows(study)), file=out)
    if study.ablation:
        print(file=out)
        print(text_table(*ablation_rows(study, effects=False)), file=out)
        print("recovery: history's key share over stay_traditional's, paired by seed;", file=out)
        print("a part carries what the recovery loses without it", file=out)
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
    from channelsim.config.compose import compose_run
    from channelsim.dashboard.server import DashboardError, serve

    config_dir, overrides, given = split_args(args, "dashboard")
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
            raise UsageError(f"{o!r} is not allowed here: the page takes market.KEY=VALUE only")
    # one line now for a bad market value, not on the page
    _refuse_market(compose_run(overrides).config, "dashboard")
    map_dir = given.get("map")
    if map_dir is not None:
        from channelsim.analysis.maps import read_map_folder

        try:
            read_map_folder(Path(map_dir))
        except ValueError as exc:
            raise UsageError(f"--map={map_dir}: {exc}") from None
    try:
        serve(
            host=host,
            port=int(port),
            lang=lang,
            market=tuple(overrides),
            out=out,
            map_dir=map_dir,
        )
    except DashboardError as exc:
        raise UsageError(str(exc)) from None
    return 0


def command_validate(args: list[str], out=None) -> int:
    """Model against closed forms, case by case, and the thresholds by bisection."""
    from channelsim.analysis import theory
    from channelsim.analysis.report import save_figure, text_table
    from channelsim.experiment import theory as validation

    config_dir, overrides, given = split_args(args, "validate")
    if config_dir or overrides:
        raise UsageError("validate takes no overrides: its cases are fixed (--out DIR only)")
    folder = make_folder(given["out"], "--out") if "out" in given else None
    began = time.perf_counter()
    rows = validation.table()
    found = validation.thresholds()
    encroaching = validation.encroachment_thresholds()
    print(text_table(*theory.text_rows(rows)), file=out)
    print(file=out)
    print(text_table(*theory.threshold_rows(found)), file=out)
    print(file=out)
    print(text_table(*theory.encroachment_threshold_rows(encroaching)), file=out)
    bad = theory.failures(rows, found, encroaching)
    worst = max(r.error for r in rows)
    print(
        f"\n{len(rows)} values in {len({r.case for r in rows})} cases, largest relative error "
        f"{worst:.1e}; {len(found) + len(encroaching)} thresholds; "
        f"{time.perf_counter() - began:.0f}s",
        file=out,
    )
    if folder is not None:
        from channelsim.analysis.report import markdown_table
        from channelsim.experiment.io import atomic_write_text

        save_figure(theory.profit_figure(rows, found), folder / "manufacturer_profit.png")
        figure = theory.encroachment_figure(rows, encroaching)
        save_figure(figure, folder / "encroachment_profit.png")
        text = "\n\n".join(
            [
                markdown_table(*theory.threshold_rows(found)),
                markdown_table(*theory.encroachment_threshold_rows(encroaching)),
                markdown_table(*theory.text_rows(rows)),
            ]
        )
        atomic_write_text(folder / "report.md", text + "\n")
        print(folder, file=out)
    if bad:
        print(f"channelsim: validation failed: {len(bad)} off, first: {bad[0]}", file=sys.stderr)
        return 1
    return 0


def command_elasticity(args: list[str], out=None) -> int:
    """Each seller's own-price elasticity on a market."""
    from channelsim.analysis.report import text_table
    from channelsim.config.compose import compose_run
    from channelsim.experiment.elasticity import measure

    config_dir, overrides, given = split_args(args, "elasticity")
    seeds = _positive_int(given, "seeds", 10)
    jobs = _positive_int(given, "jobs", None)
    step = given.get("step", "0.01")
    try:
        step = float(step)
    except ValueError:
        step = -1.0
    if not 0 < step < 0.5:
        raise UsageError(f"--step={given['step']!r} is not allowed: a number in (0, 0.5)")
    if seeds < 2:
        raise UsageError("--seeds must be 2 or more: the interval needs two seeds")
    composed = compose_run(overrides, config_dir)
    _refuse_market(composed.config, "elasticity")
    found = measure(composed.config, range(seeds), step, jobs)
    rows = [
        [e.seller, f"{e.mean:.2f} [{e.low:.2f}, {e.high:.2f}]", f"{e.units:,.0f}"] for e in found
    ]
    print(text_table(["seller", "elasticity [95% CI]", "units a month"], rows), file=out)
    print(f"\n{seeds} seeds, prices moved by {step:g} either way, months 13 on", file=out)
    return 0


COMMANDS = {
    "study": command_study,
    "run": command_run,
    "sweep": command_sweep,
    "optimize": command_optimize,
    "sensitivity": command_sensitivity,
    "calibrate": command_calibrate,
    "map": command_map,
    "report": command_report,
    "levers": command_levers,
    "dashboard": command_dashboard,
    "validate": command_validate,
    "elasticity": command_elasticity,
}


def dispatch(args: list[str]) -> int:
    """Run the command `args` name (`channelsim study` when none); a bad config is a
    UsageError here."""
    from channelsim.config.validate import ConfigError

    # figures go to files: no window, no display needed (matplotlib itself is imported
    # only by the commands that draw)
    if "matplotlib" in sys.modules:
        sys.modules["matplotlib"].use("Agg")
    else:
        os.environ["MPLBACKEND"] = "Agg"
    try:
        if not args:
            return command_study([])
        if args[0] in COMMANDS:
            return COMMANDS[args[0]](args[1:])
        if is_implicit_run(args[0]):
            return command_run(args)
        raise UsageError(unknown_command(args[0]))
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        text = help_text(args)
        if text is not None:
            print(text)
            return 0
        return dispatch(args)
    except UsageError as exc:
        print(f"{ERROR}{exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into a pager or head that closed early
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return 0
    except KeyboardInterrupt:
        print("channelsim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
