"""`python -m benchmarks [--tiny] [--out PATH] [--against REV] [--only-against]`: time
channelsim against its targets and against Mesa's own Boltzmann-wealth example, all in
this one run, and write the numbers. With --against, also time this checkout's
channelsim and REV's side by side, alternating: the default market (60 steps, 10 pairs
of runs) and 100,000 accounts (120 steps, 4 pairs), each with both medians and their
ratio, to be at most 1.05.

Every repetition runs in a fresh process (so that its peak memory is its own); each
process warms up on a small run of its case before the timed one. Medians are quoted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks import against
from benchmarks.cases import Market
from benchmarks.process import ROOT, BenchError, in_fresh_process

RESULTS = ROOT / "benchmarks" / "results.json"


@dataclass(frozen=True)
class Plan:
    """Sizes and repetitions of one benchmark run."""

    default_steps: int
    default_repeats: int
    small: Market  # the linearity pair: small and large
    large: Market
    big_steps: int
    big_repeats: int
    peer_agents: int
    peer_side: int
    peer_steps: int
    peer_repeats: int
    sweep_runs: int
    sweep_repeats: int
    sweep_overrides: tuple[str, ...]  # the swept runs' market and months
    calibration_evaluations: int  # on 2 cores, calibrate_china_pc's own sizes
    calibration_overrides: tuple[str, ...]
    # --against: pairs of runs (this version, the previous one) at the default market and
    # at the large one; even counts, so that each version runs first equally often
    against_default_pairs: int
    against_large_pairs: int


FULL = Plan(
    default_steps=60,
    default_repeats=5,
    small=Market(regions=10),  # 10,000 accounts, 1,000 resellers
    large=Market(regions=100),  # 100,000 accounts, 10,000 resellers
    big_steps=120,
    big_repeats=3,
    peer_agents=10_000,  # Mesa's large benchmark configuration
    peer_side=100,
    peer_steps=100,
    peer_repeats=3,
    sweep_runs=40,
    sweep_repeats=2,
    sweep_overrides=(),  # the default market, 60 months
    calibration_evaluations=60,
    calibration_overrides=(),
    against_default_pairs=10,
    against_large_pairs=4,
)
TINY = Plan(
    default_steps=6,
    default_repeats=1,
    small=Market(regions=1, key=20, mid=60, global_per_region=2, resellers=10),
    large=Market(regions=2, key=20, mid=60, global_per_region=2, resellers=10),
    big_steps=6,
    big_repeats=1,
    peer_agents=100,
    peer_side=10,
    peer_steps=5,
    peer_repeats=1,
    sweep_runs=2,
    sweep_repeats=1,
    sweep_overrides=(*Market(regions=1, key=20, mid=60, resellers=10).overrides(), "steps=6"),
    calibration_evaluations=2,
    calibration_overrides=("calibrate.seeds=1", *Market(regions=1, key=20, mid=60).overrides()),
    against_default_pairs=1,
    against_large_pairs=1,
)
# the two-seller market; the default (five sellers) without its smallest shops' sellers
DUO = ("market=china_pc_2002_duo",)
FOUR = ("~market.sellers.others", "market.sellers.vendor.partner_share=0.75")
WARMUP = {"overrides": Market(regions=1, key=20, mid=60, resellers=10).overrides(), "steps": 3}


def repeat(label: str, n: int, case: str, kwargs: dict, warmup: dict | None) -> list[dict]:
    out = []
    for i in range(n):
        print(f"  {label}: {i + 1}/{n}", file=sys.stderr, flush=True)
        out.append(in_fresh_process(case, kwargs, warmup, timeout_s=1800))
    return out


def median(rows: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def machine() -> dict:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import mesa
    import numpy

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "mesa": mesa.__version__,
        "platform": platform.platform(),
    }


def measure(plan: Plan) -> dict:
    """Every case of `plan`, side by side in this run."""
    began = time.perf_counter()

    def channel(label: str, repeats: int, overrides: list[str], steps: int) -> list[dict]:
        kwargs = {"overrides": overrides, "steps": steps}
        return repeat(label, repeats, "channel_run", kwargs, WARMUP)

    default = channel("default market", plan.default_repeats, [], plan.default_steps)
    duo = channel("two-seller market", plan.default_repeats, list(DUO), plan.default_steps)
    drawn = repeat(
        "default market with figures",
        plan.default_repeats,
        "channel_run",
        {"overrides": [], "steps": plan.default_steps, "figures": True},
        WARMUP,
    )
    small, large = (
        channel(f"{m.accounts:,} accounts", plan.big_repeats, m.overrides(), plan.big_steps)
        for m in (plan.small, plan.large)
    )
    large_sellers = {
        n: channel(
            f"{plan.large.accounts:,} accounts, {n} sellers",
            plan.big_repeats,
            [*overrides, *plan.large.overrides()],
            plan.big_steps,
        )
        for n, overrides in ((2, DUO), (4, FOUR))
    }
    peer = repeat(
        "Mesa Boltzmann wealth",
        plan.peer_repeats,
        "boltzmann",
        {"agents": plan.peer_agents, "side": plan.peer_side, "steps": plan.peer_steps},
        {"agents": 100, "side": 10, "steps": 5},
    )
    sweeps = {}
    for n_jobs in (1, 2):
        print(f"  sweep of {plan.sweep_runs} runs, n_jobs={n_jobs}", file=sys.stderr, flush=True)
        sweeps[n_jobs] = in_fresh_process(
            "sweep",
            {
                "runs": plan.sweep_runs,
                "n_jobs": n_jobs,
                "repeats": plan.sweep_repeats,
                "overrides": list(plan.sweep_overrides),
            },
            None,
            timeout_s=3600,
        )
    print(
        f"  calibration, {plan.calibration_evaluations} evaluations, n_jobs=2",
        file=sys.stderr,
        flush=True,
    )
    calibration = in_fresh_process(
        "calibration",
        {
            "evaluations": plan.calibration_evaluations,
            "n_jobs": 2,
            "overrides": list(plan.calibration_overrides),
        },
        None,
        timeout_s=3600,
    )
    cases = {
        "default_60": default,
        "default_60_figures": drawn,
        "duo_60": duo,
        "accounts_small": small,
        "accounts_large": large,
        "accounts_large_2": large_sellers[2],
        "accounts_large_4": large_sellers[4],
        "boltzmann": peer,
    }
    summary = {
        name: {
            "median_s": median(rows, "seconds"),
            "us_per_agent_step": median(rows, "us_per_agent_step"),
            "peak_mb": max(r["peak_mb"] for r in rows),
            "runs": rows,
        }
        for name, rows in cases.items()
    }
    for n_jobs, result in sweeps.items():
        summary[f"sweep_n_jobs_{n_jobs}"] = {
            "median_s": statistics.median(result["times"]),
            "cold_s": result["cold"],
            "us_per_agent_step": None,
            "peak_mb": result["peak_mb"],
            "runs": result,
        }
    summary["calibration"] = {
        "median_s": calibration["seconds"],
        "evaluations_per_s": calibration["per_second"],
        "us_per_agent_step": None,
        "peak_mb": calibration["peak_mb"],
        "runs": calibration,
    }
    lg, sm = summary["accounts_large"], summary["accounts_small"]
    targets = [
        ("default market, one run (s)", summary["default_60"]["median_s"], "<=", 0.5),
        ("two-seller market, one run (s)", summary["duo_60"]["median_s"], "<=", 0.5),
        (
            f"{plan.large.accounts:,} accounts, four / two sellers, time ratio",
            summary["accounts_large_4"]["median_s"] / summary["accounts_large_2"]["median_s"],
            "<=",
            1.6,
        ),
        (f"{plan.large.accounts:,} accounts, one run (s)", lg["median_s"], "<=", 30.0),
        (f"{plan.large.accounts:,} accounts, peak memory (MB)", lg["peak_mb"], "<=", 1024.0),
        (
            f"{plan.large.accounts:,} / {plan.small.accounts:,} accounts, time ratio",
            lg["median_s"] / sm["median_s"],
            "<=",
            12.0,
        ),
        (
            "per account-step / Boltzmann per agent-step",
            lg["us_per_agent_step"] / summary["boltzmann"]["us_per_agent_step"],
            "<=",
            1 / 3,
        ),
        (
            "sweep speed-up, n_jobs=2 over n_jobs=1 (after warm-up)",
            summary["sweep_n_jobs_1"]["median_s"] / summary["sweep_n_jobs_2"]["median_s"],
            ">=",
            1.7,
        ),
    ]
    cold = summary["sweep_n_jobs_1"]["cold_s"] / summary["sweep_n_jobs_2"]["cold_s"]
    return {
        "plan": "tiny" if plan is TINY else "full",
        "machine": machine(),
        "when": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "sizes": {
            "default_steps": plan.default_steps,
            "big_steps": plan.big_steps,
            "small_accounts": plan.small.accounts,
            "large_accounts": plan.large.accounts,
            "large_resellers": plan.large.regions * plan.large.resellers,
            "peer": f"{plan.peer_agents} agents, {plan.peer_side}x{plan.peer_side}, "
            f"{plan.peer_steps} steps",
            "sweep_runs": plan.sweep_runs,
            "sweep_overrides": list(plan.sweep_overrides),
        },
        "cases": summary,
        "targets": [
            {
                "target": name,
                "value": value,
                "rule": f"{op} {limit:.3g}" if limit < 1 else f"{op} {limit:g}",
                "met": value <= limit if op == "<=" else value >= limit,
            }
            for name, value, op, limit in targets
        ],
        "cold_sweep_speed_up": cold,
        "total_s": time.perf_counter() - began,
    }


def table(results: dict) -> str:
    """The cases and the targets as two plain-text tables."""
    rows = [("case", "median s", "us / agent-step", "peak MB")]
    names = {
        "default_60": f"default market, {results['sizes']['default_steps']} steps",
        "default_60_figures": "  the same, with its three figures",
        "duo_60": f"two-seller market, {results['sizes']['default_steps']} steps",
        "accounts_small": f"{results['sizes']['small_accounts']:,} accounts, "
        f"{results['sizes']['big_steps']} steps",
        "accounts_large": f"{results['sizes']['large_accounts']:,} accounts, "
        f"{results['sizes']['big_steps']} steps",
        "accounts_large_2": "  the same, two sellers (china_pc_2002_duo)",
        "accounts_large_4": "  the same, four sellers (the default without others)",
        "boltzmann": f"Mesa Boltzmann wealth ({results['sizes']['peer']})",
        "sweep_n_jobs_1": f"sweep, {results['sizes']['sweep_runs']} runs, n_jobs=1 (warm)",
        "sweep_n_jobs_2": f"sweep, {results['sizes']['sweep_runs']} runs, n_jobs=2 (warm)",
        "calibration": "calibrate_china_pc, "
        f"{results['cases']['calibration']['runs']['evaluations']} evaluations, n_jobs=2",
    }
    for key, label in names.items():
        c = results["cases"][key]
        us = f"{c['us_per_agent_step']:.3f}" if c["us_per_agent_step"] is not None else ""
        rows.append((label, f"{c['median_s']:.3f}", us, f"{c['peak_mb']:.0f}"))
    out = [_text(rows), ""]
    rows = [("target", "measured", "rule", "met")]
    for t in results["targets"]:
        rows.append((t["target"], f"{t['value']:.3f}", t["rule"], "yes" if t["met"] else "NO"))
    out.append(_text(rows))
    cal = results["cases"]["calibration"]
    out.append(
        f"\ncalibration: {cal['evaluations_per_s']:.2f} evaluations a second on 2 cores "
        f"({cal['runs']['seeds']} seeds x {cal['runs']['months']} months each)"
    )
    n1, n2 = results["cases"]["sweep_n_jobs_1"], results["cases"]["sweep_n_jobs_2"]
    out.append(
        f"\nfirst sweep call, workers starting (cold): n_jobs=1 {n1['cold_s']:.2f} s, "
        f"n_jobs=2 {n2['cold_s']:.2f} s, speed-up {results['cold_sweep_speed_up']:.2f}"
    )
    return "\n".join(out)


def _text(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def comparison(plan: Plan, previous: against.Side, revision: str | None) -> dict:
    """This checkout's channelsim against `previous`, side by side, at the default market
    and at the plan's large one (its steps as in the plan)."""
    large = plan.large
    cases = {
        "default_60": (
            f"default market, {plan.default_steps} steps",
            [],
            plan.default_steps,
            plan.against_default_pairs,
        ),
        "accounts_large": (
            f"{large.accounts:,} accounts, {plan.big_steps} steps",
            large.overrides(),
            plan.big_steps,
            plan.against_large_pairs,
        ),
    }
    return {
        "plan": "tiny" if plan is TINY else "full",
        "machine": machine(),
        "when": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        **against.compare(previous, revision, cases, WARMUP),
    }


