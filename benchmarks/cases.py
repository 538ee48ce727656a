"""The benchmark cases. Each runs in a fresh process (its own peak memory), times only
the work (interpreter start and imports excluded), and returns its numbers as a dict."""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Market:
    """A market size: accounts = regions x (key + mid) + global; resellers = regions x per."""

    regions: int
    key: int = 250
    mid: int = 745
    global_per_region: int = 5
    resellers: int = 100

    @property
    def accounts(self) -> int:
        return self.regions * (self.key + self.mid + self.global_per_region)

    def overrides(self) -> list[str]:
        return [
            f"market.n_regions={self.regions}",
            f"market.key_accounts_per_region={self.key}",
            f"market.mid_accounts_per_region={self.mid}",
            f"market.global_accounts={self.global_per_region * self.regions}",
            f"market.resellers_per_region={self.resellers}",
        ]


def peak_mb() -> float:
    """This process's peak resident memory (max RSS) so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def channel_run(overrides: list[str], steps: int, figures: bool = False) -> dict:
    """One `channelsim run` as the command does it: compose the config, build the model
    (agents, coverage network, data collection), every step, the metrics and KPIs, and
    the result files (parquet tables, config, channel.graphml, summary.json) in a
    temporary folder; with `figures`, the three PNG figures too. The dict names the
    channelsim that ran (its `__init__.py`), so that a comparison of two installations
    can tell them apart."""
    import tempfile

    import channelsim
    from channelsim import compose
    from channelsim.analysis.figures import run_figures
    from channelsim.experiment.run import run

    with tempfile.TemporaryDirectory() as folder:
        began = time.perf_counter()
        config = compose([*overrides, f"steps={steps}"])
        result = run(config, folder, run_figures if figures else None)
        seconds = time.perf_counter() - began
    m = config.market
    accounts = m.n_regions * (m.key_accounts_per_region + m.mid_accounts_per_region)
    accounts += m.global_accounts
    return {
        "seconds": seconds,
        "accounts": accounts,
        "resellers": m.n_regions * m.resellers_per_region,
        "steps": steps,
        "us_per_agent_step": 1e6 * seconds / (accounts * steps),
        "peak_mb": peak_mb(),
        "share_vendor_key": result.summary["kpis"]["share_vendor_key"],
        "channelsim": channelsim.__file__,
    }


def boltzmann(agents: int, side: int, steps: int) -> dict:
    """Mesa's own Boltzmann-wealth example at the given size, data collection on."""
    from mesa.examples import BoltzmannWealth
    from mesa.examples.basic.boltzmann_wealth_model.model import BoltzmannScenario

    model = BoltzmannWealth(scenario=BoltzmannScenario(n=agents, width=side, height=side, rng=0))
    began = time.perf_counter()
    for _ in range(steps):
        model.step()
    seconds = time.perf_counter() - began
    return {
        "seconds": seconds,
        "agents": agents,
        "steps": steps,
        "us_per_agent_step": 1e6 * seconds / (agents * steps),
        "peak_mb": peak_mb(),
    }


def tree_peak_mb() -> float:
    """Peak resident memory of this process and every process under it, summed (Linux:
    VmHWM of each; the sweep's worker processes are still alive when this is read)."""
    from pathlib import Path

    def children(pid: int) -> list[int]:
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
        return found

    def hwm(pid: int) -> float:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    import os

    todo, total = [os.getpid()], 0.0
    while todo:
        pid = todo.pop()
        total += hwm(pid)
        todo += children(pid)
    return total or peak_mb()


def sweep(runs: int, n_jobs: int, repeats: int, overrides: list[str]) -> dict:
    """`channelsim.sweep` of `runs` runs of the market `overrides` set. The first call
    (cold: it starts the worker processes) is timed on its own; the next `repeats` reuse
    the workers."""
    import channelsim

    times = []
    for _ in range(repeats + 1):
        began = time.perf_counter()
        table = channelsim.sweep(overrides, seeds=range(runs), n_jobs=n_jobs, progress=False)
        times.append(time.perf_counter() - began)
        assert (table["status"] == "ok").all(), table["error"].dropna().tolist()
    return {
        "cold": times[0],
        "times": times[1:],
        "runs": runs,
        "n_jobs": n_jobs,
        "peak_mb": tree_peak_mb(),
    }


def calibration(evaluations: int, n_jobs: int, overrides: list[str]) -> dict:
    """`channelsim calibrate experiment=calibrate_china_pc`'s search alone: `evaluations`
    evaluations, `n_jobs` at a time, into a fresh study (the worker processes start in the
    first batch; the fresh-seed check and the report are not timed)."""
    import tempfile

    from channelsim.experiment.calibrate import plan_calibrate
    from channelsim.experiment.search import open_study, search

    with tempfile.TemporaryDirectory() as folder:
        plan = plan_calibrate(
            [
                "experiment=calibrate_china_pc",
                f"calibrate.budget={evaluations}",
                f"calibrate.n_jobs={n_jobs}",
                f"hydra.sweep.dir={folder}",
                *overrides,
            ]
        )
        Path(folder).mkdir(parents=True, exist_ok=True)
        study = open_study(plan)
        began = time.perf_counter()
        _, error = search(study, plan, None)
        seconds = time.perf_counter() - began
        assert error is None, error
    return {
        "seconds": seconds,
        "evaluations": evaluations,
        "n_jobs": n_jobs,
        "per_second": evaluations / seconds,
        "seeds": plan.spec.seeds,
        "months": plan.steps(plan.fit),
        "peak_mb": tree_peak_mb(),
    }


CASES = {
    "channel_run": channel_run,
    "boltzmann": boltzmann,
    "sweep": sweep,
    "calibration": calibration,
}
