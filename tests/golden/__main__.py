"""Regenerate the golden results on purpose: `python -m tests.golden` (or `make golden`).

Writes, for each scenario of the case, the fixed-seed KPIs of its `summary.json` into
tests/golden/SCENARIO.json. Commit them only with a change that means to move results,
and say so in its message.

numpy chooses its SIMD kernels by the processor, and their last bits differ (a sum with
AVX-512 rounds unlike one with AVX2); over sixty months of thresholds the model turns
such bits into other results. The same seed therefore gives bit-identical results on
one machine, and the golden results are computed on numpy's x86-64 baseline kernels,
the same on every such processor, in a fresh process (`python -m tests.golden --kpis
SCENARIO` prints them).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

FOLDER = Path(__file__).resolve().parent
ROOT = FOLDER.parents[1]
SCENARIOS = ("history", "stay_traditional", "copy_direct")
SEED = 0
# every x86-64 kernel above the baseline, by numpy 2's names and numpy 1's
BASELINE_ONLY = "X86_V3 X86_V4 AVX512_ICL AVX512_SPR AVX2 FMA3 AVX512F AVX512_SKX"


def run_kpis(scenario: str) -> dict:
    """What `channelsim run scenario=SCENARIO seed=0` puts under `kpis`, here."""
    from channelsim import compose
    from channelsim.experiment.run import run

    return run(compose([f"scenario={scenario}", f"seed={SEED}"])).summary["kpis"]


def golden_kpis(scenario: str) -> dict:
    """The KPIs of `run_kpis` on numpy's baseline kernels, from a fresh process."""
    env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": BASELINE_ONLY}
    done = subprocess.run(
        [sys.executable, "-m", "tests.golden", "--kpis", scenario],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the golden run of {scenario} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def main(args: list[str]) -> int:
    if args[:1] == ["--kpis"]:
        print(json.dumps(run_kpis(args[1])))
        return 0
    for scenario in SCENARIOS:
        path = FOLDER / f"{scenario}.json"
        record = {"scenario": scenario, "seed": SEED, "kpis": golden_kpis(scenario)}
        path.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
