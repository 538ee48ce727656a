"""The benchmark cases. Each runs in a fresh process (its own peak memory), times only
the work (interpreter start and imports excluded), and returns its numbers as a dict."""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass


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


def channel_run(overrides: list[str], steps: int) -> dict:
    """One `channelsim run` of the model in memory: the composed config, the model with
    its network and data collection, every step, the metrics table and the KPIs."""
    from channelsim import compose
    from channelsim.experiment.run import run

    config = compose([*overrides, f"steps={steps}"])
    began = time.perf_counter()
    result = run(config)
    seconds = time.perf_counter() - began
    n = config.market.n_regions
    accounts = n * (
        config.market.key_accounts_per_region + config.market.mid_accounts_per_region
    ) + (config.market.global_accounts)
    return {
        "seconds": seconds,
        "accounts": accounts,
        "resellers": n * config.market.resellers_per_region,
        "steps": steps,
        "us_per_agent_step": 1e6 * seconds / (accounts * steps),
        "peak_mb": peak_mb(),
        "share_vendor_key": result.summary["kpis"]["share_vendor_key"],
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


def sweep(runs: int, n_jobs: int, repeats: int) -> dict:
    """`channelsim.sweep` of `runs` default runs; the first call starts the workers (the
    warm-up), the next `repeats` are timed."""
    import channelsim

    times = []
    for i in range(repeats + 1):
        began = time.perf_counter()
        table = channelsim.sweep([], seeds=range(runs), n_jobs=n_jobs, progress=False)
        if i:
            times.append(time.perf_counter() - began)
        assert (table["status"] == "ok").all(), table["error"].dropna().tolist()
    return {"times": times, "runs": runs, "n_jobs": n_jobs, "peak_mb": peak_mb()}


CASES = {"channel_run": channel_run, "boltzmann": boltzmann, "sweep": sweep}
