"""docs/LEVERS.md: every lever's mechanism, cost, downside and sources, with what it costs
at the default setting, generated from the schema's metadata and measured runs.

Regenerate with ``make levers-doc`` (``python -m channelsim.experiment.levers_doc PATH``);
tests/test_levers_doc.py keeps the file current.
"""

from __future__ import annotations

import re
import sys
from dataclasses import fields
from pathlib import Path

import numpy as np

from channelsim.agents.seller import COST_LEVERS
from channelsim.config.schema import StrategyConfig
from channelsim.config.validate import schema_rows

SEEDS = range(5)  # runs a setting is measured over
YEAR = slice(48, 60)  # its last twelve months: 2006 in the default market
SETTINGS = {  # the columns: a name, and the overrides of its runs
    "relationship_channel": [],
    "dual": ["strategy=dual"],
}
KEY = re.compile(r"(?:market|strategy)\.[a-z_.]*[a-z_]")


def measure(overrides: list[str]) -> dict[str, float]:
    """Each cost item's money a year and the vendor's profit a year (mean over SEEDS) at
    the default config with `overrides`."""
    from channelsim.config.compose import compose
    from channelsim.experiment.run import simulate

    totals: dict[str, list[float]] = {}
    for seed in SEEDS:
        metrics, _ = simulate(compose([*overrides, f"seed={seed}"]))
        year = metrics.iloc[YEAR].sum()
        for name in (*(f"cost_{lever}" for lever in COST_LEVERS), "profit_vendor"):
            totals.setdefault(name, []).append(float(year[name]))
    return {name: float(np.mean(values)) for name, values in totals.items()}


def money(value: float, profit: float) -> str:
    """A year's cost and its share of the vendor's profit."""
    if value == 0:
        return "0"
    return f"{value:,.0f} ({100 * value / profit:.1f}%)"


def levers_markdown(measured: dict[str, dict[str, float]]) -> str:
    """The document, from the schema and `measured` (`measure` for each of SETTINGS)."""
    rows = schema_rows()
    names = [f.name for f in fields(StrategyConfig) if f.name != "name"]
    profit = {setting: m["profit_vendor"] for setting, m in measured.items()}
    lines = [
        "# Levers: what each costs and how it can hurt",
        "",
        "Generated from the schema (`channelsim levers` shows the same metadata) by",
        "`make levers-doc`; `tests/test_levers_doc.py` fails when it is out of date.",
        "",
        "Every lever, for every seller whose policy uses it, has a cost on that seller's",
        "books and a downside through a mechanism of the model. The costs are the",
        "`cost_<lever>` columns of `metrics.parquet`; they add up to `channel_program_cost`.",
        "Fines collected from partners are a transfer (`fines_vendor`), never a cost saved.",
        "",
        "**Measured cost.** Each lever's cost over the last twelve months (2006) of the",
        "default run, the relationship channel from 2002, and of the `dual` preset, as",
        "money a year and as a share of the vendor's profit that year, the mean of seeds",
        f"{SEEDS.start}-{SEEDS.stop - 1}. The vendor's profit: "
        + ", ".join(f"{profit[s]:,.0f} ({s})" for s in measured)
        + ".",
        "A lever the preset does not use costs 0. A lever marked — has no column of its",
        "own: its cost is borne in prices, or in the column its cost names below.",
        "",
        "| lever | " + " | ".join(f"cost a year, {s}" for s in measured) + " |",
        "| --- | " + " | ".join("---:" for _ in measured) + " |",
    ]
    for name in names:
        column = f"cost_{name}"
        cells = [money(m[column], profit[s]) if column in m else "—" for s, m in measured.items()]
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    lines += ["", "## Each lever", ""]
    for name in names:
        row = rows[f"strategy.{name}"]
        lines += [
            f"### `strategy.{name}`",
            "",
            f"- **What it does:** {row['meaning']} (default {row['default']!r}).",
            f"- **Cost:** {row['cost']}.",
            f"- **Downside:** {row['downside']}.",
        ]
        cited = [k for k in dict.fromkeys(KEY.findall(row["cost"] + " " + row["downside"]))]
        sources = [f"`{k}` ({rows[k]['source']})" for k in cited if rows.get(k, {}).get("source")]
        sources += [f"`{k}` (a lever)" for k in cited if k.startswith("strategy.")]
        lines.append(
            "- **Sources:** " + ("; ".join(sources) if sources else "the lever alone") + "."
        )
        lines.append("")
    lines += ["## What the costs are made of", "", "| key | value | meaning | source |"]
    lines.append("| --- | ---: | --- | --- |")
    for key, row in rows.items():
        if key.startswith("market.costs."):
            lines.append(f"| `{key}` | {row['default']:g} | {row['meaning']} | {row['source']} |")
    return "\n".join(lines) + "\n"


def generate() -> str:
    """Measure every setting and write the document's text."""
    return levers_markdown({name: measure(o) for name, o in SETTINGS.items()})


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else Path("docs/LEVERS.md")
    text = generate()
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(path)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