def against_table(result: dict) -> str:
    """The side-by-side comparison: a line for each version, then a plain-text table."""

    def version(name: str, side: dict) -> str:
        subject = side["subject"] or ""
        subject = subject if len(subject) <= 90 else subject[:87] + "..."
        return f"{name}: {side['commit'] or '(no commit)'}  {subject}".rstrip()

    revision = result["previous"]["revision"]
    limit = f"<= {result['limit']:g}"
    rows = [("this against the previous version", "pairs", "this s", "previous s", "ratio", limit)]
    for case in result["cases"].values():
        rows.append(
            (
                case["label"],
                str(case["pairs"]),
                f"{case['this_median_s']:.3f}",
                f"{case['previous_median_s']:.3f}",
                f"{case['ratio']:.3f}",
                "yes" if case["met"] else "NO",
            )
        )
    return "\n".join(
        [
            version("this", result["this"]),
            version(f"previous ({revision})" if revision else "previous", result["previous"]),
            "",
            _text(rows),
            "\nratio: this median / previous median; the pairs alternate which runs first",
        ]
    )


def earlier_results(path: Path) -> dict:
    """The results already in `path`, or none when it is missing or not JSON."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def write(path: Path, results: dict) -> None:
    """Write the results JSON whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=2) + "\n")
    tmp.replace(path)
    print(f"wrote {path}")


