"""Regenerate the golden results on purpose: `python -m tests.golden` (or `make golden`).

Writes, for each scenario of the case, the fixed-seed KPIs of its `summary.json` into
tests/golden/SCENARIO.json. Commit them only with a change that means to move results,
and say so in its message.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

FOLDER = Path(__file__).resolve().parent
SCENARIOS = ("history", "stay_traditional", "copy_direct")
SEED = 0


def golden_kpis(scenario: str) -> dict:
    """What `channelsim run scenario=SCENARIO seed=0` puts under `kpis`."""
    from channelsim import compose
    from channelsim.experiment.run import run

    return run(compose([f"scenario={scenario}", f"seed={SEED}"])).summary["kpis"]


def main() -> int:
    for scenario in SCENARIOS:
        path = FOLDER / f"{scenario}.json"
        record = {"scenario": scenario, "seed": SEED, "kpis": golden_kpis(scenario)}
        path.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