def run(args: argparse.Namespace) -> int:
    """The full plan and/or the comparison, as the arguments ask; tables on stdout."""
    began = time.perf_counter()
    plan = TINY if args.tiny else FULL
    previous = None  # built first, so that a bad revision stops before the long plan
    if args.against:
        previous = against.build(args.against)
    elif args.against_python:
        previous = against.given(args.against_python)
    if args.only_against:
        results = earlier_results(args.out)
    else:
        results = measure(plan)
        print(table(results))
    if previous:
        results["against"] = comparison(plan, previous, args.against)
        print(("\n" if not args.only_against else "") + against_table(results["against"]))
    cpu = machine()
    print(f"\n{cpu['cpu']}, {cpu['cores']} cores; {time.perf_counter() - began:.0f} s in all")
    write(args.out, results)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments and run; a benchmark that cannot go on is one line on stderr."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--tiny", action="store_true", help="tiny sizes, one repetition")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results JSON path")
    previous = parser.add_mutually_exclusive_group()
    previous.add_argument(
        "--against",
        metavar="REV",
        help="also time this checkout's channelsim against that of REV (a git revision, "
        "e.g. HEAD~1), side by side, alternating; REV is built once into "
        ".venv/bench/<sha>/. Results under the key 'against'",
    )
    previous.add_argument(
        "--against-python",
        metavar="PATH",
        help="as --against, with the channelsim of the interpreter PATH as the previous "
        "version, no build",
    )
    parser.add_argument(
        "--only-against",
        action="store_true",
        help="only the comparison, not the full plan: it replaces the key 'against' of "
        "--out and keeps the rest of that file",
    )
    args = parser.parse_args(argv)
    if args.only_against and not (args.against or args.against_python):
        parser.error("--only-against needs --against REV or --against-python PATH")
    try:
        return run(args)
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
